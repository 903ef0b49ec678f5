package io.tracedistill.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * Rotary position embedding as in HF {@code LlamaRotaryEmbedding} + {@code apply_rotary_pos_emb}:
 * non-interleaved halves ({@code rotate_half}), {@code inv_freq[i] = 1 / theta^(2i/d)},
 * {@code emb = cat(freqs, freqs)}, {@code q' = q·cos + rotate_half(q)·sin}. Positions are given
 * explicitly so left-padded batches can use {@code cumsum(mask) - 1}.
 */
public final class RotaryEmbedding {
    private final NDArray invFreq; // [d/2] float32

    public RotaryEmbedding(int headDim, double theta, NDManager manager) {
        float[] inv = new float[headDim / 2];
        for (int i = 0; i < inv.length; i++) {
            inv[i] = (float) (1.0 / Math.pow(theta, (2.0 * i) / headDim));
        }
        this.invFreq = manager.create(inv, new Shape(inv.length));
    }

    /** {@code positions [B, T]} (int) -> {cos, sin}, each {@code [B, 1, T, d]}, in the positions' manager. */
    public NDList cosSin(NDArray positions) {
        NDArray freqs = positions.toType(DataType.FLOAT32, false).expandDims(-1).mul(invFreq); // [B, T, d/2]
        NDArray emb = freqs.concat(freqs, -1).expandDims(1); // [B, 1, T, d]
        return new NDList(emb.cos(), emb.sin());
    }

    /** {@code x [B, H, T, d]} rotated by {@code cos/sin [B, 1, T, d]}. */
    public static NDArray apply(NDArray x, NDArray cos, NDArray sin) {
        NDList halves = x.split(2, x.getShape().dimension() - 1);
        NDArray rotated = halves.get(1).neg().concat(halves.get(0), -1); // rotate_half
        return x.mul(cos).add(rotated.mul(sin));
    }
}
