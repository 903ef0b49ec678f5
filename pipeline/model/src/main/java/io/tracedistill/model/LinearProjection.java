package io.tracedistill.model;

import ai.djl.ndarray.NDArray;

/**
 * HF {@code nn.Linear}: {@code y = x·Wᵀ + b} with {@code W [out, in]} and optional {@code b [out]}.
 * Uses {@code torch.nn.functional.linear} through DJL, so the result lives in {@code x}'s manager.
 * The weight is replaceable so LoRA merge/unmerge can swap it. A plain weight holder, not a DJL block
 * (unlike {@code ai.djl.nn.core.Linear}, it registers no parameters).
 */
public final class LinearProjection implements Projection {
    private final String name;
    private NDArray weight;
    private final NDArray bias;

    /**
     * @param name   HF module name, e.g. {@code model.layers.0.self_attn.q_proj}
     * @param weight {@code [out, in]}
     * @param bias   {@code [out]} or null when the layer has no bias
     */
    public LinearProjection(String name, NDArray weight, NDArray bias) {
        this.name = name;
        this.weight = weight;
        this.bias = bias;
    }

    @Override
    public NDArray forward(NDArray x, boolean training) {
        return linear(x, weight, bias);
    }

    /**
     * {@code x·Wᵀ + b}: {@code x [..., in]}, {@code weight [out, in]} (an FP16 base weight is widened for the float32
     * matmul), {@code bias [out]} or null; {@code [..., out]} in {@code x}'s manager. Also the families' lm_head.
     */
    public static NDArray linear(NDArray x, NDArray weight, NDArray bias) {
        NDArray w = Float16Base.asTypeOf(weight, x);
        return bias == null
                ? ai.djl.nn.core.Linear.linear(x, w).singletonOrThrow()
                : ai.djl.nn.core.Linear.linear(x, w, bias).singletonOrThrow();
    }

    @Override
    public LinearProjection baseLayer() {
        return this;
    }

    public String name() {
        return name;
    }

    /** {@code [out, in]}. */
    public NDArray weight() {
        return weight;
    }

    /** {@code [out]}, or null when the layer has no bias. */
    public NDArray bias() {
        return bias;
    }

    public int inFeatures() {
        return (int) weight.getShape().get(1);
    }

    public int outFeatures() {
        return (int) weight.getShape().get(0);
    }

    /** Replaces the weight (same shape); the caller owns closing the old array. */
    public void setWeight(NDArray newWeight) {
        if (!newWeight.getShape().equals(weight.getShape())) {
            throw new IllegalArgumentException("New weight for " + name + " has shape " + newWeight.getShape()
                    + ", expected " + weight.getShape());
        }
        this.weight = newWeight;
    }
}
