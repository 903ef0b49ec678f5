package io.tracedistill.config;

import io.tracedistill.python.PyObjects;
import io.tracedistill.python.PyText;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The reference's {@code run.load_config} checks, in its order, on the YAML document as plain
 * Java values (golden {@code config_validation.json}, {@code meta.validation_order}):
 * <ol>
 *   <li>a falsy document (empty, {@code null}, {@code 0}, {@code false}, {@code []}, {@code ''})
 *       becomes {@code {}};</li>
 *   <li>not a mapping → {@code Config 'x.yaml' must be a YAML mapping, got list.};</li>
 *   <li>unknown top-level keys → {@code Unknown config keys [...] in 'x.yaml'. Known keys: [...].}
 *       (sorted Python reprs; keys of mixed types cannot be sorted → Python {@code TypeError});</li>
 *   <li>{@code base_model}, {@code data_path}, {@code hard_types} present (null counts);</li>
 *   <li>{@code phase1} then {@code phase2}: a mapping whose keys are phase fields;</li>
 *   <li>{@code base_model}/{@code data_path} non-blank strings (Python {@code strip()});</li>
 *   <li>{@code hard_types} truthy and no blank {@code str(item)} (a string is iterated per
 *       character, a mapping per key);</li>
 *   <li>{@code max_length > 0}, then {@code lora_rank > 0} and {@code lora_alpha > 0}.</li>
 * </ol>
 * Messages the reference raises as {@code ValueError} are reproduced verbatim; where Python
 * itself fails ({@code AttributeError}/{@code TypeError}) we reject with our own wording.
 * Extension keys of this port count as known keys, and the unknown-key message lists them
 * after the reference's text.
 */
public final class ReferenceValidation {

    private ReferenceValidation() {
    }

    /**
     * Validates a YAML document like the reference and returns every reference field
     * (declaration order, defaults filled in as the reference's dataclass would) plus the
     * extension keys that the document sets, as plain Java values.
     *
     * @throws ConfigException with the reference's message where it has one
     */
    public static Map<String, Object> validate(Object document, String source) {
        // 1. `yaml.safe_load(f) or {}`
        Object raw = PyObjects.truthy(document) ? document : new LinkedHashMap<>();
        // 2. must be a mapping
        if (!(raw instanceof Map<?, ?> doc)) {
            throw ConfigException.reference("Config " + ConfigException.quotedPath(source)
                    + " must be a YAML mapping, got " + ConfigValues.shortTypeName(raw) + ".", source, null);
        }
        // 3. unknown keys
        Set<String> known = ConfigKeys.names();
        List<Object> unknown = new ArrayList<>();
        for (Object k : doc.keySet()) {
            if (!(k instanceof String s) || !known.contains(s)) {
                unknown.add(k);
            }
        }
        if (!unknown.isEmpty()) {
            String knownRef = PyText.reprSortedList(ConfigKeys.referenceNames());
            String extensions = " This port also accepts: " + PyText.reprSortedList(ConfigKeys.extensionNames()) + ".";
            if (!ConfigValues.sortable(unknown)) {
                throw ConfigException.internal("TypeError", "Unknown config keys " + PyObjects.repr(unknown)
                        + " in " + ConfigException.quotedPath(source) + " (keys must be strings). Known keys: "
                        + knownRef + "." + extensions, source, null, null);
            }
            throw ConfigException.reference("Unknown config keys " + PyObjects.repr(ConfigValues.sorted(unknown))
                    + " in " + ConfigException.quotedPath(source) + ". Known keys: " + knownRef + "." + extensions,
                    source, unknown.size() == 1 ? String.valueOf(unknown.get(0)) : null);
        }
        // 4. required keys (presence only)
        if (!doc.containsKey(ConfigKeys.BASE_MODEL) || !doc.containsKey(ConfigKeys.DATA_PATH)
                || !doc.containsKey(ConfigKeys.HARD_TYPES)) {
            throw ConfigException.reference("Config must set 'base_model', 'data_path' and 'hard_types'.", source, null);
        }
        // 5. phase sections
        for (String phase : List.of(ConfigKeys.PHASE1, ConfigKeys.PHASE2)) {
            Object section = doc.containsKey(phase) ? doc.get(phase) : Map.of();
            if (!(section instanceof Map<?, ?> pm)) {
                throw ConfigException.reference(PyText.repr(phase) + " must be a YAML mapping.", source, phase);
            }
            List<Object> unknownPhase = new ArrayList<>();
            for (Object k : pm.keySet()) {
                if (!(k instanceof String s) || !PhaseConfig.KEYS.contains(s)) {
                    unknownPhase.add(k);
                }
            }
            if (!unknownPhase.isEmpty()) {
                String knownPhase = PyText.reprSortedList(PhaseConfig.KEYS);
                if (!ConfigValues.sortable(unknownPhase)) {
                    throw ConfigException.internal("TypeError", "Unknown " + phase + " keys "
                            + PyObjects.repr(unknownPhase) + " (keys must be strings); known keys: " + knownPhase + ".",
                            source, phase, null);
                }
                throw ConfigException.reference("Unknown " + phase + " keys " + PyObjects.repr(ConfigValues.sorted(unknownPhase))
                        + "; known keys: " + knownPhase + ".", source, phase);
            }
        }
        // 6. RunConfig(**raw): reference defaults, then the document's values
        Map<String, Object> fields = new LinkedHashMap<>();
        for (ConfigKey<?> key : ConfigKeys.all()) {
            if (key.reference() && !key.required()) {
                fields.put(key.name(), ConfigKeys.copyRaw(key.referenceDefault()));
            }
        }
        for (Map.Entry<?, ?> e : doc.entrySet()) {
            fields.put((String) e.getKey(), e.getValue());
        }
        Map<String, Object> ordered = new LinkedHashMap<>();
        for (ConfigKey<?> key : ConfigKeys.all()) {
            if (fields.containsKey(key.name())) {
                ordered.put(key.name(), fields.get(key.name()));
            }
        }
        // 7. base_model / data_path: `not cfg.base_model.strip() or not cfg.data_path.strip()`
        for (String k : List.of(ConfigKeys.BASE_MODEL, ConfigKeys.DATA_PATH)) {
            Object v = ordered.get(k);
            if (!(v instanceof String s)) {
                throw ConfigException.invalidValue("AttributeError", k, v, source,
                        "must be a string (a " + PyObjects.typeName(v) + " has no strip()); quote it if YAML read it as something else");
            }
            if (PyText.strip(s).isEmpty()) {
                throw ConfigException.reference("base_model and data_path must not be empty.", source, k);
            }
        }
        // 8. hard_types
        Object hardTypes = ordered.get(ConfigKeys.HARD_TYPES);
        if (!PyObjects.truthy(hardTypes)) {
            throw ConfigException.reference("hard_types must contain at least one non-empty value.", source, ConfigKeys.HARD_TYPES);
        }
        for (Object item : iterate(hardTypes, source)) {
            if (PyText.strip(PyObjects.str(item)).isEmpty()) {
                throw ConfigException.reference("hard_types must contain at least one non-empty value.", source,
                        ConfigKeys.HARD_TYPES);
            }
        }
        // 9. max_length, then lora_rank / lora_alpha (short-circuit `or`, as in the reference)
        checkPositive(ordered, ConfigKeys.MAX_LENGTH, "max_length must be positive.", source);
        checkPositive(ordered, ConfigKeys.LORA_RANK, "lora_rank and lora_alpha must be positive.", source);
        checkPositive(ordered, ConfigKeys.LORA_ALPHA, "lora_rank and lora_alpha must be positive.", source);
        return ordered;
    }

    private static void checkPositive(Map<String, Object> fields, String key, String message, String source) {
        Object v = fields.get(key);
        Boolean notPositive = ConfigValues.lessOrEqualZero(v);
        if (notPositive == null) {
            throw ConfigException.invalidValue("TypeError", key, v, source,
                    "must be a positive integer ('<=' is not supported between " + PyObjects.typeName(v) + " and int)");
        }
        if (notPositive) {
            throw ConfigException.reference(message, source, key);
        }
    }

    /** Python {@code iter(value)} for hard_types: str → characters (code points), dict → keys. */
    static List<Object> iterate(Object value, String source) {
        List<Object> out = new ArrayList<>();
        if (value instanceof String s) {
            s.codePoints().forEach(cp -> out.add(new String(Character.toChars(cp))));
        } else if (value instanceof Map<?, ?> m) {
            out.addAll(m.keySet());
        } else if (value instanceof Collection<?> c) {
            out.addAll(c);
        } else if (value instanceof byte[] b) {
            for (byte x : b) {
                out.add((int) x & 0xff);
            }
        } else {
            throw ConfigException.invalidValue("TypeError", ConfigKeys.HARD_TYPES, value, source,
                    "must be a list of type labels ('" + PyObjects.typeName(value) + "' object is not iterable)");
        }
        return out;
    }
}
