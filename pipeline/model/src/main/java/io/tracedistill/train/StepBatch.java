package io.tracedistill.train;

import java.util.List;

/**
 * The batch of one optimizer step: up to {@code gradient_accumulation_steps} micro-batches, and
 * {@code numItemsInBatch} = their supervised-target count (after the causal shift) summed over the
 * whole step, which divides every micro-batch's CE sum (transformers #34191 loss normalisation).
 *
 * @param epoch 0-based epoch of this step
 * @param step 1-based optimizer step within the phase
 * @param firstExampleIndex 0-based index within the epoch of the step's first example
 */
public record StepBatch(int epoch, int step, long firstExampleIndex, List<MicroBatch> microBatches, int numItemsInBatch) {

    /** Examples in this step. */
    public int numExamples() {
        int n = 0;
        for (MicroBatch mb : microBatches) {
            n += mb.rows();
        }
        return n;
    }

    /** Index within the epoch of the first example after this step. */
    public long nextExampleIndex() {
        return firstExampleIndex + numExamples();
    }

    /** Non-pad tokens of the step. */
    public long numTokens() {
        long n = 0;
        for (MicroBatch mb : microBatches) {
            n += mb.numTokens();
        }
        return n;
    }
}
