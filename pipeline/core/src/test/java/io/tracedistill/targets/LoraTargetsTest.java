package io.tracedistill.targets;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Hand-checkable cases of {@link LoraTargets}. */
class LoraTargetsTest {

    private static final List<String> LLAMA = List.of("model.layers.0.self_attn.q_proj",
            "model.layers.0.self_attn.k_proj", "model.layers.0.self_attn.v_proj", "model.layers.0.self_attn.o_proj",
            "model.layers.0.mlp.gate_proj", "model.layers.0.mlp.up_proj", "model.layers.0.mlp.down_proj", "lm_head");

    @Test
    void leafIsTextAfterLastDot() {
        assertEquals("q_proj", LoraTargets.leaf("q_proj"));
        assertEquals("q_proj", LoraTargets.leaf("a.b.q_proj"));
        assertEquals("", LoraTargets.leaf("a.b."));
        assertEquals("", LoraTargets.leaf(""));
    }

    @Test
    void orderFollowsPoolsNotInput() {
        assertEquals(List.of("q_proj", "in_proj", "down_proj"),
                LoraTargets.architectureAware(List.of("x.down_proj", "y.in_proj", "z.q_proj", "w.q_proj")));
        assertEquals(List.of("down_proj"),
                LoraTargets.architectureAware(List.of("x.down_proj", "y.in_proj", "z.q_proj"), false, false, true));
    }

    @Test
    void unmatchedTargetsForAMambaListOnLlama() {
        assertEquals(List.of("in_proj", "out_proj"),
                LoraTargets.unmatchedTargets(LoraTargets.DEFAULT_TARGET_MODULES, LLAMA));
        assertEquals(List.of(), LoraTargets.unmatchedTargets(List.of("self_attn.q_proj", "lm_head"), LLAMA));
    }

    @Test
    void peftSuffixRule() {
        assertTrue(LoraTargets.matches("q_proj", "q_proj"));
        assertTrue(LoraTargets.matches("self_attn.q_proj", "model.layers.0.self_attn.q_proj"));
        assertFalse(LoraTargets.matches("q_proj", "model.layers.0.self_attn.xq_proj"));
    }
}
