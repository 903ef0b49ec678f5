package io.tracedistill.config;

import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.composer.ComposerException;
import org.yaml.snakeyaml.constructor.ConstructorException;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.parser.ParserException;
import org.yaml.snakeyaml.scanner.ScannerException;

import java.io.InputStream;
import java.util.Collection;
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

    /** The document as plain Java values ({@code null} for an empty document). */
    static Object read(InputStream in, String source) {
        LoaderOptions options = new LoaderOptions();
        options.setAllowDuplicateKeys(true);      // PyYAML: the last duplicate wins
        options.setAllowRecursiveKeys(false);
        options.setMaxAliasesForCollections(50);  // billion-laughs guard
        options.setNestingDepthLimit(50);
        Yaml yaml = new Yaml(new SafeConstructor(options));
        Object doc;
        try {
            doc = yaml.load(in);
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

    /** PyYAML refuses list/map keys ("found unhashable key"); SnakeYAML would accept them. */
    private static void checkHashableKeys(Object node, String source) {
        if (node instanceof Map<?, ?> m) {
            for (Map.Entry<?, ?> e : m.entrySet()) {
                if (e.getKey() instanceof List || e.getKey() instanceof Map || e.getKey() instanceof Set) {
                    throw ConfigException.internal("ConstructorError", "Cannot read " + source
                            + " as YAML (ConstructorError): found unhashable key " + ConfigValues.repr(e.getKey())
                            + "; mapping keys must be plain scalars", source, null, null);
                }
                checkHashableKeys(e.getValue(), source);
            }
        } else if (node instanceof Collection<?> c) {
            for (Object o : c) {
                checkHashableKeys(o, source);
            }
        }
    }
}
