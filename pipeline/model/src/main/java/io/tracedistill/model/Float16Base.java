package io.tracedistill.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Predicate;

/**
 * Frozen base weights stored in FP16 ({@code base_dtype: float16}): half the memory of float32 for the large
 * matrices (projections, embeddings, lm_head), while activations, norms, the router, LoRA tensors and the
 * optimizer state stay float32 (each FP16 weight is widened for its matmul; DJL aborts on BF16, so FP16 is
 * the 2-byte storage it offers).
 *
 * <p>Each tensor is checked while it is converted: a value beyond FP16's range (|v| > 65504) stops the load
 * naming the tensor; values that FP16 flushes to zero (|v| < 2^-25) or holds only as subnormals
 * (|v| < 2^-14, fewer mantissa bits) are counted and reported once per load.
 */
public final class Float16Base {
    private static final Logger LOG = System.getLogger(Float16Base.class.getName());
    /** Largest finite FP16 value. */
    public static final float MAX = 65504f;
    /** Smallest normal FP16 value, 2^-14. */
    public static final float MIN_NORMAL = 0x1p-14f;
    /** Below half the smallest subnormal (2^-24) a value rounds to zero. */
    public static final float FLUSH_BELOW = 0x1p-25f;

    /** What FP16 could not hold exactly in one tensor. */
    public record Loss(String tensor, long flushedToZero, long subnormal) {
    }

    private final Predicate<String> stored;
    private final List<Loss> losses = new ArrayList<>();
    private long convertedValues;

    /**
     * The large matrices of every family, by HF naming: {@code *_proj.weight} (attention, MLP, experts, Mamba
     * in/out), the token embeddings and an untied {@code lm_head}. Norms, convs, the MoE router and the SSM
     * parameters stay float32 (they are small and the reference computes them in float32).
     */
    public static Float16Base largeMatrices() {
        return new Float16Base(n -> n.endsWith("_proj.weight") || n.equals("lm_head.weight")
                || n.endsWith("embed_tokens.weight") || n.endsWith(".embeddings.weight"));
    }

    /** @param stored which checkpoint names are stored in FP16 (the rest stay float32) */
    public Float16Base(Predicate<String> stored) {
        this.stored = stored;
    }

    /**
     * {@code weight} (float32) in FP16 when {@code name} is stored so, else unchanged; the float32 array is closed
     * after conversion. Throws {@link ModelLoadException} when a value overflows FP16.
     */
    public NDArray convert(String name, NDArray weight) {
        if (!stored.test(name)) {
            return weight;
        }
        NDArray abs = weight.abs();
        long overflow = abs.gt(MAX).countNonzero().getLong();
        if (overflow > 0) {
            float max = abs.max().getFloat();
            abs.close();
            throw new ModelLoadException("Tensor '" + name + "' has " + overflow + " values beyond FP16's range (largest |v| "
                    + max + " > 65504): base_dtype float16 cannot hold this checkpoint; use base_dtype: float32");
        }
        long flushed = abs.lt(FLUSH_BELOW).logicalAnd(abs.gt(0f)).countNonzero().getLong();
        long subnormal = abs.lt(MIN_NORMAL).logicalAnd(abs.gte(FLUSH_BELOW)).countNonzero().getLong();
        abs.close();
        if (flushed > 0 || subnormal > 0) {
            losses.add(new Loss(name, flushed, subnormal));
        }
        convertedValues += weight.size();
        NDArray half = weight.toType(DataType.FLOAT16, false);
        weight.close();
        return half;
    }

    /** Tensors with values FP16 flushed or holds as subnormals, in load order. */
    public List<Loss> losses() {
        return List.copyOf(losses);
    }

    /** One line for the log: values converted, flushed and subnormal, and the worst tensors. */
    public String summary(String source) {
        long flushed = losses.stream().mapToLong(Loss::flushedToZero).sum();
        long subnormal = losses.stream().mapToLong(Loss::subnormal).sum();
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT,
                "base_dtype float16: %,d base weight values of %s stored in FP16; %,d flushed to zero (|v| < 2^-25), "
                        + "%,d kept as subnormals (|v| < 2^-14, reduced precision)", convertedValues, source, flushed,
                subnormal));
        losses.stream().sorted((a, b) -> Long.compare(b.flushedToZero() + b.subnormal(), a.flushedToZero() + a.subnormal()))
                .limit(3).forEach(l -> sb.append(String.format(Locale.ROOT, "; %s: %d flushed, %d subnormal", l.tensor(),
                        l.flushedToZero(), l.subnormal())));
        return sb.toString();
    }

    /** Logs {@link #summary} (a warning when anything was flushed). */
    public void report(String source) {
        boolean flushedAny = losses.stream().anyMatch(l -> l.flushedToZero() > 0);
        LOG.log(flushedAny ? Level.WARNING : Level.INFO, summary(source));
    }

    /** {@code w} in {@code like}'s dtype (an FP16 base weight widened for a float32 matmul), else {@code w} itself. */
    public static NDArray asTypeOf(NDArray w, NDArray like) {
        return w.getDataType() == like.getDataType() ? w : w.toType(like.getDataType(), false);
    }
}
