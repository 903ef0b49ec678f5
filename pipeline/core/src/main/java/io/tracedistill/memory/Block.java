package io.tracedistill.memory;

import java.util.List;

/**
 * One layer-level block of the model as the planner sees it.
 *
 * @param kind        component name in the plan table ({@code mamba}, {@code moe}, {@code attention}, ...)
 * @param linears     its Linear modules (LoRA candidates)
 * @param otherParams parameters outside the Linears (norms, conv1d, dt_bias/A_log/D, router, biases)
 * @param saved       activations the block keeps for backward (elements per sequence), LoRA's excluded
 * @param work        extra transient elements while its backward runs (gradients of its largest tensors);
 *                    for attention its {@code attentionHeads} says whose score gradients {@link MemoryPlan} adds
 * @param routedExperts n_routed_experts of an MoE block, else 0
 * @param topK        experts per token of an MoE block, else 0
 */
public record Block(String kind, List<LinearModule> linears, long otherParams, ActivationCost saved, ActivationCost work,
             int routedExperts, int topK) {

    public Block {
        linears = List.copyOf(linears);
    }

    long params() {
        long p = otherParams;
        for (LinearModule l : linears) {
            p += l.in() * l.out();
        }
        return p;
    }

    /** Parameters one token goes through: routed experts count top-k / n_routed_experts of theirs. */
    long activeParams() {
        long dense = otherParams;
        long routed = 0;
        for (LinearModule l : linears) {
            if (l.routedExpert()) {
                routed += l.in() * l.out();
            } else {
                dense += l.in() * l.out();
            }
        }
        // Every expert has the same shape, so routed / E · k is exact.
        return routedExperts == 0 ? dense : dense + routed / routedExperts * topK;
    }
}
