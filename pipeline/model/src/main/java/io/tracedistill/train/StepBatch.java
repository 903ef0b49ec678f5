package io.tracedistill.train;

import java.util.List;

/**
 * The batch of one optimizer step: up to {@code gradient_accumulation_steps × world_size} micro-batches, and
 * {@code numItemsInBatch} = their supervised-target count (after the causal shift) summed over the
 * whole step, which divides every micro-batch's CE sum (transformers #34191 loss normalisation).
 *
 * <p>A rank of a multi-process run holds only its own micro-batches ({@code m ≡ rank mod W}): the others are
 * {@code null} in {@link #microBatches()} (read by another rank, never decoded here), and {@code numItemsInBatch}
 * and {@link #numTokens()} then count this rank's micro-batches only (the trainer sums them over the ranks).
 *
 * @param epoch 0-based epoch of this step
 * @param step 1-based optimizer step within the phase
 * @param firstExampleIndex 0-based index within the epoch of the step's first example
 * @param numExamples examples in this step, on every rank
 * @param microBatches the step's micro-batches in order; {@code null} where another rank holds it
 * @param numItemsInBatch supervised targets of the micro-batches held here
 */
public record StepBatch(int epoch, int step, long firstExampleIndex, int numExamples, List<MicroBatch> microBatches, int numItemsInBatch) {

    /** All micro-batches held (a single-process step). */
    public StepBatch(int epoch, int step, long firstExampleIndex, List<MicroBatch> microBatches, int numItemsInBatch) {
        this(epoch, step, firstExampleIndex, microBatches.stream().mapToInt(MicroBatch::rows).sum(), microBatches, numItemsInBatch);
    }

    public StepBatch {
        microBatches = java.util.Collections.unmodifiableList(new java.util.ArrayList<>(microBatches)); // nulls allowed
    }

    /** Whether micro-batch {@code k} of this step is held here (else another rank reads and trains it). */
    public boolean holds(int k) {
        return microBatches.get(k) != null;
    }

    /** Index within the epoch of the first example after this step. */
    public long nextExampleIndex() {
        return firstExampleIndex + numExamples;
    }

    /** Non-pad tokens of the micro-batches held here. */
    public long numTokens() {
        long n = 0;
        for (MicroBatch mb : microBatches) {
            if (mb != null) {
                n += mb.numTokens();
            }
        }
        return n;
    }
}
