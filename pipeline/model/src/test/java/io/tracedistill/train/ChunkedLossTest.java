package io.tracedistill.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import com.fasterxml.jackson.databind.JsonNode;
import io.tracedistill.model.Fixtures;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The loss in chunks of supervised rows ({@link CausalLmLoss#backward}) against the one-piece loss: the same loss
 * and LoRA gradients on tiny-llama (fresh LoRA, lora_B drawn non-zero) and tiny-nemotron-h (its fixture adapter),
 * with and without gradient checkpointing, on the fixtures' train-step batch (23 targets): chunks of 5 rows (the
 * last one partial) and of 1 row.
 */
class ChunkedLossTest {
    /** Relative to the largest |gradient| (and to the loss): float summation order only, the chunks add up in another order. */
    static final double TOL = 1e-6;

    record Step(double loss, Map<String, float[]> grads) {
    }

    static Step step(String fixture, boolean checkpointing, int chunkRows) {
        JsonNode s = GradientCheckpointingTest.trainStep(fixture);
        try (NDManager m = NDManager.newBaseManager(); NDManager mb = m.newSubManager()) {
            LoraTrainableModel replica = new LoraTrainableModel(GradientCheckpointingTest.lora(fixture, m), checkpointing);
            int rows = s.get("labels").size();
            int len = s.get("labels").get(0).size();
            int[] labels = new int[rows * len];
            for (int b = 0; b < rows; b++) {
                System.arraycopy(Fixtures.ints(s.get("labels").get(b)), 0, labels, b * len, len);
            }
            CausalLmLoss.Targets targets = CausalLmLoss.targets(labels, rows, len);
            double loss;
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray hidden = replica.hiddenStates(Fixtures.ints2d(s.get("input_ids"), mb),
                        Fixtures.ints2d(s.get("attention_mask"), mb), null);
                loss = CausalLmLoss.backward(replica, gc, hidden, targets, targets.count(), chunkRows).getFloat();
            }
            Map<String, float[]> grads = new LinkedHashMap<>();
            replica.trainableParameters().forEach((k, v) -> grads.put(k, v.getGradient().toFloatArray()));
            return new Step(loss, grads);
        }
    }

    @ParameterizedTest(name = "{0} checkpointing={1} chunk={2}")
    @CsvSource({"tiny-llama, false, 5", "tiny-llama, true, 5", "tiny-nemotron-h, false, 5", "tiny-nemotron-h, true, 5",
            "tiny-nemotron-h, false, 1"})
    void chunkedEqualsOnePiece(String fixture, boolean checkpointing, int chunkRows) {
        Step whole = step(fixture, checkpointing, Integer.MAX_VALUE);
        Step chunked = step(fixture, checkpointing, chunkRows);
        double worst = 0;
        double largest = 0;
        for (Map.Entry<String, float[]> e : whole.grads().entrySet()) {
            float[] a = e.getValue();
            float[] b = chunked.grads().get(e.getKey());
            for (int i = 0; i < a.length; i++) {
                worst = Math.max(worst, Math.abs(a[i] - b[i]));
                largest = Math.max(largest, Math.abs(a[i]));
            }
        }
        System.out.printf("%s checkpointing=%b, loss in chunks of %d rows: loss %.8f vs %.8f (|diff| %.2e), max |grad diff| %.2e"
                        + " (largest |grad| %.2e) over %d tensors (tol %.0e relative)%n", fixture, checkpointing, chunkRows, chunked.loss(),
                whole.loss(), Math.abs(chunked.loss() - whole.loss()), worst, largest, whole.grads().size(), TOL);
        assertEquals(whole.loss(), chunked.loss(), TOL * Math.max(1, whole.loss()));
        assertTrue(worst <= TOL * largest, "gradients differ by " + worst + " (largest " + largest + ")");
        assertTrue(largest > 1e-3, "premise: the LoRA tensors get gradient");
    }
}
