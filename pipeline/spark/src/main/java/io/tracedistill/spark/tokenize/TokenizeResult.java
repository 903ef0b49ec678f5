package io.tracedistill.spark.tokenize;

import io.tracedistill.run.Phase;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What {@link TokenizeStage#run} wrote.
 *
 * @param tokensDir {@code output_dir/tokens}
 * @param manifestPath {@code output_dir/tokens/manifest.json}
 * @param chatDate the date the chat template's {@code strftime_now} saw
 * @param phases per phase: counts and shard files
 * @param quarantineDir {@code output_dir/tokens/quarantine}
 * @param quarantinedRows rows in the quarantine shard (both phases and the held-out slice)
 * @param heldOut the held-out slice ({@code tokens/heldout}), when prepare set one aside
 */
public record TokenizeResult(String tokensDir, String manifestPath, LocalDate chatDate,
        Map<Phase, PhaseResult> phases, String quarantineDir, long quarantinedRows, Optional<PhaseResult> heldOut) {

    /**
     * One phase's outcome.
     *
     * @param dir the token shard directory ({@code tokens/phase1|phase2})
     * @param files shard file names in training order ({@code part-00000.parquet, ...})
     * @param inputRows prepared rows read (= kept + quarantined)
     * @param kept rows written to the token shard
     * @param quarantinedByReason dropped rows per {@link TokenDropReason#code()}
     * @param orderRecomputed whether rows were dropped and positions were recomputed over the survivors
     * @param totalLossTokens supervised tokens in the shard
     */
    public record PhaseResult(String dir, List<String> files, long inputRows, long kept,
            Map<String, Long> quarantinedByReason, boolean orderRecomputed, long totalLossTokens) {

        /** The same result once published: its final directory and shard file names. */
        public PhaseResult published(String finalDir, List<String> publishedFiles) {
            return new PhaseResult(finalDir, List.copyOf(publishedFiles), inputRows, kept, quarantinedByReason,
                    orderRecomputed, totalLossTokens);
        }
    }
}
