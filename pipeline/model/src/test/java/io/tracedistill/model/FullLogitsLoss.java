package io.tracedistill.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.tracedistill.tokens.MaskedExample;

/**
 * Test oracle: HF {@code ForCausalLMLoss} on the full {@code [B, T, V]} logits: labels padded on the right
 * with one {@code -100} and shifted left by one (logits at t predict labels at t+1), float32 cross-entropy,
 * {@code -100} ignored, averaged over all valid targets of the whole batch (not per sequence).
 *
 * <p>The trainer never takes this path: it uses {@link io.tracedistill.train.CausalLmLoss}, which applies
 * {@code lm_head} to the supervised rows only. Tests use this form to check the model's logits and
 * gradients against the golden step of the reference, which computes the loss this way.
 */
public final class FullLogitsLoss {

    private FullLogitsLoss() {
    }

    /** Summed token loss (scalar NDArray, differentiable) and the number of valid targets. */
    public record LossSum(NDArray sum, long count) {
        /** {@code sum / count}; NaN when count is 0, like HF's mean over zero items. */
        public NDArray mean() {
            return sum.div(sum.getManager().create((float) count)); // not div(Number): see LoraLinear#forward
        }
    }

    /**
     * @param logits {@code [B, T, V]} float32
     * @param labels {@code [B, T]} int (unshifted, {@code -100} = ignore)
     */
    public static LossSum sum(NDArray logits, NDArray labels) {
        Shape s = logits.getShape();
        long b = s.get(0);
        long t = s.get(1);
        if (!labels.getShape().equals(new Shape(b, t))) {
            throw new IllegalArgumentException("labels must be [B, T] = [" + b + ", " + t + "], got " + labels.getShape());
        }
        NDManager m = logits.getManager();
        // shift: target[t] = labels[t+1]; last position gets -100.
        NDArray lab = labels.toType(DataType.INT64, false);
        NDArray pad = m.full(new Shape(b, 1), MaskedExample.IGNORE_INDEX, DataType.INT64);
        NDArray target = t > 1 ? lab.get(":, 1:").concat(pad, 1) : pad; // [B, T]
        NDArray valid = target.neq(MaskedExample.IGNORE_INDEX);                          // [B, T] bool
        NDArray safeTarget = target.mul(valid.toType(DataType.INT64, false)); // -100 -> 0 for gather
        NDArray logProbs = logits.logSoftmax(-1);                            // [B, T, V]
        NDArray picked = logProbs.gather(safeTarget.expandDims(-1), -1).squeeze(-1); // [B, T]
        NDArray nll = picked.neg().mul(valid.toType(DataType.FLOAT32, false));
        long count = valid.toType(DataType.INT64, false).sum().getLong();
        return new LossSum(nll.sum(), count);
    }

    /** Mean loss over all valid targets of the batch (HF {@code ForCausalLMLoss} without num_items_in_batch). */
    public static NDArray mean(NDArray logits, NDArray labels) {
        return sum(logits, labels).mean();
    }
}
