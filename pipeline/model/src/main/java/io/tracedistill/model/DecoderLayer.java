package io.tracedistill.model;

import ai.djl.ndarray.NDArray;

/**
 * HF {@code LlamaDecoderLayer}: pre-norm residual blocks
 * {@code h = x + self_attn(input_layernorm(x)); y = h + mlp(post_attention_layernorm(h))}.
 */
public final class DecoderLayer {
    private final int index;
    private final RmsNorm inputLayernorm;
    private final Attention selfAttn;
    private final RmsNorm postAttentionLayernorm;
    private final Mlp mlp;

    public DecoderLayer(int index, RmsNorm inputLayernorm, Attention selfAttn, RmsNorm postAttentionLayernorm, Mlp mlp) {
        this.index = index;
        this.inputLayernorm = inputLayernorm;
        this.selfAttn = selfAttn;
        this.postAttentionLayernorm = postAttentionLayernorm;
        this.mlp = mlp;
    }

    public Attention selfAttn() {
        return selfAttn;
    }

    public Mlp mlp() {
        return mlp;
    }

    /** {@code x [B, T, hidden] -> [B, T, hidden]}. */
    NDArray forward(NDArray x, NDArray cos, NDArray sin, NDArray maskBias, KvCache cache, boolean training) {
        NDArray h = x.add(selfAttn.forward(inputLayernorm.forward(x), cos, sin, maskBias, cache, index, training));
        return h.add(mlp.forward(postAttentionLayernorm.forward(h), training));
    }
}
