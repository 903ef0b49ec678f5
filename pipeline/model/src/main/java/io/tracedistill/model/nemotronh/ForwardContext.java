package io.tracedistill.model.nemotronh;

import ai.djl.ndarray.NDArray;
import java.util.List;

/**
 * What a mixer needs besides its input during one forward pass.
 *
 * @param layer        layer index (keys the cache)
 * @param tokenMask    null, or {@code [B, T]} float (1 = real token) for the new tokens: Mamba layers zero
 *                     padded positions before {@code in_proj} and after the conv, as transformers does
 * @param attnBias     null when the model has no attention layer, else the additive mask {@code [B, 1, T, S]}
 * @param cache        null, or the decoding cache (read and extended)
 * @param training     enables LoRA dropout
 * @param routingLog   null, or a list MoE layers append their routing decisions to
 */
record ForwardContext(int layer, NDArray tokenMask, NDArray attnBias, NemotronHCache cache, boolean training,
                      List<MoeRouting> routingLog) {

    ForwardContext at(int newLayer) {
        return new ForwardContext(newLayer, tokenMask, attnBias, cache, training, routingLog);
    }
}
