package io.tracedistill.targets;

import com.fasterxml.jackson.databind.JsonNode;
import io.tracedistill.contract.GoldenResources;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * {@link LoraTargets#architectureAware} against {@code golden/architecture_aware_targets.json}
 * (264 cases: Llama, Qwen2, Nemotron-H, GPT-2, Phi-3, Mixtral, PEFT-wrapped and odd names, all 8
 * flag combinations, 80 fuzz cases), and the pools against {@code meta.constants}.
 */
class LoraTargetsGoldenTest {

    static final String FILE = "architecture_aware_targets.json";

    static JsonNode golden() {
        return GoldenResources.load(FILE);
    }

    static Stream<Arguments> cases() {
        return GoldenResources.cases(FILE, "cases").stream().map(c -> Arguments.of(c.get("id").asText(), c));
    }

    static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        for (JsonNode s : array) {
            out.add(s.asText());
        }
        return out;
    }

    @Test
    void caseCountMatchesMeta() {
        JsonNode g = golden();
        assertEquals(g.get("meta").get("case_count").asInt(), g.get("cases").size());
        assertEquals(264, g.get("cases").size());
    }

    @Test
    void poolsMatchReferenceConstants() {
        JsonNode k = golden().get("meta").get("constants");
        assertEquals(strings(k.get("ATTENTION_TARGETS")), LoraTargets.ATTENTION_TARGETS);
        assertEquals(strings(k.get("MAMBA_TARGETS")), LoraTargets.MAMBA_TARGETS);
        assertEquals(strings(k.get("MLP_TARGETS")), LoraTargets.MLP_TARGETS);
        assertEquals(strings(k.get("DEFAULT_TARGET_MODULES")), LoraTargets.DEFAULT_TARGET_MODULES);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void matchesReference(String id, JsonNode c) {
        List<String> actual = LoraTargets.architectureAware(strings(c.get("module_names")),
                c.get("attention").asBoolean(), c.get("mamba").asBoolean(), c.get("mlp").asBoolean());
        assertEquals(strings(c.get("expected")), actual);
    }
}
