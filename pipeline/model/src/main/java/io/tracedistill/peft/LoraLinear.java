package io.tracedistill.peft;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.norm.Dropout;
import io.tracedistill.model.LinearProjection;
import io.tracedistill.model.Projection;

/**
 * A LoRA-adapted linear layer, as PEFT's {@code lora.Linear}: the frozen {@code base_layer} plus a
 * low-rank update, {@code y = base(x) + scaling · dropout(x)·Aᵀ·Bᵀ} with {@code lora_A [r, in]} and
 * {@code lora_B [out, r]}. After {@link #merge()} the update is folded into the base weight
 * ({@code W' = W + scaling·B·A}) and the LoRA path is skipped until {@link #unmerge()}.
 */
public final class LoraLinear implements Projection {
    private final String moduleName;
    private final LinearProjection base;
    private final NDArray loraA;
    private final NDArray loraB;
    private final float scaling;
    private final float dropout;
    /** {@code scaling} as a float32 scalar beside {@code lora_A}, made once (not one host→device tensor per call). */
    private final NDArray scalingArray;
    private NDArray originalWeight; // kept while merged, so unmerge restores it bit-exactly

    /**
     * @param moduleName HF module name ({@code model.layers.0.self_attn.q_proj})
     * @param base       the frozen layer being adapted
     * @param loraA      {@code [r, in]}
     * @param loraB      {@code [out, r]}
     */
    public LoraLinear(String moduleName, LinearProjection base, NDArray loraA, NDArray loraB, double scaling, double dropout) {
        long r = loraA.getShape().get(0);
        if (loraA.getShape().get(1) != base.inFeatures() || loraB.getShape().get(0) != base.outFeatures()
                || loraB.getShape().get(1) != r) {
            throw new IllegalArgumentException("LoRA shapes for " + moduleName + " do not fit the base layer ["
                    + base.outFeatures() + ", " + base.inFeatures() + "]: lora_A " + loraA.getShape()
                    + ", lora_B " + loraB.getShape() + " (expected [r, in] and [out, r])");
        }
        this.moduleName = moduleName;
        this.base = base;
        this.loraA = loraA;
        this.loraB = loraB;
        this.scaling = (float) scaling;
        this.dropout = (float) dropout;
        this.scalingArray = loraA.getManager().create(this.scaling);
    }

    @Override
    public NDArray forward(NDArray x, boolean training) {
        NDArray y = base.forward(x, training); // [..., out]
        if (originalWeight != null) {
            return y; // merged: the update is already in the base weight
        }
        NDArray in = dropout > 0 && training ? Dropout.dropout(x, dropout, true).singletonOrThrow() : x;
        NDArray down = ai.djl.nn.core.Linear.linear(in, loraA).singletonOrThrow();  // [..., r]
        // PEFT scales B·A·x; scaling the rank-r activation instead is the same product with r instead of out
        // columns to multiply, forward and backward (the ≈5M bench step: 54 -> 33 ms of aten::mul in a profile),
        // equal to PEFT within float rounding (README, "Where this port differs").
        // The scale is a scalar NDArray that lives as long as lora_A, not mul(Number): DJL 0.33 frees the
        // temporary tensor behind mul(Number) right after the op while autograd still holds it for backward
        // (NaN grads after a GC).
        NDArray scaled = down.mul(scalingArray);
        return y.add(ai.djl.nn.core.Linear.linear(scaled, loraB).singletonOrThrow()); // [..., out]
    }

    @Override
    public LinearProjection baseLayer() {
        return base;
    }

    public String moduleName() {
        return moduleName;
    }

    /** {@code [r, in]}. */
    public NDArray loraA() {
        return loraA;
    }

    /** {@code [out, r]}. */
    public NDArray loraB() {
        return loraB;
    }

    public float scaling() {
        return scaling;
    }

    public boolean isMerged() {
        return originalWeight != null;
    }

    /** {@code scaling · B·A}, {@code [out, in]}, in the base weight's manager. */
    public NDArray deltaWeight() {
        NDArray a = loraA.stopGradient();
        NDArray b = loraB.stopGradient();
        NDArray product = b.matMul(a); // [out, r]·[r, in] = [out, in]
        NDArray delta = product.mul(scaling);
        a.close();
        b.close();
        product.close();
        return delta;
    }

    /** Folds the update into the base weight: {@code W' = W + scaling·B·A} (biases unchanged). */
    public void merge() {
        if (originalWeight != null) {
            return;
        }
        NDArray w = base.weight();
        NDArray delta = deltaWeight();
        NDArray merged = w.add(delta).toType(w.getDataType(), false); // an FP16 base stays FP16 (delta is float32)
        merged.attach(w.getManager());
        delta.close();
        originalWeight = w;
        base.setWeight(merged);
    }

    /** Restores the original base weight (exactly: the pre-merge array is kept while merged). */
    public void unmerge() {
        if (originalWeight == null) {
            return;
        }
        NDArray merged = base.weight();
        base.setWeight(originalWeight);
        originalWeight = null;
        merged.close();
    }
}
