package io.tracedistill.train;

import io.tracedistill.run.Phase;

import java.util.List;

/**
 * Summary of one phase.
 *
 * @param phase          the phase
 * @param numExamples    examples per epoch
 * @param totalSteps     optimizer steps of the phase
 * @param tokens         non-pad tokens trained on
 * @param wallSeconds    wall time of the phase (across resumes)
 * @param finalLoss      loss of the last step (NaN when the phase had no step)
 * @param logged         the phase's metrics.jsonl records
 * @param truncated      examples cut to max_length
 * @param overMaxPosition examples longer than max_position_embeddings (trained anyway)
 */
public record PhaseResult(Phase phase, long numExamples, int totalSteps, long tokens, double wallSeconds, double finalLoss,
                          List<MetricsLog.Entry> logged, long truncated, long overMaxPosition) {
}
