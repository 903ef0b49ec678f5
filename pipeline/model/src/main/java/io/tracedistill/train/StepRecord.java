package io.tracedistill.train;

import io.tracedistill.run.Phase;

import java.util.List;

/**
 * What one optimizer step did (the trainer hands one to its {@link StepListener} after every step).
 *
 * @param phase             the phase
 * @param step              1-based step within the phase
 * @param totalSteps        steps in the phase
 * @param epoch             0-based epoch
 * @param positions         training positions of the step's examples, micro-batch by micro-batch (on a rank of a
 *                          multi-process run too: gathered from the ranks with the step's counts)
 * @param paddedLengths     padded length of each micro-batch
 * @param numItemsInBatch   supervised targets of the whole step (the loss denominator)
 * @param microBatchLosses  CE sum of each micro-batch / numItemsInBatch
 * @param loss              sum of the micro-batch losses = token-weighted mean CE of the step
 * @param lr                learning rate this step used
 * @param gradNorm          global gradient L2 norm before clipping
 * @param clipped           whether clipping scaled the gradients
 * @param stepTokens        non-pad tokens of the step
 * @param cumulativeTokens  non-pad tokens of the phase so far
 * @param elapsedSeconds    wall time of the phase so far (across resumes)
 */
public record StepRecord(Phase phase, int step, int totalSteps, int epoch, List<List<Long>> positions, List<Integer> paddedLengths,
                         int numItemsInBatch, List<Double> microBatchLosses, double loss, double lr, double gradNorm,
                         boolean clipped, long stepTokens, long cumulativeTokens, double elapsedSeconds) {

    /** {@code "phase1"} or {@code "phase2"}, as metrics.jsonl names the phase. */
    public String phaseName() {
        return phase.folderName();
    }
}
