package io.tracedistill.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GradClipTest {

    @Test
    void globalNormIsTheNormOfPerTensorNorms() {
        try (NDManager m = NDManager.newBaseManager()) {
            // ||[3,4]|| = 5, ||[[12]]|| = 12 -> sqrt(25 + 144) = 13
            NDArray a = m.create(new float[] {3f, 4f});
            NDArray b = m.create(new float[][] {{12f}});
            GradClip.Result r = GradClip.clipGlobalNorm(List.of(a, b), 1e9);
            assertEquals(13.0, r.totalNorm(), 1e-6);
            assertFalse(r.clipped());
            assertArrayEquals(new float[] {3f, 4f}, a.toFloatArray());
        }
    }

    @Test
    void clipsWithCoefMaxOverNormPlusEps() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray a = m.create(new float[] {3f, 4f});
            GradClip.Result r = GradClip.clipGlobalNorm(List.of(a), 1.0);
            assertTrue(r.clipped());
            assertEquals(5.0, r.totalNorm(), 0);             // reported before clipping
            double coef = 1.0 / (5.0 + 1e-6);
            assertEquals(coef, r.coef(), 1e-7);
            assertArrayEquals(new float[] {(float) (3 * coef), (float) (4 * coef)}, a.toFloatArray(), 1e-7f);
            assertEquals(1.0 - 2e-7, GradClip.globalNorm(List.of(a)), 1e-6);
        }
    }

    @Test
    void normAtTheThresholdIsNotClipped() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray a = m.create(new float[] {0.6f, 0.8f});  // norm 1.0, coef = 1/(1+1e-6) < 1 -> torch clips
            GradClip.Result r = GradClip.clipGlobalNorm(List.of(a), 1.0);
            assertTrue(r.clipped());
            NDArray b = m.create(new float[] {0.3f, 0.4f});  // norm 0.5 -> coef ~2 -> untouched
            assertFalse(GradClip.clipGlobalNorm(List.of(b), 1.0).clipped());
            assertArrayEquals(new float[] {0.3f, 0.4f}, b.toFloatArray());
        }
    }
}
