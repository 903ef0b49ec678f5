package io.tracedistill.config;

import io.tracedistill.python.PyObjects;
import io.tracedistill.python.PyText;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Loads a YAML run config into a {@link RunConfig}.
 *
 * <p>Three steps, each failing with a {@link ConfigException} that names the file:
 * <ol>
 *   <li>{@link YamlReader}: safe YAML 1.1 parsing (PyYAML-compatible except that {@code 1e-4}
 *       is a number);</li>
 *   <li>{@link ReferenceValidation}: the reference's {@code load_config} checks in its order,
 *       with its messages (golden {@code config_validation.json});</li>
 *   <li>typing: every key through its {@link ConfigKeys} parser, then cross-key checks. This is
 *       stricter than the reference, which accepts e.g. {@code seed: abc} or
 *       {@code lora_dropout: high} and fails later inside training; here such a value is
 *       rejected up front as {@code Invalid value 'abc' for seed in conf/x.yaml: must be an integer}.</li>
 * </ol>
 */
public final class ConfigLoader {

    private ConfigLoader() {
    }

    /** Loads {@code path}; messages name it as {@code path.toString()}. */
    public static RunConfig load(Path path) {
        return load(path, List.of());
    }

    /**
     * Loads {@code path} with command-line overrides ({@code --set key=value}, see {@link #applyOverrides}) laid over
     * the file's document before any check runs, so an override is typed and validated exactly like the same line
     * in the file, and may supply a key the file leaves out. With overrides, messages name the source as
     * {@code conf/x.yaml with --set seed=7 world_size=0}.
     */
    public static RunConfig load(Path path, List<String> overrides) {
        String file = path.toString();
        byte[] bytes;
        try {
            long size = Files.size(path);
            if (size > YamlReader.MAX_BYTES) {
                throw YamlReader.tooLarge(file, size + " bytes");
            }
            bytes = Files.readAllBytes(path);
        } catch (NoSuchFileException e) {
            throw ConfigException.internal("FileNotFoundError", "Config file " + file
                    + " does not exist; pass the path of a YAML run config (see conf/)", file, null, e);
        } catch (IOException e) {
            throw ConfigException.internal("OSError", "Cannot read config file " + file + ": " + e.getMessage(),
                    file, null, e);
        }
        if (overrides.isEmpty()) {
            return parse(new ByteArrayInputStream(bytes), file);
        }
        String source = file + " with --set " + String.join(" ", overrides);
        Object document = YamlReader.read(new ByteArrayInputStream(bytes), file);
        Map<String, Object> merged = new LinkedHashMap<>();
        if (document instanceof Map<?, ?> m) {
            m.forEach((k, v) -> merged.put(String.valueOf(k), v));
        } else if (PyObjects.truthy(document)) {
            ReferenceValidation.validate(document, file); // the reference's "must be a YAML mapping" message
        }
        return fromMap(applyOverrides(merged, overrides, source), source);
    }

    /** Loads YAML text, naming it {@code source} in messages. */
    public static RunConfig parse(String yaml, String source) {
        return parse(new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8)), source);
    }

    /** Loads a UTF-8 (BOM allowed) YAML stream, naming it {@code source} in messages. */
    public static RunConfig parse(InputStream yaml, String source) {
        return fromReferenceFields(referenceFields(yaml, source), source);
    }

    /**
     * Steps 1–2 only: the document after the reference's checks, as plain Java values (every
     * reference field with its default filled in, plus any extension keys it sets). This is
     * what the reference's {@code RunConfig(**raw)} holds; the golden tests compare its reprs.
     */
    public static Map<String, Object> referenceFields(InputStream yaml, String source) {
        return ReferenceValidation.validate(YamlReader.read(yaml, source), source);
    }

    /**
     * Loads a config given as an already-parsed document (plain Java values as YAML would produce
     * them: String, Integer/Long, Double, Boolean, null, List, Map). Runs the same checks as
     * {@link #parse}; {@code source} names it in messages. {@code fromMap(cfg.toCanonicalMap(), s)}
     * returns a config equal to {@code cfg}.
     */
    public static RunConfig fromMap(Map<String, ?> document, String source) {
        return fromReferenceFields(ReferenceValidation.validate(new LinkedHashMap<>(document), source), source);
    }

    /**
     * {@code cfg} with command-line overrides applied (see {@link #applyOverrides}); the result is validated like a
     * loaded file, naming {@code source} in messages.
     */
    public static RunConfig withOverrides(RunConfig cfg, List<String> assignments, String source) {
        return fromMap(applyOverrides(cfg.toCanonicalMap(), assignments, source), source);
    }

    /**
     * Lays command-line overrides over a config document (a copy is returned). Each assignment is
     * {@code key=value} or {@code section.key=value} (for {@code phase1}, {@code phase2}, {@code columns}); the
     * value is read as a YAML scalar or flow collection, exactly as it would be in the file ({@code seed=7},
     * {@code phase1.learning_rate=1e-4}, {@code hard_types=[a, b]}, {@code chat_date=null}). Later assignments
     * win. Checking the values is left to the loader's usual steps.
     *
     * @throws ConfigException naming the assignment when it has no {@code =} or a dotted key's section is not a mapping
     */
    static Map<String, Object> applyOverrides(Map<String, Object> document, List<String> assignments, String source) {
        Map<String, Object> doc = new LinkedHashMap<>(document);
        for (String a : assignments) {
            int eq = a.indexOf('=');
            if (eq <= 0) {
                throw ConfigException.internal("ValueError", "Override " + PyText.repr(a) + " from " + source
                        + " must look like key=value or phase1.learning_rate=1e-4", source, null, null);
            }
            String key = a.substring(0, eq).trim();
            Object value = YamlReader.read(new ByteArrayInputStream(a.substring(eq + 1).getBytes(StandardCharsets.UTF_8)),
                    source + " (override " + key + ")");
            int dot = key.indexOf('.');
            if (dot < 0) {
                doc.put(key, value);
                continue;
            }
            String section = key.substring(0, dot);
            Object current = doc.get(section);
            if (current == null && SECTIONS.contains(section)) {
                current = Map.of();
            }
            if (!(current instanceof Map<?, ?> m)) {
                throw ConfigException.internal("ValueError", "Override " + PyText.repr(a) + " from "
                        + source + ": " + section + " is not a section; dotted keys work for phase1, phase2 and columns",
                        source, key, null);
            }
            Map<Object, Object> copy = new LinkedHashMap<>(m);
            copy.put(key.substring(dot + 1), value);
            doc.put(section, copy);
        }
        return doc;
    }

    /** The mapping-valued keys a dotted override may reach into. */
    private static final Set<String> SECTIONS = Set.of(ConfigKeys.PHASE1, ConfigKeys.PHASE2,
            ConfigKeys.K_COLUMNS.name());

    /** Step 3: typed values for every key, then cross-key checks. */
    static RunConfig fromReferenceFields(Map<String, Object> fields, String source) {
        ConfigValuesByKey typed = new ConfigValuesByKey();
        for (ConfigKey<?> key : ConfigKeys.all()) {
            parseInto(typed, key, fields, source);
        }
        RunConfig cfg = RunConfig.from(typed);
        checkCrossKeys(cfg, fields, source);
        return cfg;
    }

    private static <T> void parseInto(ConfigValuesByKey typed, ConfigKey<T> key, Map<String, Object> fields, String source) {
        typed.put(key, key.parse(fields.get(key.name()), fields.containsKey(key.name()), source));
    }

    private static void checkCrossKeys(RunConfig cfg, Map<String, Object> fields, String source) {
        if (cfg.data().shuffle() && (cfg.seed() < 0 || cfg.seed() > ConfigKeys.MAX_NUMPY_SEED)) {
            throw ConfigParsers.invalid(ConfigKeys.SEED, fields.getOrDefault(ConfigKeys.SEED, cfg.seed()), source,
                    "must be between 0 and " + ConfigKeys.MAX_NUMPY_SEED + " when shuffle is true (numpy "
                            + "RandomState(seed) shuffles the frame before the two-phase split); pick such a seed or set shuffle: false");
        }
        int gpus = cfg.model().device().gpuIndices().size();
        int worldSize = cfg.train().worldSize();
        if (gpus > 1 && worldSize != gpus) {
            throw ConfigParsers.invalid("world_size", fields.getOrDefault("world_size", worldSize), source,
                    "must equal the number of GPUs in device: " + cfg.model().device() + " (" + gpus + "): one data-parallel replica"
                            + " trains on each listed GPU, and world_size sets the rows per optimizer step and the prepared order;"
                            + " set world_size: " + gpus + " or list " + worldSize + " GPU(s)");
        }
        checkHeldOut(cfg.heldOut(), fields, source);
        if (cfg.train().gradientCheckpointing() && cfg.lora().dropout() > 0) {
            throw ConfigParsers.invalid("gradient_checkpointing", fields.getOrDefault("gradient_checkpointing", true), source,
                    "cannot be true with lora_dropout " + cfg.lora().dropout() + ": the layers recomputed in backward would draw"
                            + " new dropout masks; set lora_dropout: 0 or gradient_checkpointing: false");
        }
    }

    /** The held-out keys that only mean something together. */
    private static void checkHeldOut(HeldOutSection h, Map<String, Object> fields, String source) {
        if (h.source() == HeldOutSource.EVAL_PATH) {
            String key = ConfigKeys.K_HELDOUT_SOURCE.name();
            if (fields.get(ConfigKeys.K_EVAL_PATH.name()) == null) {
                throw ConfigParsers.invalid(key, HeldOutSource.EVAL_PATH.yamlName(), source,
                        "needs eval_path: the held-out slice is the eval_path rows (with prompt, trace, answer and type"
                                + " columns, like data_path), but eval_path is not set; set eval_path: FILE, or"
                                + " heldout_source: holdout_fraction");
            }
            if (h.fraction() > 0) {
                throw ConfigParsers.invalid(key, HeldOutSource.EVAL_PATH.yamlName(), source,
                        "cannot be combined with holdout_fraction " + h.fraction() + ": the held-out slice comes from"
                                + " eval_path, so no training rows are set aside; set holdout_fraction: 0 (or remove it),"
                                + " or heldout_source: holdout_fraction");
            }
        }
        if (h.metricForBest() == MetricForBest.ACCURACY && h.generateLimit().isEmpty()) {
            throw ConfigParsers.invalid(ConfigKeys.K_METRIC_FOR_BEST.name(), "accuracy", source,
                    "needs eval_generate_limit: accuracy is measured by greedy-decoding held-out rows, and"
                            + " eval_generate_limit says how many; set eval_generate_limit: N (e.g. 32) or metric_for_best: loss");
        }
        for (ConfigKey<?> k : List.of(ConfigKeys.K_EVAL_GENERATE_LIMIT, ConfigKeys.K_EARLY_STOPPING_PATIENCE)) {
            if (!h.enabled() && fields.get(k.name()) != null) {
                throw ConfigParsers.invalid(k.name(), fields.get(k.name()), source,
                        "needs a held-out slice to evaluate, but holdout_fraction is 0; set holdout_fraction: f"
                                + " (e.g. 0.05), or heldout_source: eval_path with eval_path, or remove " + k.name());
            }
        }
    }
}
