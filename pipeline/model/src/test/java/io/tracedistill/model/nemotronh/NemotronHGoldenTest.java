package io.tracedistill.model.nemotronh;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import io.tracedistill.model.CausalLmGoldenTestSupport;
import io.tracedistill.model.DecodeCache;
import io.tracedistill.model.Fixtures;
import io.tracedistill.model.GreedyGenerator;
import io.tracedistill.model.families.ModelFamilies;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Forward parity of the Nemotron-H port with {@code tiny-nemotron-h/expected.json} (float64 reference of
 * transformers' eager {@code NemotronHForCausalLM}; 4 cases of 5-40 tokens crossing the chunk size 8):
 * every logit within 1e-4, argmax per position, mean NLL, the 10 greedy tokens (full re-forward and with
 * the Mamba + KV cache), cached step logits against the full forward, left/right padded batches, and the
 * MoE routing of case 0 (experts, order, kept groups exact; weights within 1e-5).
 */
class NemotronHGoldenTest {
    static final double LOGIT_TOL = 1e-4;
    static final String FIXTURE = "tiny-nemotron-h";

    static NDManager manager;
    static NemotronH lm;

    @BeforeAll
    static void load() {
        manager = NDManager.newBaseManager();
        lm = (NemotronH) ModelFamilies.load(Fixtures.dir(FIXTURE), manager);
    }

    @AfterAll
    static void close() {
        manager.close();
    }

    static JsonNode root() {
        return Fixtures.json(FIXTURE + "/expected.json");
    }

    static IntStream cases() {
        return IntStream.range(0, root().get("cases").size());
    }

    @ParameterizedTest(name = "case {0}")
    @MethodSource("cases")
    void logitsArgmaxAndNll(int k) {
        JsonNode c = root().get("cases").get(k);
        int[] ids = Fixtures.ints(c.get("input_ids"));
        double[][] expected = Fixtures.matrix(c.get("logits"));
        try (NDManager step = manager.newSubManager()) {
            float[][] got = Fixtures.logitsRow(lm.forward(Fixtures.row(ids, step)), 0);
            double diff = Fixtures.maxAbsDiff(got, 0, ids.length, expected, 0);
            System.out.printf("nemotron-h case %d (%d tokens): max |logit diff| = %.3e (tol %.0e)%n", k, ids.length,
                    diff, LOGIT_TOL);
            assertTrue(diff <= LOGIT_TOL, "case " + k + ": max logit diff " + diff);
            int[] argmax = new int[ids.length];
            double nll = 0;
            for (int t = 0; t < ids.length; t++) {
                argmax[t] = CausalLmGoldenTestSupport.argmax(got[t]);
                if (t + 1 < ids.length) {
                    nll -= CausalLmGoldenTestSupport.logSoftmaxAt(got[t], ids[t + 1]);
                }
            }
            assertArrayEquals(Fixtures.ints(c.get("argmax_per_position")), argmax, "argmax case " + k);
            double meanNll = nll / (ids.length - 1);
            System.out.printf("nemotron-h case %d: mean NLL diff %.2e (tol 1e-5)%n", k,
                    Math.abs(meanNll - c.get("mean_nll_of_input_ids").asDouble()));
            assertEquals(c.get("mean_nll_of_input_ids").asDouble(), meanNll, 1e-5);
        }
    }

    @ParameterizedTest(name = "case {0}")
    @MethodSource("cases")
    void greedyTokensReforwardAndCached(int k) {
        JsonNode c = root().get("cases").get(k);
        int[] ids = Fixtures.ints(c.get("input_ids"));
        int[] expected = Fixtures.ints(c.get("greedy_new_tokens"));
        assertArrayEquals(expected, Fixtures.ints(c.get("greedy_new_tokens_cached")));
        GreedyGenerator.Options opts = new GreedyGenerator.Options(expected.length, List.of(), 0);
        assertArrayEquals(expected, GreedyGenerator.generateByReforward(lm, List.of(ids), opts, manager).get(0),
                "full re-forward, case " + k);
        assertArrayEquals(expected, GreedyGenerator.generate(lm, List.of(ids), opts, manager).get(0),
                "Mamba conv/SSM state + KV cache, case " + k);
    }

    /** A left-padded batch of all four prompts through the cache gives each prompt's own greedy tokens. */
    @Test
    void batchedCachedGreedyWithLeftPadding() {
        JsonNode cases = root().get("cases");
        List<int[]> prompts = new java.util.ArrayList<>();
        for (JsonNode c : cases) {
            prompts.add(Fixtures.ints(c.get("input_ids")));
        }
        GreedyGenerator.Options opts = new GreedyGenerator.Options(10, List.of(), 0);
        List<int[]> got = GreedyGenerator.generate(lm, prompts, opts, manager);
        for (int k = 0; k < prompts.size(); k++) {
            assertArrayEquals(Fixtures.ints(cases.get(k).get("greedy_new_tokens")), got.get(k), "row " + k);
        }
    }

    /**
     * Prefill part of case 3 with the cache, then one token per step (crossing chunk boundaries): each step's
     * logits equal the full forward's at that position.
     */
    @Test
    void cachedStepLogitsEqualFullForward() {
        int[] ids = Fixtures.ints(root().get("cases").get(3).get("input_ids"));
        int prefill = 11;
        try (NDManager step = manager.newSubManager(); DecodeCache cache = lm.newCache(step)) {
            float[][] full = Fixtures.logitsRow(lm.forward(Fixtures.row(ids, step)), 0);
            double worst = 0;
            float[][] first = Fixtures.logitsRow(lm.forward(Fixtures.row(java.util.Arrays.copyOf(ids, prefill), step),
                    null, null, cache, false), 0);
            for (int t = 0; t < prefill; t++) {
                worst = Math.max(worst, maxDiff(first[t], full[t]));
            }
            for (int t = prefill; t < ids.length; t++) {
                float[][] one = Fixtures.logitsRow(lm.forward(Fixtures.row(new int[] {ids[t]}, step), null, null,
                        cache, false), 0);
                worst = Math.max(worst, maxDiff(one[0], full[t]));
            }
            assertEquals(ids.length, cache.pastLength());
            System.out.printf("nemotron-h cached step vs full forward: max |logit diff| = %.3e over %d positions%n",
                    worst, ids.length);
            assertTrue(worst <= 1e-5, "cached vs full " + worst);
        }
    }

    @Test
    void paddedBatchesEqualUnpadded() {
        JsonNode pb = root().get("padded_batches");
        for (int k = 0; k < pb.size(); k++) {
            double worst = CausalLmGoldenTestSupport.paddedBatchMaxDiff(lm, root(), k, manager);
            System.out.printf("nemotron-h %s: max |logit diff| at real tokens = %.3e (tol %.0e)%n",
                    pb.get(k).get("kind").asText(), worst, LOGIT_TOL);
            assertTrue(worst <= LOGIT_TOL, pb.get(k).get("kind").asText() + ": " + worst);
        }
    }

    @Test
    void moeRoutingOfCase0() {
        JsonNode expected = root().get("moe_routing_case0").get("layers");
        int[] ids = Fixtures.ints(root().get("cases").get(0).get("input_ids"));
        try (NDManager step = manager.newSubManager()) {
            List<MoeRouting> got = lm.routing(Fixtures.row(ids, step));
            assertEquals(expected.size(), got.size());
            double worstWeight = 0;
            for (int l = 0; l < got.size(); l++) {
                MoeRouting r = got.get(l);
                JsonNode e = expected.get(l);
                assertEquals(e.get("layer").asInt(), r.layer());
                JsonNode tokens = e.get("tokens");
                assertEquals(ids.length, tokens.size());
                for (int t = 0; t < ids.length; t++) {
                    JsonNode et = tokens.get(t);
                    String where = "layer " + r.layer() + " position " + t;
                    assertArrayEquals(Fixtures.ints(et.get("experts")), r.experts().get(t), where + " experts");
                    assertArrayEquals(Fixtures.ints(et.get("groups")), r.groups().get(t), where + " groups");
                    for (int j = 0; j < r.weights().get(t).length; j++) {
                        worstWeight = Math.max(worstWeight,
                                Math.abs(r.weights().get(t)[j] - et.get("weights").get(j).asDouble()));
                    }
                }
            }
            System.out.printf("nemotron-h routing case 0: experts and groups exact, max |weight diff| = %.3e%n",
                    worstWeight);
            assertTrue(worstWeight <= 1e-5, "routing weights " + worstWeight);
        }
    }

    static double maxDiff(float[] a, float[] b) {
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs(a[i] - b[i]));
        }
        return m;
    }
}
