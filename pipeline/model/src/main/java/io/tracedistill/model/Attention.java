package io.tracedistill.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code self_attn} of a Llama / Qwen2 / Qwen3 decoder layer (HF {@code LlamaAttention} eager path):
 * q/k/v projections, Qwen3's per-head {@code q_norm}/{@code k_norm}, rotary, grouped-query attention,
 * scale {@code 1/sqrt(head_dim)}, additive mask, float32 softmax, {@code o_proj}.
 *
 * <p>GQA without copying keys: instead of HF's {@code repeat_kv}, the G query heads that share a
 * key/value head are folded into the time axis ({@code [B, H_kv, G·T, d]}), which gives the same
 * scores with one batched matmul per layer.
 */
public final class Attention {
    /** Slot names as in the HF checkpoint. */
    public static final String Q = "q_proj";
    public static final String K = "k_proj";
    public static final String V = "v_proj";
    public static final String O = "o_proj";

    private final Map<String, Projection> proj = new LinkedHashMap<>();
    private final RmsNorm qNorm; // null unless Qwen3
    private final RmsNorm kNorm;
    private final int heads;
    private final int kvHeads;
    private final int headDim;
    private final float scale;
    /**
     * {@code scale} as a float32 scalar on the weights' device, made once: creating it per call was one host→device
     * tensor per layer and decode step (a {@code from_blob} in the eval profile). A constant, so autograd is unaffected.
     */
    private final NDArray scaleArray;

    public Attention(HfConfig cfg, LinearProjection q, LinearProjection k, LinearProjection v, LinearProjection o, RmsNorm qNorm, RmsNorm kNorm) {
        proj.put(Q, q);
        proj.put(K, k);
        proj.put(V, v);
        proj.put(O, o);
        this.qNorm = qNorm;
        this.kNorm = kNorm;
        this.heads = cfg.numAttentionHeads();
        this.kvHeads = cfg.numKeyValueHeads();
        this.headDim = cfg.headDim();
        this.scale = (float) (1.0 / Math.sqrt(cfg.headDim()));
        this.scaleArray = o.weight().getManager().create(scale);
    }

    /** The projection slots by short name ({@code q_proj} …), in HF order. */
    public Map<String, Projection> projections() {
        return proj;
    }

    void replace(String slot, Projection p) {
        if (!proj.containsKey(slot)) {
            throw new IllegalArgumentException("No projection " + slot + " in self_attn");
        }
        proj.put(slot, p);
    }

    /**
     * @param x        {@code [B, T, hidden]}
     * @param cos      {@code [B, 1, T, d]}
     * @param sin      {@code [B, 1, T, d]}
     * @param maskBias {@code [B, 1, T, S]} additive (0 or most-negative float)
     * @param cache    null, or the cache to append to (then S = past + T)
     * @return {@code [B, T, hidden]}
     */
    NDArray forward(NDArray x, NDArray cos, NDArray sin, NDArray maskBias, KvCache cache, int layer, boolean training) {
        Shape s = x.getShape();
        long b = s.get(0);
        long t = s.get(1);
        NDArray q = proj.get(Q).forward(x, training).reshape(b, t, heads, headDim);   // [B, T, H, d]
        NDArray k = proj.get(K).forward(x, training).reshape(b, t, kvHeads, headDim); // [B, T, Hkv, d]
        NDArray v = proj.get(V).forward(x, training).reshape(b, t, kvHeads, headDim);
        if (qNorm != null) {
            q = qNorm.forward(q);
            k = kNorm.forward(k);
        }
        q = RotaryEmbedding.apply(q.transpose(0, 2, 1, 3), cos, sin); // [B, H, T, d]
        k = RotaryEmbedding.apply(k.transpose(0, 2, 1, 3), cos, sin); // [B, Hkv, T, d]
        v = v.transpose(0, 2, 1, 3);                                  // [B, Hkv, T, d]
        if (cache != null) {
            NDArray[] kv = cache.append(layer, k, v);
            k = kv[0];
            v = kv[1]; // [B, Hkv, S, d]
        }
        long sLen = k.getShape().get(2);
        long groups = heads / kvHeads;
        // Fold the G query heads of each kv head into the row axis: [B, Hkv, G*T, d].
        NDArray scores = q.reshape(b, kvHeads, groups * t, headDim)
                .matMul(k.transpose(0, 1, 3, 2))          // [B, Hkv, G*T, S]
                .mul(scaleArray)                        // see LoraLinear#forward: never mul(Number) on a graph
                .reshape(b, heads, t, sLen)               // [B, H, T, S]
                .add(maskBias);
        NDArray probs = scores.softmax(-1);
        NDArray out = probs.reshape(b, kvHeads, groups * t, sLen).matMul(v) // [B, Hkv, G*T, d]
                .reshape(b, heads, t, headDim)
                .transpose(0, 2, 1, 3)
                .reshape(b, t, (long) heads * headDim);                 // [B, T, H*d]
        return proj.get(O).forward(out, training);
    }
}
