package io.tracedistill.spark.tokenize;

import io.tracedistill.run.Phase;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tracedistill.config.ConfigLoader;
import io.tracedistill.config.RunConfig;
import io.tracedistill.config.ShardFormat;
import io.tracedistill.order.StratifiedOrder;
import io.tracedistill.tokens.HfTokenizer;
import java.math.BigInteger;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Hand-checkable pieces of the tokenize stage that need no Spark. */
class TokenizeUnitTest {

    @Test
    void survivorPositionsInvertTheStratifiedOrderOverSurvivorsOnly() {
        // Survivors have phase_index 0, 2, 5 (1, 3, 4 dropped); the order is over the 3 survivors, not the 6 records.
        List<String> types = List.of("b", "a", "b");
        long[] pos = SurvivorOrder.positions(new long[] {0, 2, 5}, types, 2, BigInteger.valueOf(3));
        int[] order = StratifiedOrder.indexOrder(types, 2, 3L);
        for (int k = 0; k < order.length; k++) {
            assertEquals(k, pos[order[k]], "survivor " + order[k] + " trains at position " + k);
        }
        long[] sorted = pos.clone();
        java.util.Arrays.sort(sorted);
        assertArrayEquals(new long[] {0, 1, 2}, sorted, "positions are 0..n-1");
    }

    @Test
    void survivorOrderRejectsDuplicatePhaseIndices() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> SurvivorOrder.positions(new long[] {0, 3, 3}, List.of("a", "a", "a"), 1, BigInteger.ONE));
        assertTrue(e.getMessage().contains("got 3 then 3"), e.getMessage());
    }

    @Test
    void nearestRankPercentiles() {
        java.util.TreeMap<Integer, Long> lengths = new java.util.TreeMap<>();
        for (int v = 10; v <= 100; v += 10) {
            lengths.put(v, 1L);
        }
        assertEquals(50, TokenStats.nearestRank(lengths, 10, 50));
        assertEquals(90, TokenStats.nearestRank(lengths, 10, 90));
        assertEquals(100, TokenStats.nearestRank(lengths, 10, 99));
        assertEquals(7, TokenStats.nearestRank(new java.util.TreeMap<>(Map.of(7, 1L)), 1, 50));
        // Counts > 1: 3 rows of 5 tokens and 1 of 9 are the sorted lengths 5, 5, 5, 9.
        java.util.TreeMap<Integer, Long> repeated = new java.util.TreeMap<>(Map.of(5, 3L, 9, 1L));
        assertEquals(5, TokenStats.nearestRank(repeated, 4, 50));
        assertEquals(5, TokenStats.nearestRank(repeated, 4, 75));
        assertEquals(9, TokenStats.nearestRank(repeated, 4, 76));
        assertEquals(Map.of("min", 5, "p50", 5, "p90", 9, "p99", 9, "max", 9, "mean", 6.0), TokenStats.lengthSummary(repeated));
    }

    @Test
    void statsAccountForEveryRowPerType() {
        TokenStats s = new TokenStats(100);
        s.addKept("a", 96, 10); // within 5% of max_length (>= 95)
        s.addKept("a", 50, 5);
        s.addDropped("a", "truncated_no_completion");
        s.addDropped("b", "template_error");
        Map<String, Object> m = s.toManifest();
        assertEquals(4L, m.get("input_rows"));
        assertEquals(2L, m.get("kept"));
        assertEquals(2L, m.get("quarantined"));
        assertEquals(15L, m.get("total_loss_tokens"));
        assertEquals(146L, m.get("total_tokens"));
        assertEquals(1L, m.get("rows_within_5pct_of_max_length"));
        assertEquals(0.5, m.get("share_within_5pct_of_max_length"));
        @SuppressWarnings("unchecked")
        Map<String, Map<String, Object>> byType = (Map<String, Map<String, Object>>) m.get("by_type");
        assertEquals(List.of("a", "b"), List.copyOf(byType.keySet()));
        assertEquals(3L, byType.get("a").get("input_rows"));
        assertEquals(1L, byType.get("b").get("input_rows"));
        assertEquals(0L, byType.get("b").get("kept"));
    }

    @Test
    void settingsComeFromTheRunConfig() {
        RunConfig cfg = ConfigLoader.parse(String.join("\n",
                "base_model: /models/tiny",
                "data_path: data.csv",
                "hard_types: [cipher]",
                "max_length: 256",
                "seed: 42",
                "enable_thinking: false",
                "phase1: {per_device_train_batch_size: 2, gradient_accumulation_steps: 2}",
                "phase2: {per_device_train_batch_size: 1, gradient_accumulation_steps: 3}",
                "world_size: 2",
                "chat_date: '2025-07-10'",
                "shard_format: jsonl",
                ""), "config.yaml");
        TokenizeSettings s = TokenizeSettings.from(cfg);
        assertEquals("/models/tiny", s.modelDir());
        assertEquals(256, s.maxLength());
        assertEquals(BigInteger.valueOf(42), s.seed());
        assertEquals(false, s.enableThinking());
        assertEquals(Optional.of(LocalDate.of(2025, 7, 10)), s.chatDate());
        assertEquals(ShardFormat.JSONL, s.shardFormat());
        assertEquals(8, s.effectiveBatch(Phase.PHASE1));
        assertEquals(6, s.effectiveBatch(Phase.PHASE2));
        assertEquals(".jsonl", s.shardFormat().extension());
    }

    @Test
    void rowTokenizerQuarantinesTruncationAndExplainsIt() {
        try (HfTokenizer tok = HfTokenizer.load(TrajectoryFixture.path("fixtures/tiny-qwen2"))) {
            RowTokenizer rt = new RowTokenizer(tok, new ChatMlTestRenderer(), 10);
            // "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n" is 21 tokens > 10.
            TokenizedRow out = rt.tokenize("Hi", "Yo");
            TokenizedRow.Dropped d = (TokenizedRow.Dropped) out;
            assertEquals(TokenDropReason.TRUNCATED_NO_COMPLETION, d.reason());
            assertTrue(d.detail().contains("has 21 tokens"), d.detail());
            TokenizedRow kept = new RowTokenizer(tok, new ChatMlTestRenderer(), 64).tokenize("Hi", "Yo");
            var ex = ((TokenizedRow.Kept) kept).example();
            assertEquals(21 + 2 + 2, ex.numTokens()); // + "Yo" + <|im_end|> + "\n"
            assertEquals(4, ex.numLossTokens());
        }
    }

    @Test
    void executorResourcesAreLoadedOncePerJvmAndKey() {
        String dir = TrajectoryFixture.path("fixtures/tiny-qwen2").toString();
        LocalDate date = LocalDate.of(2025, 7, 10);
        ExecutorResources a = ExecutorResources.get(dir, true, date, ChatMlTestRenderer.FACTORY);
        ExecutorResources b = ExecutorResources.get(dir + "/.", true, date, ChatMlTestRenderer.FACTORY);
        assertTrue(a == b, "same normalized model dir, same settings: one shared instance");
        ExecutorResources other = ExecutorResources.get(dir, true, date.plusDays(1), ChatMlTestRenderer.FACTORY);
        assertTrue(a != other, "another chat date renders differently: its own entry");
        assertTrue(a.tokenizer() == other.tokenizer(), "but the model's native tokenizer is loaded once");
    }
}
