package io.tracedistill.model.nemotronh;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import io.tracedistill.model.LinearProjection;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Nemotron-H's mixture of experts ({@code E}), as transformers' {@code NemotronHMoE} (eager experts):
 * sigmoid router in float32; {@code e_score_correction_bias} added for the choice only; group-limited
 * top-k (groups ranked by the sum of their two best biased scores, {@code topk_group} kept); combine weights
 * from the unbiased scores, renormalised over the chosen k (+1e-20) when {@code norm_topk_prob}, times
 * {@code routed_scaling_factor}; non-gated relu² experts plus the shared expert.
 *
 * <p>The choice is discrete, so it is made on the host; the weights are gathered from the score array, so
 * gradients reach the router input. Each expert runs only on the tokens routed to it: the routed rows are
 * gathered once in expert order and split into one block per expert, the outputs concatenated in that order
 * and gathered back into (token, slot) order.
 */
final class MoeMixer extends Mixer {
    private final NemotronHConfig cfg;
    private final int layer;
    private final NDArray gate;        // [E, H]
    private final float[] correction; // [E]

    MoeMixer(NemotronHConfig cfg, int layer, NDArray gate, NDArray correctionBias, List<LinearProjection[]> experts,
             LinearProjection sharedUp, LinearProjection sharedDown) {
        this.cfg = cfg;
        this.layer = layer;
        this.gate = gate;
        this.correction = correctionBias.toFloatArray();
        for (int e = 0; e < experts.size(); e++) {
            slot(expertSlot(e, Relu2Mlp.UP), experts.get(e)[0]);
            slot(expertSlot(e, Relu2Mlp.DOWN), experts.get(e)[1]);
        }
        slot("shared_experts." + Relu2Mlp.UP, sharedUp);
        slot("shared_experts." + Relu2Mlp.DOWN, sharedDown);
    }

    static String expertSlot(int e, String proj) {
        return "experts." + e + "." + proj;
    }

    @Override
    List<String> moduleNames() {
        List<String> names = new ArrayList<>();
        names.add("gate");
        names.add("experts");
        for (int e = 0; e < cfg.nRoutedExperts(); e++) {
            names.add("experts." + e);
            names.add(expertSlot(e, Relu2Mlp.UP));
            names.add(expertSlot(e, Relu2Mlp.DOWN));
            names.add("experts." + e + ".act_fn");
        }
        names.add("shared_experts");
        names.add("shared_experts." + Relu2Mlp.UP);
        names.add("shared_experts." + Relu2Mlp.DOWN);
        names.add("shared_experts.act_fn");
        return names;
    }

    @Override
    String kind() {
        return "MoE";
    }

    @Override
    NDArray forward(NDArray h, ForwardContext ctx) {
        Shape s = h.getShape();
        int hidden = (int) s.get(2);
        int tokens = (int) (s.get(0) * s.get(1));
        int k = cfg.numExpertsPerTok();
        NDManager m = h.getManager();
        NDArray flat = h.reshape(tokens, hidden);
        NDArray scores = Activation.sigmoid(ai.djl.nn.core.Linear.linear(flat, gate).singletonOrThrow()); // [N, E]

        // 1. Choose on the host (biased scores), then gather the unbiased weights on the graph.
        float[] host = scores.toFloatArray();
        int experts = cfg.nRoutedExperts();
        MoeRouting log = ctx.routingLog() == null ? null
                : new MoeRouting(layer, new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
        long[] chosen = chooseAll(host, tokens, correction, cfg, log);            // [N·k], (token, slot) order
        NDArray idx = m.create(chosen, new Shape(tokens, k));
        NDArray w = scores.gather(idx, 1);                                         // [N, k]
        if (cfg.normTopkProb()) {
            w = w.div(w.sum(new int[] {1}, true).add(1e-20f));
        }
        w = w.mul(m.create((float) cfg.routedScalingFactor()));
        if (log != null) {
            float[] wf = w.toFloatArray();
            for (int i = 0; i < tokens; i++) {
                log.weights().add(Arrays.copyOfRange(wf, i * k, (i + 1) * k));
            }
            ctx.routingLog().add(log);
        }

        // 2. Experts on their own tokens: rows sorted by expert, outputs gathered back to (token, slot).
        ExpertOrder order = ExpertOrder.of(chosen, k, experts);
        int[] count = order.count();
        long[] sortedToken = order.sortedToken();
        long[] slotToSorted = order.slotToSorted();
        int[] start = order.start();
        // One gather for every routed row, then a split into the experts' blocks (a gather per expert would cost
        // a zero-filled scatter per expert in backward).
        NDArray sortedRows = rows(flat, sortedToken, m);                             // [N·k, H], expert order
        long[] cuts = new long[experts - 1];
        for (int e = 1; e < experts; e++) {
            cuts[e - 1] = start[e];
        }
        NDList blocks = cuts.length == 0 ? new NDList(sortedRows) : sortedRows.split(cuts, 0); // block e: [n_e, H]
        List<NDArray> outs = new ArrayList<>();
        for (int e = 0; e < experts; e++) {
            if (count[e] == 0) {
                continue;
            }
            outs.add(Relu2Mlp.forward(proj(expertSlot(e, Relu2Mlp.UP)), proj(expertSlot(e, Relu2Mlp.DOWN)),
                    blocks.get(e), ctx.training()));
        }
        NDArray sorted = outs.size() == 1 ? outs.get(0) : NDArrays.concat(new NDList(outs), 0); // [N·k, H]
        NDArray routed = rows(sorted, slotToSorted, m).reshape(tokens, k, hidden)
                .mul(w.expandDims(2)).sum(new int[] {1});                          // [N, H]
        NDArray shared = Relu2Mlp.forward(proj("shared_experts." + Relu2Mlp.UP),
                proj("shared_experts." + Relu2Mlp.DOWN), flat, ctx.training());
        return routed.add(shared).reshape(s);
    }

    /**
     * Every token's choice ({@link Router#route}), flattened to {@code [N·k]} in (token, slot) order; appended to
     * {@code log} when given. A method of its own so the per-token loop is compiled on its own: as a loop inside
     * {@link #forward} it made the JIT compile the whole of {@code forward} on-stack three times, seconds of
     * C2 time competing with libtorch's threads during a run's first steps.
     */
    private static long[] chooseAll(float[] host, int tokens, float[] bias, NemotronHConfig cfg, MoeRouting log) {
        int k = cfg.numExpertsPerTok();
        int experts = cfg.nRoutedExperts();
        Router router = new Router(cfg, bias);
        int[] pick = new int[k];
        int[] groups = new int[cfg.topkGroup()];
        long[] chosen = new long[tokens * k];
        for (int i = 0; i < tokens; i++) {
            router.route(host, i * experts, pick, groups);
            for (int j = 0; j < k; j++) {
                chosen[i * k + j] = pick[j];
            }
            if (log != null) {
                log.experts().add(pick.clone());
                log.groups().add(groups.clone());
            }
        }
        return chosen;
    }

    /**
     * The routed (token, slot) pairs sorted by expert (a counting sort, stable in (token, slot) order).
     *
     * @param count        per expert, its routed rows
     * @param start        per expert, its first row among the sorted rows
     * @param sortedToken  per sorted row, its token (a row of the flat {@code [N, H]} input)
     * @param slotToSorted per (token, slot), its position among the sorted rows
     */
    record ExpertOrder(int[] count, int[] start, long[] sortedToken, long[] slotToSorted) {
        static ExpertOrder of(long[] chosen, int k, int experts) {
            int[] count = new int[experts];
            for (long e : chosen) {
                count[(int) e]++;
            }
            int[] start = new int[experts];
            for (int e = 1; e < experts; e++) {
                start[e] = start[e - 1] + count[e - 1];
            }
            int[] fill = start.clone();
            long[] sortedToken = new long[chosen.length];
            long[] slotToSorted = new long[chosen.length];
            for (int p = 0; p < chosen.length; p++) {
                int e = (int) chosen[p];
                sortedToken[fill[e]] = p / k;
                slotToSorted[p] = fill[e]++;
            }
            return new ExpertOrder(count, start, sortedToken, slotToSorted);
        }
    }

    /** Rows {@code index} of {@code v [R, H]} as {@code [n, H]} (a gather, so gradients flow back). */
    private static NDArray rows(NDArray v, long[] index, NDManager m) {
        long width = v.getShape().get(1);
        NDArray idx = m.create(index, new Shape(index.length, 1)).broadcast(index.length, width);
        return v.gather(idx, 0);
    }

    /**
     * The choice for one token, with scratch arrays reused from token to token (the step routes every token of
     * every MoE layer on the host).
     */
    static final class Router {
        private final float[] bias;   // [E]
        private final int groups;
        private final int per;        // experts per group
        private final float[] sc;     // [E] biased scores
        private final float[] groupScore;
        private final float[] masked; // [E] biased scores, -inf outside the kept groups
        private final boolean[] kept;
        private final boolean[] taken;
        private final int[] keptGroups;

        Router(NemotronHConfig cfg, float[] bias) {
            int experts = cfg.nRoutedExperts();
            this.bias = bias;
            this.groups = cfg.nGroup();
            this.per = experts / groups;
            this.sc = new float[experts];
            this.groupScore = new float[groups];
            this.masked = new float[experts];
            this.kept = new boolean[groups];
            this.taken = new boolean[Math.max(experts, groups)];
            this.keptGroups = new int[cfg.topkGroup()];
        }

        /**
         * Writes into {@code chosen [k]} the k experts by descending biased score among the kept groups, and into
         * {@code sortedGroups [topk_group]} the kept groups ascending. {@code scores[off .. off+E)} are the token's
         * sigmoid scores.
         */
        void route(float[] scores, int off, int[] chosen, int[] sortedGroups) {
            int experts = sc.length;
            for (int e = 0; e < experts; e++) {
                sc[e] = scores[off + e] + bias[e];
            }
            // Group score: the sum of the two largest biased scores in the group (one if the group has one expert).
            for (int j = 0; j < groups; j++) {
                float best = Float.NEGATIVE_INFINITY;
                float second = Float.NEGATIVE_INFINITY;
                for (int e = j * per; e < (j + 1) * per; e++) {
                    if (sc[e] > best) {
                        second = best;
                        best = sc[e];
                    } else if (sc[e] > second) {
                        second = sc[e];
                    }
                }
                groupScore[j] = per >= 2 ? best + second : best;
            }
            topIndices(groupScore, groups, keptGroups);
            Arrays.fill(kept, false);
            for (int j : keptGroups) {
                kept[j] = true;
            }
            for (int e = 0; e < experts; e++) {
                masked[e] = kept[e / per] ? sc[e] : Float.NEGATIVE_INFINITY; // transformers' -inf fill
            }
            topIndices(masked, experts, chosen);
            for (int j = 0, n = 0; j < groups; j++) {
                if (kept[j]) {
                    sortedGroups[n++] = j;
                }
            }
        }

        /**
         * Writes into {@code out} the indices of the {@code out.length} largest of {@code v[0 .. n)}, largest
         * first; ties (also -0.0 against 0.0) go to the lower index, NaN ranks above every number. A selection over
         * primitives: {@code n} is a group's or an expert's count.
         */
        private void topIndices(float[] v, int n, int[] out) {
            Arrays.fill(taken, 0, n, false);
            for (int i = 0; i < out.length; i++) {
                int best = -1;
                for (int e = 0; e < n; e++) {
                    if (!taken[e] && (best < 0 || v[e] > v[best] || Float.isNaN(v[e]) && !Float.isNaN(v[best]))) {
                        best = e;
                    }
                }
                taken[best] = true;
                out[i] = best;
            }
        }
    }
}
