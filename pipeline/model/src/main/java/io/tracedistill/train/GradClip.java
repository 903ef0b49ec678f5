package io.tracedistill.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDScope;

import java.util.List;

/**
 * Global-norm gradient clipping as {@code torch.nn.utils.clip_grad_norm_(params, max_norm)} does it
 * (DJL's {@code clipGrad} is per element, which is a different thing):
 *
 * <pre>
 *   total = || [ ||g_1||_2, ||g_2||_2, ... ] ||_2          (float32, before clipping)
 *   coef  = max_norm / (total + 1e-6)
 *   if coef &lt; 1: every g *= coef                          (torch multiplies by min(coef, 1))
 * </pre>
 *
 * The pre-clip {@code total} is what the Trainer logs as {@code grad_norm}. {@code max_norm = 1e9}
 * (the reference's phase-1 value) never clips in practice.
 */
public final class GradClip {

    private GradClip() {
    }

    /** Outcome of one clip: the pre-clip global norm, the coefficient and whether it was applied. */
    public record Result(double totalNorm, double coef, boolean clipped) {
    }

    /** Computes the global L2 norm of {@code grads} and scales them in place when it exceeds {@code maxNorm}. */
    public static Result clipGlobalNorm(List<NDArray> grads, double maxNorm) {
        if (!(maxNorm > 0)) {
            throw new IllegalArgumentException("Invalid value " + maxNorm + " for max_grad_norm: must be > 0");
        }
        float total = globalNorm(grads);
        // torch: clip_coef = max_norm / (total_norm + 1e-6) on a float32 tensor (rtruediv = reciprocal * scalar).
        float denom = total + (float) 1e-6;
        float coef = (1.0f / denom) * (float) maxNorm;
        boolean clip = coef < 1.0f;
        if (clip) {
            for (NDArray g : grads) {
                g.muli(coef);
            }
        }
        return new Result(total, coef, clip);
    }

    /** Global L2 norm (float32) of a list of tensors: the norm of their per-tensor norms. */
    public static float globalNorm(List<NDArray> tensors) {
        if (tensors.isEmpty()) {
            return 0f;
        }
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            NDList norms = new NDList(tensors.size());
            for (NDArray g : tensors) {
                norms.add(g.flatten().norm());
            }
            NDArray stacked = NDArrays.stack(norms);
            return stacked.norm().getFloat();
        }
    }
}
