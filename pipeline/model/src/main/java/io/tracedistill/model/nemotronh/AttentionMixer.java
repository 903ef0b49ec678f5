package io.tracedistill.model.nemotronh;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import io.tracedistill.model.LinearProjection;
import java.util.List;

/**
 * Nemotron-H's attention mixer ({@code *}), transformers' {@code NemotronHAttention} eager path: q/k/v
 * projections, NO positional encoding (no RoPE; {@code rope_theta} in the real config is unused),
 * grouped-query attention with scale {@code 1/sqrt(head_dim)}, additive mask, softmax, {@code o_proj}.
 * {@code num_heads · head_dim} need not equal the hidden size. GQA folds the query heads sharing a kv
 * head into the row axis, as {@code io.tracedistill.model.Attention} does.
 */
final class AttentionMixer extends Mixer {
    private final int heads;
    private final int kvHeads;
    private final int headDim;
    private final float scale;

    AttentionMixer(NemotronHConfig cfg, LinearProjection q, LinearProjection k, LinearProjection v, LinearProjection o) {
        slot("q_proj", q);
        slot("k_proj", k);
        slot("v_proj", v);
        slot("o_proj", o);
        this.heads = cfg.numAttentionHeads();
        this.kvHeads = cfg.numKeyValueHeads();
        this.headDim = cfg.headDim();
        this.scale = (float) (1.0 / Math.sqrt(headDim));
    }

    @Override
    List<String> moduleNames() {
        return List.of("q_proj", "k_proj", "v_proj", "o_proj");
    }

    @Override
    String kind() {
        return "attention";
    }

    @Override
    NDArray forward(NDArray x, ForwardContext ctx) {
        Shape s = x.getShape();
        long b = s.get(0);
        long t = s.get(1);
        boolean tr = ctx.training();
        NDArray q = proj("q_proj").forward(x, tr).reshape(b, t, heads, headDim).transpose(0, 2, 1, 3);   // [B, H, T, d]
        NDArray k = proj("k_proj").forward(x, tr).reshape(b, t, kvHeads, headDim).transpose(0, 2, 1, 3); // [B, Hkv, T, d]
        NDArray v = proj("v_proj").forward(x, tr).reshape(b, t, kvHeads, headDim).transpose(0, 2, 1, 3);
        if (ctx.cache() != null) {
            NDArray[] kv = ctx.cache().appendKv(ctx.layer(), k, v);
            k = kv[0];
            v = kv[1]; // [B, Hkv, S, d]
        }
        long sLen = k.getShape().get(2);
        long groups = heads / kvHeads;
        NDArray scores = q.reshape(b, kvHeads, groups * t, headDim)
                .matMul(k.transpose(0, 1, 3, 2))              // [B, Hkv, G·T, S]
                .mul(x.getManager().create(scale))            // an NDArray scalar: mul(Number) breaks autograd in DJL 0.33
                .reshape(b, heads, t, sLen)
                .add(ctx.attnBias());                         // [B, 1, T, S] broadcast
        NDArray out = scores.softmax(-1).reshape(b, kvHeads, groups * t, sLen).matMul(v) // [B, Hkv, G·T, d]
                .reshape(b, heads, t, headDim)
                .transpose(0, 2, 1, 3)
                .reshape(b, t, (long) heads * headDim);
        return proj("o_proj").forward(out, tr);
    }
}
