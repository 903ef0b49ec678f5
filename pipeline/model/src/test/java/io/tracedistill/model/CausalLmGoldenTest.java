package io.tracedistill.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Forward parity with the fixtures' {@code expected.json} (float64 reference of the HF eager path):
 * every logit within 1e-4 absolute, argmax per position, mean NLL, greedy tokens (full re-forward and
 * KV cache), and right/left-padded batches equal to the unpadded cases at real tokens.
 */
class CausalLmGoldenTest {
    static final double LOGIT_TOL = 1e-4;
    static final String[] MODELS = {"tiny-llama", "tiny-qwen2", "tiny-qwen3"};

    static NDManager manager;
    static final Map<String, CausalLm> MODELS_LOADED = new HashMap<>();

    @BeforeAll
    static void load() {
        manager = NDManager.newBaseManager();
        for (String m : MODELS) {
            MODELS_LOADED.put(m, CausalLm.load(Fixtures.dir(m), manager));
        }
    }

    @AfterAll
    static void close() {
        manager.close();
    }

    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        for (String m : MODELS) {
            JsonNode cases = Fixtures.json(m + "/expected.json").get("cases");
            for (int k = 0; k < cases.size(); k++) {
                out.add(Arguments.of(m + "/case" + k, m, k));
            }
        }
        return out.stream();
    }

    static Stream<Arguments> paddedBatches() {
        List<Arguments> out = new ArrayList<>();
        for (String m : MODELS) {
            JsonNode pb = Fixtures.json(m + "/expected.json").get("padded_batches");
            for (int k = 0; k < pb.size(); k++) {
                out.add(Arguments.of(m + "/" + pb.get(k).get("kind").asText(), m, k));
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void logitsArgmaxAndNll(String id, String model, int k) {
        JsonNode c = Fixtures.json(model + "/expected.json").get("cases").get(k);
        int[] ids = Fixtures.ints(c.get("input_ids"));
        double[][] expected = Fixtures.matrix(c.get("logits"));
        try (NDManager step = manager.newSubManager()) {
            NDArray logits = MODELS_LOADED.get(model).forward(Fixtures.row(ids, step));
            assertEquals(ids.length, logits.getShape().get(1));
            assertEquals(expected[0].length, logits.getShape().get(2));
            float[][] got = Fixtures.logitsRow(logits, 0);
            double diff = Fixtures.maxAbsDiff(got, 0, ids.length, expected, 0);
            System.out.printf("%s: max |logit diff| = %.3e over %d x %d (tol %.0e)%n", id, diff, ids.length,
                    expected[0].length, LOGIT_TOL);
            assertTrue(diff <= LOGIT_TOL, id + ": max logit diff " + diff + " > " + LOGIT_TOL);
            int[] argmax = new int[ids.length];
            double nll = 0;
            for (int t = 0; t < ids.length; t++) {
                argmax[t] = CausalLmGoldenTestSupport.argmax(got[t]);
                if (t + 1 < ids.length) {
                    nll -= CausalLmGoldenTestSupport.logSoftmaxAt(got[t], ids[t + 1]);
                }
            }
            assertArrayEquals(Fixtures.ints(c.get("argmax_per_position")), argmax, id + " argmax");
            double meanNll = nll / (ids.length - 1);
            double expNll = c.get("mean_nll_of_input_ids").asDouble();
            System.out.printf("%s: mean NLL %.8f vs %.8f (diff %.2e, tol 1e-5)%n", id, meanNll, expNll,
                    Math.abs(meanNll - expNll));
            assertEquals(expNll, meanNll, 1e-5, id + " mean NLL");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void greedyTokensFullReforwardAndKvCache(String id, String model, int k) {
        JsonNode c = Fixtures.json(model + "/expected.json").get("cases").get(k);
        int[] ids = Fixtures.ints(c.get("input_ids"));
        int[] expected = Fixtures.ints(c.get("greedy_new_tokens"));
        CausalLm lm = MODELS_LOADED.get(model);
        // The fixtures' greedy tokens do not stop at EOS: generate with no stop ids.
        GreedyGenerator.Options opts = new GreedyGenerator.Options(expected.length, List.of(), 0);
        int[] reforward = GreedyGenerator.generateByReforward(lm, List.of(ids), opts, manager).get(0);
        int[] cached = GreedyGenerator.generate(lm, List.of(ids), opts, manager).get(0);
        assertArrayEquals(expected, reforward, id + " full re-forward");
        assertArrayEquals(expected, cached, id + " KV cache");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("paddedBatches")
    void paddedBatchMatchesUnpadded(String id, String model, int k) {
        JsonNode root = Fixtures.json(model + "/expected.json");
        double worst = CausalLmGoldenTestSupport.paddedBatchMaxDiff(MODELS_LOADED.get(model), root, k, manager);
        System.out.printf("%s: max |logit diff| at real tokens = %.3e (tol %.0e)%n", id, worst, LOGIT_TOL);
        assertTrue(worst <= LOGIT_TOL, id + ": " + worst);
        // Positions derived from the mask reproduce the file's position_ids for left padding.
        JsonNode pb = root.get("padded_batches").get(k);
        if ("left_padding".equals(pb.get("kind").asText())) {
            try (NDManager step = manager.newSubManager()) {
                NDArray pos = CausalLm.positionsFromMask(Fixtures.ints2d(pb.get("attention_mask"), step));
                assertArrayEquals(Fixtures.ints2d(pb.get("position_ids"), step).toLongArray(), pos.toLongArray());
            }
        }
    }
}
