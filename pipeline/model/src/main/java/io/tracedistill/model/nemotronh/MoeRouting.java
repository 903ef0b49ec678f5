package io.tracedistill.model.nemotronh;

import java.util.List;

/**
 * The routing decisions of one MoE layer for a batch of tokens (row-major over {@code [B, T]}).
 *
 * @param layer   layer index
 * @param experts per token, the chosen experts in descending order of biased score
 * @param weights per token, their combine weights (renormalised unbiased sigmoid scores × routed_scaling_factor)
 * @param groups  per token, the kept expert groups in ascending order
 */
public record MoeRouting(int layer, List<int[]> experts, List<float[]> weights, List<int[]> groups) {
}
