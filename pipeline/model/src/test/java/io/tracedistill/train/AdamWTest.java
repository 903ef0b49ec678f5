package io.tracedistill.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

class AdamWTest {

    /** torch.optim.AdamW written out in double for one scalar. */
    private static double[] reference(double p, double[] grads, double[] lrs, double b1, double b2, double eps, double wd) {
        double m = 0;
        double v = 0;
        for (int t = 1; t <= grads.length; t++) {
            double g = grads[t - 1];
            double lr = lrs[t - 1];
            p -= lr * wd * p;
            m = b1 * m + (1 - b1) * g;
            v = b2 * v + (1 - b2) * g * g;
            double denom = Math.sqrt(v) / Math.sqrt(1 - Math.pow(b2, t)) + eps;
            p -= lr / (1 - Math.pow(b1, t)) * m / denom;
        }
        return new double[] {p, m, v};
    }

    @Test
    void firstStepMovesEachWeightByLr() {
        // t = 1: m_hat = g, v_hat = g^2 -> update = lr * g / (|g| + eps) ~= lr * sign(g)
        try (NDManager mgr = NDManager.newBaseManager()) {
            NDArray p = mgr.create(new float[] {1f, -2f, 0.5f});
            NDArray g = mgr.create(new float[] {0.3f, -4f, 1e-3f});
            AdamW opt = AdamW.referenceDefaults(List.of(p));
            opt.step(List.of(g), 0.1);
            float[] got = p.toFloatArray();
            assertEquals(1f - 0.1f, got[0], 1e-6);
            assertEquals(-2f + 0.1f, got[1], 1e-6);
            assertEquals(0.5f - 0.1f * (1e-3f / (1e-3f + 1e-8f)), got[2], 1e-6);
            assertEquals(1, opt.stepCount());
        }
    }

    @Test
    void threeStepsMatchTheTorchFormulaWithWeightDecay() {
        double[] grads = {0.5, -0.25, 2.0};
        double[] lrs = {0.01, 0.02, 0.005};
        double[] ref = reference(0.7, grads, lrs, 0.9, 0.95, 1e-8, 0.1);
        try (NDManager mgr = NDManager.newBaseManager()) {
            NDArray p = mgr.create(new float[] {0.7f});
            AdamW opt = new AdamW(List.of(p), 0.9, 0.95, 1e-8, 0.1);
            for (int i = 0; i < grads.length; i++) {
                opt.step(List.of(mgr.create(new float[] {(float) grads[i]})), lrs[i]);
            }
            double d = Math.abs(p.toFloatArray()[0] - ref[0]);
            System.out.printf("AdamW 3 steps: |p - ref| = %.2e (tolerance 1e-6)%n", d);
            assertEquals(ref[0], p.toFloatArray()[0], 1e-6);
            assertEquals(ref[1], opt.firstMoments().get(0).toFloatArray()[0], 1e-7);
            assertEquals(ref[2], opt.secondMoments().get(0).toFloatArray()[0], 1e-7);
        }
    }

    @Test
    void lrZeroStepKeepsWeightsButAdvancesState() {
        try (NDManager mgr = NDManager.newBaseManager()) {
            NDArray p = mgr.create(new float[] {0.25f, -1f});
            AdamW opt = AdamW.referenceDefaults(List.of(p));
            opt.step(List.of(mgr.create(new float[] {1f, 2f})), 0.0);
            assertArrayEquals(new float[] {0.25f, -1f}, p.toFloatArray());
            assertEquals(1, opt.stepCount());
            assertArrayEquals(new float[] {0.1f, 0.2f}, opt.firstMoments().get(0).toFloatArray(), 1e-7f);
            assertArrayEquals(new float[] {0.05f, 0.2f}, opt.secondMoments().get(0).toFloatArray(), 1e-7f);
        }
    }

    @Test
    void restoredStateContinuesIdentically() {
        try (NDManager mgr = NDManager.newBaseManager()) {
            NDArray p1 = mgr.create(new float[] {0.3f, 0.1f});
            NDArray p2 = mgr.create(new float[] {0.3f, 0.1f});
            AdamW a = AdamW.referenceDefaults(List.of(p1));
            a.step(List.of(mgr.create(new float[] {0.5f, -0.7f})), 1e-2);
            // Copy a's state into a fresh optimizer over an identical parameter.
            p2.set(p1.toFloatArray());
            AdamW b = AdamW.referenceDefaults(List.of(p2));
            b.restore(a.stepCount(), List.of(a.firstMoments().get(0).toFloatArray()), List.of(a.secondMoments().get(0).toFloatArray()));
            a.step(List.of(mgr.create(new float[] {0.2f, 0.9f})), 5e-3);
            b.step(List.of(mgr.create(new float[] {0.2f, 0.9f})), 5e-3);
            assertArrayEquals(p1.toFloatArray(), p2.toFloatArray(), 0f);
        }
    }
}
