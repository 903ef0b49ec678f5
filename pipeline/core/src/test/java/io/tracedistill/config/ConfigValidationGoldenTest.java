package io.tracedistill.config;

import com.fasterxml.jackson.databind.JsonNode;
import io.tracedistill.contract.GoldenResources;
import io.tracedistill.python.PyObjects;
import io.tracedistill.python.PyText;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link ConfigLoader} against golden/config_validation.json (reference run.load_config, PyYAML 6.0).
 *
 * <p>Every case is checked at two levels:
 * <ol>
 *   <li>the reference's own checks ({@link ConfigLoader#referenceFields}): accepted cases must give
 *       every field with the golden Python repr and type; rejected cases must fail with the golden
 *       Python exception type and, unless the golden marks the message as Python-internal, the exact
 *       message;</li>
 *   <li>the typed {@link RunConfig}: accepted cases load, except the ones listed in {@link #STRICTER},
 *       where this port deliberately rejects a value the reference lets through (each with its pinned
 *       message).</li>
 * </ol>
 * Two deliberate YAML deviations are listed in {@link #YAML_FLOAT_DEVIATION}.
 */
class ConfigValidationGoldenTest {

    private static final String SOURCE = "config.yaml";

    /**
     * PyYAML (YAML 1.1) loads {@code 1e-4} and {@code 1.0e9} (no dot / unsigned exponent) as strings;
     * our loader loads them as the numbers the author meant. For these cases the golden repr of the
     * string is replaced by the float's repr before comparing.
     */
    private static final Map<String, List<String[]>> YAML_FLOAT_DEVIATION = Map.of(
            "lr_1e-4_is_string_in_yaml11", List.<String[]>of(new String[] {"'1e-4'", "0.0001"}),
            "example_reproduce_competition", List.<String[]>of(new String[] {"'1.0e9'", "1000000000.0"}));

    /** Accepted by the reference, rejected here with these messages (the value would break training later). */
    private static final Map<String, String> STRICTER = Map.ofEntries(
            Map.entry("all_phase_keys", "Invalid value 1 for phase1.lr_scheduler_type in config.yaml: "
                    + "must be one of linear, cosine, constant, constant_with_warmup"),
            Map.entry("seed_negative", "Invalid value -5 for seed in config.yaml: must be between 0 and 4294967295 "
                    + "when shuffle is true (numpy RandomState(seed) shuffles the frame before the two-phase split); "
                    + "pick such a seed or set shuffle: false"),
            Map.entry("seed_float", "Invalid value 4.5 for seed in config.yaml: must be an integer"),
            Map.entry("seed_string", "Invalid value 'abc' for seed in config.yaml: must be an integer (YAML read it as a string)"),
            Map.entry("max_length_float", "Invalid value 1.5 for max_length in config.yaml: must be an integer"),
            Map.entry("max_length_true", "Invalid value True for max_length in config.yaml: must be an integer (YAML read it as a boolean)"),
            Map.entry("max_length_inf", "Invalid value inf for max_length in config.yaml: must be an integer"),
            Map.entry("max_length_nan", "Invalid value nan for max_length in config.yaml: must be an integer"),
            Map.entry("lora_rank_float", "Invalid value 0.5 for lora_rank in config.yaml: must be an integer"),
            Map.entry("lora_dropout_string", "Invalid value 'high' for lora_dropout in config.yaml: must be a number "
                    + "(YAML read it as a string; write numbers unquoted, e.g. 2.0e-4)"),
            Map.entry("target_modules_string", "Invalid value 'q_proj' for target_modules in config.yaml: "
                    + "must be a list of module names (write [q_proj] for a single one)"),
            Map.entry("bf16_quoted", "Invalid value 'false' for bf16 in config.yaml: must be true or false (YAML read it as a string)"),
            Map.entry("output_dir_int", "Invalid value 123 for output_dir in config.yaml: must be a string"),
            Map.entry("phase1_null_value_ok", "Invalid value None for phase1.learning_rate in config.yaml: must be a number "
                    + "(it is null; remove the key to use the default)"));

    static Stream<Arguments> cases() {
        return GoldenResources.cases("config_validation.json", "cases").stream()
                .map(c -> Arguments.of(c.get("id").asText(), c));
    }

    private static ByteArrayInputStream yaml(JsonNode c) {
        return new ByteArrayInputStream(c.get("yaml").asText().getBytes(StandardCharsets.UTF_8));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void loadConfigMatchesReference(String id, JsonNode c) {
        if (c.get("accepted").asBoolean()) {
            checkAccepted(id, c);
        } else {
            checkRejected(id, c);
        }
    }

    private void checkAccepted(String id, JsonNode c) {
        Map<String, Object> fields = ConfigLoader.referenceFields(yaml(c), SOURCE);
        JsonNode reprs = c.get("field_reprs");
        JsonNode types = c.get("field_types");
        List<String> fieldOrder = new ArrayList<>();
        reprs.fieldNames().forEachRemaining(fieldOrder::add);
        for (String f : fieldOrder) {
            String expected = reprs.get(f).asText();
            for (String[] dev : YAML_FLOAT_DEVIATION.getOrDefault(id, List.of())) {
                expected = expected.replace(dev[0], dev[1]);
            }
            assertTrue(fields.containsKey(f), id + ": missing field " + f);
            assertEquals(expected, PyObjects.repr(fields.get(f)), id + ": repr of " + f);
            assertEquals(types.get(f).asText(), PyObjects.typeName(fields.get(f)), id + ": type of " + f);
        }
        assertEquals(fieldOrder, new ArrayList<>(fields.keySet()).subList(0, fieldOrder.size()), id + ": field order");

        if (STRICTER.containsKey(id)) {
            ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.parse(yaml(c), SOURCE), id);
            assertTrue(e.stricterThanReference(), id + ": should be marked stricter than the reference");
            assertTrue(e.referenceErrorType().isEmpty(), id);
            assertEquals(STRICTER.get(id), e.getMessage(), id);
            return;
        }
        RunConfig cfg = ConfigLoader.parse(yaml(c), SOURCE);
        JsonNode golden = c.get("fields");
        assertEquals(golden.get("base_model").asText(), cfg.model().baseModel(), id);
        assertEquals(golden.get("data_path").asText(), cfg.data().dataPath(), id);
        assertEquals(golden.get("output_dir").asText(), cfg.output().outputDir(), id);
        assertEquals(golden.get("lora_rank").asInt(), cfg.lora().rank(), id);
        assertEquals(golden.get("lora_alpha").asInt(), cfg.lora().alpha(), id);
        assertEquals(golden.get("lora_dropout").asDouble(), cfg.lora().dropout(), 0.0, id);
        assertEquals(golden.get("max_length").asInt(), cfg.model().maxLength(), id);
        assertEquals(golden.get("seed").asLong(), cfg.seed(), id);
        assertEquals(golden.get("bf16").asBoolean(), cfg.model().bf16(), id);
        assertEquals(golden.get("enable_thinking").asBoolean(), cfg.model().enableThinking(), id);
        assertEquals(golden.get("use_unsloth").asBoolean(), cfg.model().useUnsloth(), id);
        assertEquals(golden.get("trust_remote_code").asBoolean(), cfg.model().trustRemoteCode(), id);
        assertEquals(golden.get("attn_implementation").asText(), cfg.model().attnImplementation(), id);
        assertEquals(GoldenResources.textOrNull(golden.get("base_model_name_for_submission")),
                cfg.output().baseModelNameForSubmission().orElse(null), id);
        assertEquals(golden.get("package_zip").asBoolean(), cfg.output().packageZip(), id);
        List<String> expectedHard = new ArrayList<>();
        JsonNode hard = golden.get("hard_types");
        if (hard.isTextual()) {
            hard.asText().codePoints().forEach(cp -> expectedHard.add(new String(Character.toChars(cp))));
        } else if (hard.isObject()) {
            hard.fieldNames().forEachRemaining(expectedHard::add);
        } else {
            hard.forEach(h -> expectedHard.add(h.isNull() ? "None" : h.isBoolean() ? (h.asBoolean() ? "True" : "False") : h.asText()));
        }
        assertEquals(expectedHard, cfg.data().hardTypes(), id + ": hard_types as the reference iterates them (str(item))");
        List<String> expectedTargets = new ArrayList<>();
        golden.get("target_modules").forEach(t -> expectedTargets.add(t.asText()));
        assertEquals(expectedTargets, cfg.lora().targetModules(), id);
        checkPhase(id, golden.get("phase1"), PhaseConfig.train(), cfg.train().phase1());
        checkPhase(id, golden.get("phase2"), PhaseConfig.nudge(), cfg.train().phase2());
    }

    private static void checkPhase(String id, JsonNode overrides, PhaseConfig preset, PhaseConfig actual) {
        Map<String, Object> expected = preset.toMap();
        overrides.fields().forEachRemaining(e -> {
            Object base = expected.get(e.getKey());
            JsonNode v = e.getValue();
            // a YAML-1.1 string float ("1.0e9") is compared as the number it denotes (see YAML_FLOAT_DEVIATION)
            Object value;
            if (base instanceof Integer) {
                value = v.asInt();
            } else if (base instanceof String) {
                value = v.asText();
            } else {
                value = v.isTextual() ? Double.parseDouble(v.asText()) : v.asDouble();
            }
            expected.put(e.getKey(), value);
        });
        assertEquals(expected, actual.toMap(), id + ": resolved phase");
    }

    private void checkRejected(String id, JsonNode c) {
        String expectedType = c.get("error_type").asText();
        boolean internal = c.get("python_internal_message").asBoolean();
        ConfigException ref = assertThrows(ConfigException.class, () -> ConfigLoader.referenceFields(yaml(c), SOURCE), id);
        ConfigException typed = assertThrows(ConfigException.class, () -> ConfigLoader.parse(yaml(c), SOURCE), id);
        assertEquals(ref.getMessage(), typed.getMessage(), id + ": the typed loader must fail the same way");
        assertEquals(expectedType, ref.referenceErrorType().orElse("<accepted by reference>"), id + ": Python exception type");
        assertFalse(ref.stricterThanReference(), id);
        if (internal) {
            // our own wording for what Python reports as TypeError/AttributeError/YAML errors names the file
            assertTrue(ref.getMessage().contains(SOURCE), id + ": message must name the file: " + ref.getMessage());
        }
        if (!internal) {
            String expected = c.get("message").asText();
            if (expected.startsWith("Unknown config keys ")) {
                expected += UNKNOWN_KEY_SUFFIX;
            }
            assertEquals(expected, ref.getMessage(), id);
        }
    }

    /** Our addition to the reference's unknown-key message: the extension keys are valid too. */
    private static final String UNKNOWN_KEY_SUFFIX = " This port also accepts: "
            + PyText.reprSortedList(ConfigKeys.extensionNames()) + ".";

    @Test
    void referenceDefaultsAndFieldOrderMatchGoldenMeta() {
        JsonNode meta = GoldenResources.load("config_validation.json").get("meta");
        List<String> order = new ArrayList<>();
        meta.get("field_order").forEach(f -> order.add(f.asText()));
        assertEquals(order, ConfigKeys.referenceNames());
        meta.get("defaults").fields().forEachRemaining(e -> {
            String expected = e.getValue().isTextual() && e.getValue().asText().equals("<required>") ? "<required>"
                    : jsonRepr(e.getValue());
            assertEquals(expected, ConfigKeys.referenceDefaultRepr(e.getKey()), e.getKey());
        });
        List<String> phaseFields = new ArrayList<>();
        meta.get("phase_fields").forEach(f -> phaseFields.add(f.asText()));
        assertEquals(phaseFields, PhaseConfig.KEYS);
    }

    private static String jsonRepr(JsonNode n) {
        if (n.isNull()) {
            return "None";
        }
        if (n.isBoolean()) {
            return n.asBoolean() ? "True" : "False";
        }
        if (n.isObject() && n.size() == 0) {
            return "{}";
        }
        if (n.isIntegralNumber()) {
            return n.asText();
        }
        if (n.isNumber()) {
            return PyText.floatRepr(n.asDouble());
        }
        return PyText.repr(n.asText());
    }
}
