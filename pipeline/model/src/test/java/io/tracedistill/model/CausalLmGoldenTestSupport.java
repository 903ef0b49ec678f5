package io.tracedistill.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;

/** Shared checks for golden tests of a model with or without an adapter. */
public final class CausalLmGoldenTestSupport {
    private CausalLmGoldenTestSupport() {
    }

    /** log_softmax(v)[idx] in double (max-shifted). */
    public static double logSoftmaxAt(float[] v, int idx) {
        double max = Double.NEGATIVE_INFINITY;
        for (float x : v) {
            max = Math.max(max, x);
        }
        double sum = 0;
        for (float x : v) {
            sum += Math.exp(x - max);
        }
        return v[idx] - max - Math.log(sum);
    }

    public static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) {
            if (v[i] > v[best]) {
                best = i;
            }
        }
        return best;
    }

    /**
     * Runs {@code padded_batches[k]} of an expected.json and returns the largest |logit diff| at real
     * tokens against the unpadded {@code cases[0]} and {@code cases[1]}.
     */
    public static double paddedBatchMaxDiff(LanguageModel lm, JsonNode root, int k, NDManager manager) {
        JsonNode pb = root.get("padded_batches").get(k);
        boolean left = "left_padding".equals(pb.get("kind").asText());
        try (NDManager step = manager.newSubManager()) {
            NDArray ids = Fixtures.ints2d(pb.get("input_ids"), step);
            NDArray mask = Fixtures.ints2d(pb.get("attention_mask"), step);
            NDArray pos = pb.get("position_ids") == null || pb.get("position_ids").isNull()
                    ? null : Fixtures.ints2d(pb.get("position_ids"), step);
            NDArray logits = lm.forward(ids, mask, pos, null, false);
            double worst = 0;
            for (int r = 0; r < 2; r++) {
                int[] m = Fixtures.ints(pb.get("attention_mask").get(r));
                int first = 0;
                while (m[first] == 0) {
                    first++;
                }
                int real = 0;
                for (int v : m) {
                    real += v;
                }
                double[][] expected = Fixtures.matrix(root.get("cases").get(r).get("logits"));
                float[][] got = Fixtures.logitsRow(logits, r);
                int from = left ? first : 0;
                worst = Math.max(worst, Fixtures.maxAbsDiff(got, from, from + real, expected, 0));
            }
            return worst;
        }
    }
}
