package io.tracedistill.model;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Java-side narrowing is round-to-nearest-even: hand-checked values (ties, subnormals, overflow, NaN), and for 200k
 * random floats over the whole range, the chosen neighbour is never farther than the other one and a tie picks the even
 * mantissa (widened with the reader's own widening).
 */
class HalfPrecisionTest {

    private static float bf16(short b) {
        return Float.intBitsToFloat((b & 0xFFFF) << 16);
    }

    @Test
    void handCheckedValues() {
        assertEquals((short) 0x3F80, HalfPrecision.bfloat16Bits(1.0f));
        // 1 + 2^-8 is exactly half-way between 1 and 1 + 2^-7: ties to the even mantissa (1.0).
        assertEquals((short) 0x3F80, HalfPrecision.bfloat16Bits(1.0f + 0x1p-8f));
        // 1 + 3 * 2^-8 is half-way between 1 + 2^-7 (odd) and 1 + 2^-6 (even): rounds up.
        assertEquals((short) 0x3F82, HalfPrecision.bfloat16Bits(1.0f + 3 * 0x1p-8f));
        assertEquals((short) 0x7F80, HalfPrecision.bfloat16Bits(Float.MAX_VALUE), "overflow rounds to +inf");
        assertTrue(Float.isNaN(bf16(HalfPrecision.bfloat16Bits(Float.NaN))));
        assertEquals((short) 0x3C00, HalfPrecision.float16Bits(1.0f));
        assertEquals((short) 0x7BFF, HalfPrecision.float16Bits(65504f));
        assertEquals((short) 0x7C00, HalfPrecision.float16Bits(65520f), "65520 is half-way to 2^16: ties to even = inf");
        assertEquals((short) 0x7BFF, HalfPrecision.float16Bits(65519f));
        assertEquals((short) 0x0001, HalfPrecision.float16Bits(0x1p-24f), "smallest subnormal");
        assertEquals((short) 0x0000, HalfPrecision.float16Bits(0x1p-25f), "half of it ties to even zero");
        assertEquals((short) 0x0001, HalfPrecision.float16Bits(0x1.8p-25f));
        assertEquals((short) 0x8000, HalfPrecision.float16Bits(-0.0f));
        assertEquals((short) 0x0400, HalfPrecision.float16Bits(0x1p-14f), "smallest normal");
        assertTrue(Float.isNaN(SafeTensors.halfToFloat(HalfPrecision.float16Bits(Float.NaN))));
    }

    @Test
    void randomValuesRoundToTheNearestEvenNeighbour() {
        SplittableRandom rnd = new SplittableRandom(7);
        for (int i = 0; i < 200_000; i++) {
            float f = Float.intBitsToFloat(rnd.nextInt());
            if (Float.isNaN(f) || Float.isInfinite(f)) {
                continue;
            }
            check(f, HalfPrecision.bfloat16Bits(f), true);
            float small = (float) (rnd.nextGaussian() * Math.pow(2, rnd.nextInt(-26, 17)));
            check(small, HalfPrecision.float16Bits(small), false);
        }
    }

    private static void check(float f, short bits, boolean bf) {
        double v = widen(bits, bf);
        if (Double.isInfinite(v)) {
            double max = bf ? bf16((short) 0x7F7F) : 65504.0;
            double ulp = bf ? Math.ulp(bf16((short) 0x7F7F)) * 65536 : 32.0;
            assertTrue(Math.abs(f) >= max + ulp / 2, "only values past the top half-ulp overflow: " + f);
            return;
        }
        double err = Math.abs(f - v);
        for (int d = -1; d <= 1; d += 2) {
            short n = (short) (bits + d);
            double w = widen(n, bf);
            if (Double.isNaN(w) || Double.isInfinite(w) || Math.signum(w) * Math.signum(v) < 0) {
                continue;
            }
            double other = Math.abs(f - w);
            assertTrue(err <= other, f + ": chose " + v + " but " + w + " is nearer");
            if (err == other) {
                assertEquals(0, bits & 1, f + ": a tie must pick the even mantissa");
            }
        }
    }

    private static double widen(short bits, boolean bf) {
        return bf ? bf16(bits) : SafeTensors.halfToFloat(bits);
    }
}
