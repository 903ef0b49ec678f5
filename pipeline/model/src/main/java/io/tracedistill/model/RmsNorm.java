package io.tracedistill.model;

import ai.djl.ndarray.NDArray;

/**
 * HF {@code LlamaRMSNorm} / {@code Qwen2RMSNorm}: {@code w * x / sqrt(mean(x², -1) + eps)}, computed
 * in float32 over the last axis (hidden size, or head_dim for Qwen3's q_norm/k_norm).
 */
public final class RmsNorm {
    private final NDArray weight;
    private final float eps;

    /** @param weight {@code [dim]} */
    public RmsNorm(NDArray weight, double eps) {
        this.weight = weight;
        this.eps = (float) eps;
    }

    /** {@code x [..., dim] -> [..., dim]}. */
    public NDArray forward(NDArray x) {
        NDArray variance = x.square().mean(new int[] {-1}, true); // [..., 1]
        return x.div(variance.add(eps).sqrt()).mul(weight);
    }

    public NDArray weight() {
        return weight;
    }
}
