package io.tracedistill.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Small edge cases: the context rule, batch planning, arm naming, error wording. */
class EvalUnitsTest {

    @Test
    void contextRuleUsesTheSmallerLimitAndCountsNewTokens() {
        ContextLimit c = new ContextLimit(4096, 128, 12);
        assertEquals(128, c.limit());
        assertEquals(116, c.maxPromptTokens());
        assertEquals(Optional.empty(), c.check(116));
        assertEquals(Optional.of(SkipReason.PROMPT_TOO_LONG), c.check(117));
        assertEquals(100, new ContextLimit(100, 128, 12).limit());
        assertEquals("prompt_tokens + max_new_tokens (12) <= min(max_length 4096, max_position_embeddings 128) = 128",
                c.describe());
    }

    @Test
    void batchesAreSortedByLengthThenRowAndCutBySize() {
        long[] rows = {0, 1, 2, 3, 4};
        int[] lens = {30, 10, 20, 10, 30};
        // Sorted: row1(10) row3(10) row2(20) row0(30) row4(30) -> batches of 2: {1,3} {2,0} {4}.
        assertArrayEquals(new int[] {1, 0, 1, 0, 2}, BatchPlan.assign(rows, lens, 2));
        assertArrayEquals(new int[] {0, 0, 0, 0, 0}, BatchPlan.assign(rows, lens, 8));
    }

    @Test
    void planSkipsUndecodableRowsAndOrdersInsideBatches() {
        EncodedPrompt a = EncodedPrompt.decodable(new EvalExample(5, "t", "1", "u"), new int[] {1, 2, 3});
        EncodedPrompt b = EncodedPrompt.decodable(new EvalExample(2, "t", "1", "u"), new int[] {1});
        EncodedPrompt s = EncodedPrompt.skipped(new EvalExample(3, "t", "1", "u"), SkipReason.PROMPT_TOO_LONG, "x",
                999);
        List<EvalBatch> plan = BatchPlan.plan(List.of(a, s, b), 4);
        assertEquals(1, plan.size());
        assertEquals(List.of(b, a), plan.get(0).prompts());
        assertEquals("batch 0 holds row 3, which is not decodable (prompt_too_long)",
                assertThrows(IllegalArgumentException.class, () -> new EvalBatch(0, List.of(s))).getMessage());
    }

    @Test
    void armsAreBaseThenAdapterDirectoryNames() {
        List<ArmSpec> arms = ArmSpec.resolve("/runs/r1", List.of());
        assertEquals(List.of(ArmSpec.base(), new ArmSpec("adapter", Path.of("/runs/r1/adapter").toString())), arms);
        List<ArmSpec> two = ArmSpec.resolve("/x", List.of("/runs/r1/phase1_adapter", "/runs/r1/adapter/"));
        assertEquals(List.of("base", "phase1_adapter", "adapter"), two.stream().map(ArmSpec::name).toList());
        assertEquals("eval_adapters entries '/a/adapter' and '/b/adapter' have the same directory name 'adapter'; arms "
                + "are named after the directory, so rename one of them", assertThrows(IllegalArgumentException.class,
                () -> ArmSpec.resolve("/x", List.of("/a/adapter", "/b/adapter"))).getMessage());
        assertEquals("eval_adapters entry '/a/base' is named 'base', which is the name of the arm without an adapter; "
                + "rename or copy the adapter directory", assertThrows(IllegalArgumentException.class,
                () -> ArmSpec.resolve("/x", List.of("/a/base"))).getMessage());
    }

    @Test
    void skipReasonCodes() {
        assertEquals(SkipReason.TEMPLATE_ERROR, SkipReason.fromCode("template_error"));
        assertEquals("Unknown eval skip reason 'nope'; expected one of [prompt_too_long, template_error, malformed_input]",
                assertThrows(IllegalArgumentException.class, () -> SkipReason.fromCode("nope")).getMessage());
    }

    @Test
    void predictionInvariants() {
        assertEquals("row 1: finish 'eos' and reason Optional[PROMPT_TOO_LONG] disagree",
                assertThrows(IllegalArgumentException.class, () -> new Prediction(1, "base", "t", "g", "", "", false,
                        false, 1, 0, Prediction.FINISH_EOS, Optional.of(SkipReason.PROMPT_TOO_LONG))).getMessage());
        assertEquals("row 1: an unparsed output cannot be correct",
                assertThrows(IllegalArgumentException.class, () -> new Prediction(1, "base", "t", "g", "", "", false,
                        true, 1, 1, Prediction.FINISH_EOS, Optional.empty())).getMessage());
    }
}
