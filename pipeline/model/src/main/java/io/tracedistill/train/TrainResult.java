package io.tracedistill.train;

import java.nio.file.Path;
import java.util.Optional;

/**
 * What {@link TwoPhaseTrainer} wrote.
 *
 * @param phase1         phase-1 summary
 * @param phase2         phase-2 summary
 * @param phase1Adapter  {@code output_dir/phase1_adapter}
 * @param adapter        {@code output_dir/adapter} (final)
 * @param metrics        {@code output_dir/metrics.jsonl}
 * @param resumedFrom    the checkpoint the run resumed from, if any
 * @param precision      the dtype training ran in ("float32", plus the reason when bf16 was requested)
 * @param peakRssBytes   peak resident set size of the process (VmHWM), -1 when unknown
 */
public record TrainResult(PhaseResult phase1, PhaseResult phase2, Path phase1Adapter, Path adapter, Path metrics,
                          Optional<Path> resumedFrom, String precision, long peakRssBytes) {
}
