package io.tracedistill.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;

/** Hand-checkable cases of the test oracle {@link FullLogitsLoss} (HF ForCausalLMLoss on full logits). */
class FullLogitsLossTest {

    @Test
    void uniformLogitsGiveLogVocabAndShiftByOne() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray logits = m.zeros(new Shape(2, 3, 4)); // uniform over V = 4 -> each target costs ln 4
            // Row 0: targets labels[1], labels[2] (2 items); row 1: labels[1] ignored, labels[2] = 3 (1 item).
            NDArray labels = m.create(new long[] {0, 1, 2, -100, -100, 3}, new Shape(2, 3));
            FullLogitsLoss.LossSum s = FullLogitsLoss.sum(logits, labels);
            assertEquals(3, s.count());
            assertEquals(3 * Math.log(4), s.sum().getFloat(), 1e-6);
            assertEquals(Math.log(4), FullLogitsLoss.mean(logits, labels).getFloat(), 1e-6);
        }
    }

    @Test
    void peakedLogitsPickTheNextLabel() {
        try (NDManager m = NDManager.newBaseManager()) {
            // logits at t=0 put 10 on class 1; labels[1] = 1 -> loss = -log(e^10 / (e^10 + 1))
            NDArray logits = m.create(new float[] {0, 10, 0, 0}, new Shape(1, 2, 2));
            NDArray labels = m.create(new long[] {-100, 1}, new Shape(1, 2));
            assertEquals(Math.log1p(Math.exp(-10)), FullLogitsLoss.mean(logits, labels).getFloat(), 1e-7);
        }
    }

    @Test
    void allIgnoredGivesZeroCount() {
        try (NDManager m = NDManager.newBaseManager()) {
            FullLogitsLoss.LossSum s = FullLogitsLoss.sum(m.zeros(new Shape(1, 2, 3)), m.create(new long[] {5, -100}, new Shape(1, 2)));
            assertEquals(0, s.count(), "the only non-ignored label is at t=0, which no logit predicts");
            assertEquals(0f, s.sum().getFloat());
        }
    }
}
