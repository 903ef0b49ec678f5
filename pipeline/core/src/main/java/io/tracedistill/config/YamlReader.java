package io.tracedistill.config;

import io.tracedistill.python.PyObjects;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.composer.ComposerException;
import org.yaml.snakeyaml.constructor.ConstructorException;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.parser.ParserException;
import org.yaml.snakeyaml.scanner.ScannerException;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Collection;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads one YAML document safely, the way the reference's {@code yaml.safe_load} (PyYAML 6.0,
 * YAML 1.1) sees it.
 *
 * <p>SnakeYAML's {@link SafeConstructor} builds only plain data (maps, lists, strings, numbers,
 * booleans, null, timestamps, binary); any other tag ({@code !!python/object/apply:...},
 * {@code !!java.lang...}) is rejected, like PyYAML's {@code SafeLoader}. SnakeYAML 2.x also
 * resolves plain scalars by YAML 1.1 rules, which is what the golden cases need:
 * {@code yes/no/on/off} are booleans, {@code 017} is octal, {@code 1:30} is base 60,
 * {@code 1_000} is 1000, {@code 2026-01-01} is a date; duplicate keys keep the last value;
 * a UTF-8 BOM is skipped ({@code UnicodeReader}).
 *
 * <p><b>Deliberate deviation:</b> SnakeYAML resolves {@code 1e-4} and {@code 1.0e9} as floats,
 * while PyYAML's YAML 1.1 float pattern requires a dot and a signed exponent and loads
 * {@code 1e-4} as the string {@code '1e-4'} (which the reference would then hand to the trainer
 * as a string learning rate). We keep SnakeYAML's behaviour: a config saying
 * {@code learning_rate: 1e-4} means the number.
 */
final class YamlReader {

    private YamlReader() {
    }

    /**
     * The largest config we read: 1 MiB. Real configs are a few KB; SnakeYAML scans a huge quoted
     * value slowly (a 50 MB value spun for minutes at 3.5 GB), so the size is checked before parsing.
     */
    static final int MAX_BYTES = 1024 * 1024;
    static final String MAX_TEXT = "1 MiB";

    /** The message for a config over {@link #MAX_BYTES}. */
    static ConfigException tooLarge(String source, String size) {
        return ConfigException.internal("ValueError", "Config " + source + " is " + size + ", larger than the "
                + MAX_TEXT + " a run config may be: a config holds settings, not data; put large text in a file"
                + " and name its path", source, null, null);
    }

    /** The document as plain Java values ({@code null} for an empty document). */
    static Object read(InputStream in, String source) {
        byte[] bytes;
        try {
            bytes = in.readNBytes(MAX_BYTES + 1);
        } catch (IOException e) {
            throw ConfigException.internal("OSError", "Cannot read config " + source + ": " + e.getMessage(),
                    source, null, e);
        }
        if (bytes.length > MAX_BYTES) {
            throw tooLarge(source, "over " + MAX_BYTES + " bytes");
        }
        LoaderOptions options = new LoaderOptions();
        options.setCodePointLimit(MAX_BYTES);
        options.setAllowDuplicateKeys(true);      // PyYAML: the last duplicate wins
        options.setAllowRecursiveKeys(false);
        options.setMaxAliasesForCollections(50);  // billion-laughs guard
        options.setNestingDepthLimit(50);
        Yaml yaml = new Yaml(new SafeConstructor(options));
        Object doc;
        try {
            doc = yaml.load(new ByteArrayInputStream(bytes));
        } catch (ScannerException e) {
            throw yamlError("ScannerError", source, e);
        } catch (ParserException e) {
            throw yamlError("ParserError", source, e);
        } catch (ComposerException e) {
            // SnakeYAML 2 refuses global tags (!!python/...) while composing; PyYAML's SafeLoader
            // refuses them while constructing
            boolean tag = String.valueOf(e.getMessage()).contains("Global tag is not allowed");
            throw yamlError(tag ? "ConstructorError" : "ComposerError", source, e);
        } catch (ConstructorException e) {
            throw yamlError("ConstructorError", source, e);
        } catch (YAMLException e) {
            throw yamlError("YAMLError", source, e);
        }
        checkHashableKeys(doc, source);
        return doc;
    }

    private static ConfigException yamlError(String pythonType, String source, YAMLException e) {
        return ConfigException.internal(pythonType, "Cannot read " + source + " as YAML (" + pythonType
                + "): " + e.getMessage().replace("\"reader\"", ConfigException.quotedPath(source))
                + "\nFix the YAML syntax at the position above; only plain data is allowed (no !!python or !!java tags).",
                source, null, e);
    }

    /**
     * PyYAML refuses list/map keys ("found unhashable key"); SnakeYAML would accept them. Also refuses
     * a value that contains itself through an alias ({@code rec: &r [*r]}): SnakeYAML builds such a
     * cycle, and every later walk over it would overflow the stack.
     */
    private static void checkHashableKeys(Object node, String source) {
        checkPlainTree(node, source, "", Collections.newSetFromMap(new IdentityHashMap<>()));
    }

    private static void checkPlainTree(Object node, String source, String path, Set<Object> ancestors) {
        if (!(node instanceof Map || node instanceof Collection)) {
            return;
        }
        if (!ancestors.add(node)) {
            throw ConfigException.internal("ValueError", "Cannot read " + source + ": the value of "
                    + (path.isEmpty() ? "the document" : path) + " refers to itself through a YAML alias"
                    + " (like rec: &r [*r]); a config must be a tree: remove the alias or copy the value",
                    source, path.isEmpty() ? null : path, null);
        }
        if (node instanceof Map<?, ?> m) {
            for (Map.Entry<?, ?> e : m.entrySet()) {
                if (e.getKey() instanceof List || e.getKey() instanceof Map || e.getKey() instanceof Set) {
                    throw ConfigException.internal("ConstructorError", "Cannot read " + source
                            + " as YAML (ConstructorError): found unhashable key " + PyObjects.repr(e.getKey())
                            + "; mapping keys must be plain scalars", source, null, null);
                }
                String key = String.valueOf(e.getKey());
                checkPlainTree(e.getValue(), source, path.isEmpty() ? key : path + "." + key, ancestors);
            }
        } else {
            int i = 0;
            for (Object o : (Collection<?>) node) {
                checkPlainTree(o, source, path + "[" + i++ + "]", ancestors);
            }
        }
        ancestors.remove(node);
    }
}
