package io.tracedistill.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import org.junit.jupiter.api.Test;

import java.util.List;


import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class CausalLmLossTest {

    @Test
    void targetsShiftLabelsLeftAndSkipIgnored() {
        // 2 rows x 4: row 0 labels [-100, 5, 6, -100], row 1 [-100, -100, 7, 8]
        int[] labels = {-100, 5, 6, -100, -100, -100, 7, 8};
        CausalLmLoss.Targets t = CausalLmLoss.targets(labels, 2, 4);
        // position t predicts labels[t+1]: row0 t=0->5, t=1->6; row1 t=1->7, t=2->8
        assertArrayEquals(new long[] {0, 1, 5, 6}, t.rowIndices());
        assertArrayEquals(new long[] {5, 6, 7, 8}, t.targetIds());
    }

    @Test
    void sumEqualsHandComputedCrossEntropy() {
        try (NDManager m = NDManager.newBaseManager()) {
            ToyLoraLm lm = new ToyLoraLm(m, 7);
            int[] ids = {1, 2, 3, 4, 5, 6};
            int[] labels = {-100, -100, 3, 4, -100, 6};
            NDArray in = m.create(new long[] {1, 2, 3, 4, 5, 6}, new Shape(1, 6));
            NDArray hidden = lm.hiddenStates(in, null, null);
            CausalLmLoss.Targets t = CausalLmLoss.targets(labels, 1, 6);
            float got = CausalLmLoss.sum(lm, hidden, t).getFloat();
            // Independent: full logits [6, V], log-softmax in double, targets at t = 1, 2, 4.
            float[] logits = lm.lmHead(hidden.reshape(6, ToyLoraLm.H)).toFloatArray();
            double expected = 0;
            int[][] pairs = {{1, 3}, {2, 4}, {4, 6}};
            for (int[] p : pairs) {
                double max = Double.NEGATIVE_INFINITY;
                for (int v = 0; v < ToyLoraLm.V; v++) {
                    max = Math.max(max, logits[p[0] * ToyLoraLm.V + v]);
                }
                double z = 0;
                for (int v = 0; v < ToyLoraLm.V; v++) {
                    z += Math.exp(logits[p[0] * ToyLoraLm.V + v] - max);
                }
                expected += -(logits[p[0] * ToyLoraLm.V + p[1]] - max - Math.log(z));
            }
            System.out.printf("CE sum: got %.7f expected %.7f |diff| %.2e (tolerance 1e-5)%n", got, expected, Math.abs(got - expected));
            assertEquals(expected, got, 1e-5);
            assertEquals(3, t.count());
            assertEquals(ids.length, labels.length);
        }
    }

    @Test
    void gradientsAccumulateAcrossBackwardCalls() {
        try (NDManager m = NDManager.newBaseManager()) {
            ToyLoraLm lm = new ToyLoraLm(m, 3);
            NDArray b = lm.trainableParameters().get("base_model.model.lm_head.lora_B.weight");
            int[] labels = {-100, 2, 3, 4};
            NDArray in = m.create(new long[] {1, 2, 3, 4}, new Shape(1, 4));
            float[] once;
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                gc.backward(CausalLmLoss.sum(lm, lm.hiddenStates(in, null, null), CausalLmLoss.targets(labels, 1, 4)));
            }
            once = b.getGradient().toFloatArray();
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                gc.backward(CausalLmLoss.sum(lm, lm.hiddenStates(in, null, null), CausalLmLoss.targets(labels, 1, 4)));
            }
            float[] twice = b.getGradient().toFloatArray();
            for (int i = 0; i < once.length; i++) {
                assertEquals(2 * once[i], twice[i], 1e-6, "element " + i);
            }
        }
    }

    @Test
    void noTargetsIsAnError() {
        try (NDManager m = NDManager.newBaseManager()) {
            ToyLoraLm lm = new ToyLoraLm(m, 1);
            NDArray in = m.create(new long[] {1, 2}, new Shape(1, 2));
            CausalLmLoss.Targets t = CausalLmLoss.targets(new int[] {5, -100}, 1, 2);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> CausalLmLoss.sum(lm, lm.hiddenStates(in, null, null), t));
            assertEquals("micro-batch has no supervised target; nothing to back-propagate", e.getMessage());
        }
    }

    /** Frees what the GC can free and refills released native memory with NaN. */
    static void churnNativeMemory() throws InterruptedException {
        for (int k = 0; k < 3; k++) {
            System.gc();
            Thread.sleep(5);
        }
        List<java.nio.ByteBuffer> fill = new java.util.ArrayList<>();
        for (int k = 0; k < 20000; k++) {
            java.nio.ByteBuffer b = java.nio.ByteBuffer.allocateDirect(8).order(java.nio.ByteOrder.nativeOrder());
            b.putFloat(0, Float.NaN).putFloat(4, Float.NaN);
            fill.add(b);
        }
        fill.clear();
    }

    /**
     * The normalised loss survives a garbage collection between forward and backward: its divisor is held
     * by the micro-batch manager. (With {@code loss.div(numItems)}, DJL frees the divisor's buffer and this
     * test sees NaN or garbage gradients.)
     */
    @Test
    void normalisedLossSurvivesAGarbageCollectionBeforeBackward() throws Exception {
        try (NDManager m = NDManager.newBaseManager()) {
            ToyLoraLm lm = new ToyLoraLm(m, 5);
            NDArray b = lm.trainableParameters().get("base_model.model.lm_head.lora_B.weight");
            int[] labels = {-100, 2, 3, 4};
            float[][] grads = new float[2][];
            for (int run = 0; run < 2; run++) {
                try (NDManager mb = m.newSubManager(); GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    NDArray in = mb.create(new long[] {1, 2, 3, 4}, new Shape(1, 4));
                    NDArray loss = CausalLmLoss.normalised(lm, lm.hiddenStates(in, null, null), CausalLmLoss.targets(labels, 1, 4), 7);
                    if (run == 1) {
                        churnNativeMemory();
                    }
                    gc.backward(loss);
                }
                grads[run] = b.getGradient().toFloatArray();
                b.getGradient().subi(b.getGradient());
            }
            for (int i = 0; i < grads[0].length; i++) {
                assertEquals(grads[0][i], grads[1][i], 0f, "gradient element " + i + " changed after a GC");
            }
        }
    }

    @Test
    void normalisedRejectsADenominatorBelowTheTargets() {
        try (NDManager m = NDManager.newBaseManager()) {
            ToyLoraLm lm = new ToyLoraLm(m, 1);
            NDArray in = m.create(new long[] {1, 2, 3}, new Shape(1, 3));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CausalLmLoss.normalised(
                    lm, lm.hiddenStates(in, null, null), CausalLmLoss.targets(new int[] {-100, 1, 2}, 1, 3), 1));
            assertEquals("num_items_in_batch 1 is smaller than this micro-batch's 2 targets", e.getMessage());
        }
    }
}
