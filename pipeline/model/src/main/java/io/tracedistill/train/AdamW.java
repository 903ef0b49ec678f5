package io.tracedistill.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;

import java.util.ArrayList;
import java.util.List;

/**
 * AdamW as {@code torch.optim.AdamW} computes it (decoupled weight decay, bias corrections, eps added
 * after the bias-corrected square root), in the parameters' dtype (float32), per tensor:
 *
 * <pre>
 *   t += 1
 *   p  -= lr * wd * p                                 (skipped when wd = 0)
 *   m   = b1 * m + (1 - b1) * g
 *   v   = b2 * v + (1 - b2) * g^2
 *   p  -= (lr / (1 - b1^t)) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
 * </pre>
 *
 * Reference: PyTorch {@code torch/optim/adamw.py} / {@code _fused_adamw} (the reference uses
 * {@code adamw_torch_fused}, betas (0.9, 0.95), eps 1e-8, weight decay 0). A step with lr 0 still
 * advances m, v and t and leaves the weights unchanged. The state (m, v, t) is exposed for checkpoints.
 */
public final class AdamW implements AutoCloseable {

    private final double beta1;
    private final double beta2;
    private final double eps;
    private final double weightDecay;
    private final List<NDArray> m = new ArrayList<>();
    private final List<NDArray> v = new ArrayList<>();
    private final List<NDArray> params;
    private long t;

    /**
     * A fresh optimizer (m = v = 0, t = 0) over {@code params}, whose m and v live in the parameters'
     * managers.
     */
    public AdamW(List<NDArray> params, double beta1, double beta2, double eps, double weightDecay) {
        if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1)) {
            throw new IllegalArgumentException("Invalid AdamW betas (" + beta1 + ", " + beta2 + "): each must be in [0, 1)");
        }
        if (!(eps > 0)) {
            throw new IllegalArgumentException("Invalid AdamW eps " + eps + ": must be > 0");
        }
        if (!(weightDecay >= 0)) {
            throw new IllegalArgumentException("Invalid value " + weightDecay + " for weight_decay: must be >= 0");
        }
        this.params = List.copyOf(params);
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
        for (NDArray p : this.params) {
            NDArray mi = p.zerosLike();
            NDArray vi = p.zerosLike();
            // The state outlives any NDScope the caller may be in.
            NDScope.unregister(mi, vi);
            m.add(mi);
            v.add(vi);
        }
    }

    /** The reference's optimizer settings: betas (0.9, 0.95), eps 1e-8, weight decay 0. */
    public static AdamW referenceDefaults(List<NDArray> params) {
        return new AdamW(params, 0.9, 0.95, 1e-8, 0.0);
    }

    /**
     * One update with learning rate {@code lr}; {@code grads.get(i)} is the gradient of
     * {@code params.get(i)} (same shape). Parameters are updated in place.
     */
    public void step(List<NDArray> grads, double lr) {
        if (grads.size() != params.size()) {
            throw new IllegalArgumentException("AdamW got " + grads.size() + " gradients for " + params.size() + " parameters");
        }
        t++;
        // Bias corrections in double, as torch computes them on the host.
        double bc1 = 1.0 - Math.pow(beta1, t);
        double bc2 = 1.0 - Math.pow(beta2, t);
        double stepSize = lr / bc1;
        double bc2Sqrt = Math.sqrt(bc2);
        for (int i = 0; i < params.size(); i++) {
            try (NDScope scope = new NDScope()) {
                scope.suppressNotUsedWarning();
                NDArray p = params.get(i);
                NDArray g = grads.get(i);
                if (weightDecay != 0.0) {
                    p.muli(1.0 - lr * weightDecay);
                }
                m.get(i).muli(beta1).addi(g.mul(1.0 - beta1));
                v.get(i).muli(beta2).addi(g.square().muli(1.0 - beta2));
                NDArray denom = v.get(i).sqrt().divi(bc2Sqrt).addi(eps);
                p.subi(m.get(i).div(denom).muli(stepSize));
            }
        }
    }

    /** Steps taken (torch's per-parameter {@code state["step"]}, the same for every tensor here). */
    public long stepCount() {
        return t;
    }

    /** First moments, in parameter order (live arrays: read, don't modify). */
    public List<NDArray> firstMoments() {
        return List.copyOf(m);
    }

    /** Second moments, in parameter order (live arrays: read, don't modify). */
    public List<NDArray> secondMoments() {
        return List.copyOf(v);
    }

    /** Restores state saved by a checkpoint: the arrays' values are copied in. */
    public void restore(long stepCount, List<float[]> firstMoments, List<float[]> secondMoments) {
        if (firstMoments.size() != params.size() || secondMoments.size() != params.size()) {
            throw new IllegalArgumentException("optimizer state has " + firstMoments.size() + "/" + secondMoments.size()
                    + " tensors but the model has " + params.size() + " trainable tensors; the checkpoint does not belong to this model");
        }
        for (int i = 0; i < params.size(); i++) {
            m.get(i).set(firstMoments.get(i));
            v.get(i).set(secondMoments.get(i));
        }
        this.t = stepCount;
    }

    /** Frees m and v. */
    @Override
    public void close() {
        for (NDArray a : m) {
            a.close();
        }
        for (NDArray a : v) {
            a.close();
        }
    }
}
