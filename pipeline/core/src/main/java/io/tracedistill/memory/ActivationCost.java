package io.tracedistill.memory;

/**
 * A count of float elements for one sequence of T tokens:
 * {@code perToken·T + perChunk·ceil(T / chunk)}, plus, for attention, {@code attentionHeads} rows of
 * scores per token (T of them in eager attention: the {@code [heads, T, T]} probabilities; see
 * {@link MemoryPlan} for the memory-efficient variant). The per-chunk term is the SSD scan's per-chunk
 * matrices and states.
 */
public record ActivationCost(long perToken, long attentionHeads, long perChunk, int chunk) {

    static ActivationCost linear(long perToken) {
        return new ActivationCost(perToken, 0, 0, 1);
    }

    /** Elements for T tokens, each attention head keeping {@code scoresPerRow} scores per token. */
    long elements(long tokens, long scoresPerRow) {
        long chunks = perChunk == 0 ? 0 : (tokens + chunk - 1) / chunk;
        return perToken * tokens + attentionHeads * tokens * scoresPerRow + perChunk * chunks;
    }
}
