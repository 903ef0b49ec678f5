package io.tracedistill.model;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * float32 to BF16 and FP16 in Java, round-to-nearest-even, for writing checkpoints: DJL's PyTorch engine must never be
 * handed a {@code BFLOAT16} tensor on this build (it aborts the JVM), so narrowing happens on host arrays. The widening
 * direction is {@link SafeTensors}' reader ({@code bits << 16} for BF16, {@link SafeTensors#halfToFloat} for FP16).
 */
public final class HalfPrecision {

    private HalfPrecision() {
    }

    /**
     * The BF16 bits nearest to {@code f} (ties to even), as PyTorch's {@code tensor.to(torch.bfloat16)}: the upper 16
     * bits after adding {@code 0x7FFF + lsb}. NaN stays a quiet NaN of the same sign; overflow rounds to infinity.
     */
    public static short bfloat16Bits(float f) {
        int bits = Float.floatToRawIntBits(f);
        if ((bits & 0x7FFFFFFF) > 0x7F800000) {
            return (short) ((bits >>> 16) | 0x0040); // NaN: keep sign and payload top, force quiet
        }
        int lsb = (bits >>> 16) & 1;
        return (short) ((bits + 0x7FFF + lsb) >>> 16);
    }

    /**
     * The IEEE binary16 bits nearest to {@code f} (ties to even), subnormals included; beyond 65504 (after rounding)
     * it is infinity, as {@code tensor.to(torch.float16)} gives.
     */
    public static short float16Bits(float f) {
        int bits = Float.floatToRawIntBits(f);
        int sign = (bits >>> 16) & 0x8000;
        int exp = (bits >>> 23) & 0xFF;
        int mant = bits & 0x7FFFFF;
        if (exp == 0xFF) {
            return (short) (sign | 0x7C00 | (mant != 0 ? 0x0200 | (mant >>> 13) : 0)); // inf, or a quiet NaN
        }
        int e = exp - 127 + 15; // the binary16 exponent field
        if (e >= 0x1F) {
            return (short) (sign | 0x7C00);
        }
        if (e <= 0) {
            if (e < -10) {
                return (short) sign; // below half the smallest subnormal: +-0
            }
            int m = mant | 0x800000;  // the implicit bit made explicit
            int shift = 14 - e;       // 13 + (1 - e): into the subnormal grid 2^-24
            int half = m >>> shift;
            int rem = m & ((1 << shift) - 1);
            int halfway = 1 << (shift - 1);
            if (rem > halfway || (rem == halfway && (half & 1) != 0)) {
                half++;               // may become the smallest normal: still the right bits
            }
            return (short) (sign | half);
        }
        int half = (e << 10) | (mant >>> 13);
        int rem = mant & 0x1FFF;
        if (rem > 0x1000 || (rem == 0x1000 && (half & 1) != 0)) {
            half++;                   // a carry into the exponent is correct rounding (up to infinity)
        }
        return (short) (sign | half);
    }

    /** {@code values} as little-endian bytes of safetensors dtype {@code F32}, {@code BF16} or {@code F16}. */
    public static byte[] encode(float[] values, String dtype) {
        switch (dtype) {
            case "F32" -> {
                ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
                b.asFloatBuffer().put(values);
                return b.array();
            }
            case "BF16", "F16" -> {
                ByteBuffer b = ByteBuffer.allocate(2 * values.length).order(ByteOrder.LITTLE_ENDIAN);
                boolean bf = dtype.equals("BF16");
                for (float v : values) {
                    b.putShort(bf ? bfloat16Bits(v) : float16Bits(v));
                }
                return b.array();
            }
            default -> throw new IllegalArgumentException("cannot encode floats as safetensors dtype " + dtype
                    + ": expected F32, BF16 or F16");
        }
    }
}
