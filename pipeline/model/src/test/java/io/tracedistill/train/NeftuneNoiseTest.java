package io.tracedistill.train;

import io.tracedistill.run.Phase;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NeftuneNoiseTest {

    @Test
    void magnitudeIsAlphaOverSqrtOfSeqLenTimesHidden() {
        NeftuneNoise n = new NeftuneNoise(5.0, 42);
        // L = 25, d = 4 -> 5 / sqrt(100) = 0.5
        assertEquals(0.5, n.magnitude(25, 4), 1e-7);
    }

    @Test
    void noiseIsBoundedSeededAndChangesPerMicroBatch() {
        try (NDManager m = NDManager.newBaseManager()) {
            NeftuneNoise n = new NeftuneNoise(5.0, 42);
            NDArray e = m.zeros(new Shape(2, 25, 4));
            float[] a = n.apply(e, Phase.PHASE1, 3, 0).toFloatArray();
            float[] b = n.apply(e, Phase.PHASE1, 3, 0).toFloatArray();
            float[] c = n.apply(e, Phase.PHASE1, 3, 1).toFloatArray();
            assertArrayEquals(a, b, 0f);                      // same (phase, step, micro-batch) -> same noise
            assertFalse(java.util.Arrays.equals(a, c));
            float max = 0;
            for (float x : a) {
                max = Math.max(max, Math.abs(x));
            }
            assertTrue(max <= 0.5f && max > 0.4f, "max |noise| " + max + " should be just under 0.5");
        }
    }

    @Test
    void alphaZeroIsTheIdentity() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray e = m.ones(new Shape(1, 3, 2));
            assertSame(e, new NeftuneNoise(0.0, 1).apply(e, Phase.PHASE1, 1, 0));
        }
    }

    @Test
    void negativeAlphaIsRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new NeftuneNoise(-1, 0));
        assertEquals("Invalid value -1.0 for neftune_noise_alpha: must be a finite number >= 0 (0 or null = off)", e.getMessage());
    }
}
