package io.tracedistill.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * {@link RankSync#sumGradientsAndLosses} on 2 ranks (threads of an {@link InProcessCollective} group): the gradients
 * autograd wrote (CPU, contiguous) are replaced in their own memory by the exact sums, and a non-contiguous one (a
 * transposed view) through an NDArray copy; the micro-batch losses are summed. Values are small integers and halves,
 * so any summation order is exact: the largest difference must be 0.
 */
class RankSyncTest {

    /** Rank r's gradient element i of tensor t. */
    private static float grad(int rank, int t, int i) {
        return (rank + 1) * 0.5f + (i % 11) - 5 + t;
    }

    private record Summed(List<float[]> grads, float[] losses, Boolean inPlace) {
    }

    /** Each rank: parameters whose .grad is grad(rank, t, i), summed over 2 ranks (twice: the second step reuses the buffer). */
    private static List<Summed> sum(boolean transposedView) throws Exception {
        long[][] shapes = {{3, 5}, {1, 7}, {1000, 33}};
        return RankThreads.run(2, c -> {
            try (NDManager m = NDManager.newBaseManager()) {
                RankSync sync = new RankSync(c);
                List<NDArray> params = new ArrayList<>();
                for (long[] s : shapes) {
                    NDArray p = m.zeros(new Shape(s));
                    p.setRequiresGradient(true);
                    params.add(p);
                }
                float[] losses = null;
                for (int step = 0; step < 2; step++) {
                    for (int t = 0; step > 0 && t < params.size(); t++) {
                        NDArray g = params.get(t).getGradient();
                        g.subi(g); // as the trainer does after a step: autograd accumulates
                    }
                    backward(params, c.rank(), m);
                    List<NDArray> grads = new ArrayList<>(params.stream().map(NDArray::getGradient).toList());
                    if (transposedView) {
                        grads.set(0, grads.get(0).transpose()); // non-contiguous: summed through a copy
                    }
                    losses = c.rank() == 0 ? new float[] {1.5f, 0f} : new float[] {0f, 2.25f};
                    sync.sumGradientsAndLosses(grads, losses);
                }
                List<float[]> held = new ArrayList<>();
                for (NDArray p : params) {
                    held.add(p.getGradient().toFloatArray());
                }
                return new Summed(held, losses, sync.writesInPlace());
            }
        });
    }

    private static void assertExactSums(List<Summed> ranks) {
        float largest = 0;
        for (Summed r : ranks) {
            for (int t = 0; t < r.grads().size(); t++) {
                float[] g = r.grads().get(t);
                for (int i = 0; i < g.length; i++) {
                    largest = Math.max(largest, Math.abs(g[i] - (grad(0, t, i) + grad(1, t, i))));
                }
                assertArrayEquals(ranks.get(0).grads().get(t), g, "tensor " + t + ": the ranks hold the same sums");
            }
            assertArrayEquals(new float[] {1.5f, 2.25f}, r.losses(), 0f);
        }
        System.out.println("RankSync: largest difference from the exact sums " + largest);
        assertEquals(0f, largest);
    }

    /**
     * Back-propagates sum_t sum(p_t * w_t) with w_t[i] = grad(rank, t, i) into the parameters' .grad. Synchronized:
     * DJL allows one gradient collector per JVM at a time.
     */
    private static synchronized void backward(List<NDArray> params, int rank, NDManager m) {
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            NDArray loss = null;
            for (int t = 0; t < params.size(); t++) {
                int n = (int) params.get(t).size();
                float[] w = new float[n];
                for (int i = 0; i < n; i++) {
                    w[i] = grad(rank, t, i);
                }
                NDArray term = params.get(t).mul(m.create(w, params.get(t).getShape())).sum(); // d term / d p = w
                loss = loss == null ? term : loss.add(term);
            }
            gc.backward(loss);
        }
    }

    @Test
    void cpuGradientsHoldTheExactSumsWrittenIntoTheirOwnMemory() throws Exception {
        List<Summed> ranks = sum(false);
        assertExactSums(ranks);
        assertEquals(Boolean.TRUE, ranks.get(0).inPlace(), "DJL's toByteBuffer(true) of a contiguous CPU gradient is its memory");
    }

    @Test
    void aNonContiguousGradientIsSummedThroughACopy() throws Exception {
        List<Summed> ranks = sum(true);
        assertExactSums(ranks);
        assertEquals(Boolean.FALSE, ranks.get(0).inPlace());
    }
}
