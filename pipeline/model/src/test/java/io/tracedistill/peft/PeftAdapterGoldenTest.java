package io.tracedistill.peft;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import io.tracedistill.model.CausalLm;
import io.tracedistill.model.CausalLmGoldenTestSupport;
import io.tracedistill.model.Fixtures;
import io.tracedistill.model.GreedyGenerator;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The PEFT adapter in {@code tiny-qwen2/lora/}: forward with the adapter equals
 * {@code expected_with_adapter.json} (1e-4 abs), merge gives {@code merged_changed_tensors.safetensors},
 * unmerge restores the base, and save reproduces the adapter file byte for byte.
 */
class PeftAdapterGoldenTest {
    static final double LOGIT_TOL = 1e-4;
    static final String EXPECTED = "tiny-qwen2/lora/expected_with_adapter.json";

    static NDManager manager;
    static LoraModel adapted;

    @BeforeAll
    static void load() {
        manager = NDManager.newBaseManager();
        CausalLm lm = CausalLm.load(Fixtures.dir("tiny-qwen2"), manager);
        adapted = PeftAdapter.load(lm, Fixtures.dir("tiny-qwen2/lora"), manager);
    }

    @AfterAll
    static void close() {
        manager.close();
    }

    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        JsonNode cases = Fixtures.json(EXPECTED).get("cases");
        for (int k = 0; k < cases.size(); k++) {
            out.add(Arguments.of("lora/case" + k, k));
        }
        return out.stream();
    }

    static Stream<Arguments> paddedBatches() {
        List<Arguments> out = new ArrayList<>();
        JsonNode pb = Fixtures.json(EXPECTED).get("padded_batches");
        for (int k = 0; k < pb.size(); k++) {
            out.add(Arguments.of("lora/" + pb.get(k).get("kind").asText(), k));
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void adapterLogitsArgmaxAndGreedy(String id, int k) {
        JsonNode c = Fixtures.json(EXPECTED).get("cases").get(k);
        int[] ids = Fixtures.ints(c.get("input_ids"));
        double[][] expected = Fixtures.matrix(c.get("logits"));
        try (NDManager step = manager.newSubManager()) {
            float[][] got = Fixtures.logitsRow(adapted.model().forward(Fixtures.row(ids, step)), 0);
            double diff = Fixtures.maxAbsDiff(got, 0, ids.length, expected, 0);
            System.out.printf("%s: max |logit diff| with adapter = %.3e (tol %.0e)%n", id, diff, LOGIT_TOL);
            assertTrue(diff <= LOGIT_TOL, id + ": " + diff);
            int[] argmax = new int[ids.length];
            for (int t = 0; t < ids.length; t++) {
                argmax[t] = CausalLmGoldenTestSupport.argmax(got[t]);
            }
            assertArrayEquals(Fixtures.ints(c.get("argmax_per_position")), argmax, id + " argmax");
        }
        int[] greedy = Fixtures.ints(c.get("greedy_new_tokens"));
        GreedyGenerator.Options opts = new GreedyGenerator.Options(greedy.length, List.of(), 0);
        assertArrayEquals(greedy, GreedyGenerator.generate(adapted.model(), List.of(ids), opts, manager).get(0),
                id + " greedy (KV cache)");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("paddedBatches")
    void adapterPaddedBatch(String id, int k) {
        JsonNode root = Fixtures.json(EXPECTED);
        double worst = CausalLmGoldenTestSupport.paddedBatchMaxDiff(adapted.model(), root, k, manager);
        System.out.printf("%s: max |logit diff| at real tokens = %.3e (tol %.0e)%n", id, worst, LOGIT_TOL);
        assertTrue(worst <= LOGIT_TOL, id + ": " + worst);
    }

    @Test
    void adapterChangesTheModel() {
        // The fixture's own claim (max_abs_diff_vs_base_model ≈ 4-6): guards against an adapter that is ignored.
        try (NDManager local = NDManager.newBaseManager(); NDManager step = local.newSubManager()) {
            CausalLm base = CausalLm.load(Fixtures.dir("tiny-qwen2"), local);
            int[] ids = Fixtures.ints(Fixtures.json(EXPECTED).get("cases").get(0).get("input_ids"));
            float[][] b = Fixtures.logitsRow(base.forward(Fixtures.row(ids, step)), 0);
            float[][] a = Fixtures.logitsRow(adapted.model().forward(Fixtures.row(ids, step)), 0);
            double max = 0;
            for (int t = 0; t < ids.length; t++) {
                for (int v = 0; v < a[t].length; v++) {
                    max = Math.max(max, Math.abs(a[t][v] - b[t][v]));
                }
            }
            System.out.printf("adapter vs base: max |logit diff| = %.3f%n", max);
            assertTrue(max > 1.0, "adapter barely changes logits: " + max);
        }
    }

    @Test
    void mergeMatchesPeftAndUnmergeRestoresBase() {
        try (NDManager local = NDManager.newBaseManager()) {
            CausalLm lm = CausalLm.load(Fixtures.dir("tiny-qwen2"), local);
            Map<String, float[]> before = new java.util.HashMap<>();
            lm.parameters().forEach((k, v) -> before.put(k, v.toFloatArray()));
            LoraModel lora = PeftAdapter.load(lm, Fixtures.dir("tiny-qwen2/lora"), local);
            assertEquals(3.0, lora.config().scaling(), 0.0);
            lora.merge();
            double worst = AdapterFixtures.mergedWeightsMaxDiff(lora, "tiny-qwen2", 10);
            System.out.printf("merge: max |W' diff| over 10 tensors = %.3e (tol 1e-5)%n", worst);
            assertTrue(worst <= 1e-5, "merged weights differ by " + worst);
            // Merged forward = adapter forward.
            JsonNode c = Fixtures.json(EXPECTED).get("cases").get(2);
            int[] ids = Fixtures.ints(c.get("input_ids"));
            try (NDManager step = local.newSubManager()) {
                float[][] got = Fixtures.logitsRow(lm.forward(Fixtures.row(ids, step)), 0);
                double diff = Fixtures.maxAbsDiff(got, 0, ids.length, Fixtures.matrix(c.get("logits")), 0);
                System.out.printf("merged forward: max |logit diff| = %.3e (tol %.0e)%n", diff, LOGIT_TOL);
                assertTrue(diff <= LOGIT_TOL);
            }
            lora.unmerge();
            for (Map.Entry<String, NDArray> e : lm.parameters().entrySet()) {
                String module = e.getKey().substring(0, e.getKey().lastIndexOf('.'));
                float[] now = lora.layers().containsKey(module) && e.getKey().endsWith(".weight")
                        ? lora.layers().get(module).baseLayer().weight().toFloatArray()
                        : e.getValue().toFloatArray();
                assertArrayEquals(before.get(e.getKey()), now, 0f, "unmerge must restore " + e.getKey());
            }
        }
    }

    @Test
    void saveReproducesAdapterBytesAndConfig(@TempDir Path tmp) throws Exception {
        PeftAdapter.save(adapted, tmp, "tiny-qwen2");
        Path original = Fixtures.dir("tiny-qwen2/lora");
        assertArrayEquals(Files.readAllBytes(original.resolve(PeftAdapter.WEIGHTS_FILE)),
                Files.readAllBytes(tmp.resolve(PeftAdapter.WEIGHTS_FILE)), "adapter_model.safetensors bytes");
        JsonNode want = new com.fasterxml.jackson.databind.ObjectMapper().readTree(original.resolve(PeftAdapter.CONFIG_FILE).toFile());
        JsonNode got = new com.fasterxml.jackson.databind.ObjectMapper().readTree(tmp.resolve(PeftAdapter.CONFIG_FILE).toFile());
        assertEquals(want, got, "adapter_config.json");
        assertEquals(PeftAdapter.readConfig(original), PeftAdapter.readConfig(tmp));
    }
}
