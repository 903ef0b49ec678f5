package io.tracedistill.spark.prepare;

import java.util.List;
import java.util.Map;

/**
 * What {@link PrepareStage#run} wrote: paths (fully qualified) and counts.
 *
 * @param preparedDir {@code output_dir/prepared}
 * @param phase1Dir {@code prepared/phase1} (shards in training order)
 * @param phase2Dir {@code prepared/phase2}
 * @param quarantineDir {@code prepared/quarantine}
 * @param manifestPath {@code prepared/manifest.json}, written last: its presence marks a complete run
 * @param inputRows every input row
 * @param keptRows rows the contract kept for training ({@code inputRows = keptRows + quarantinedRows + heldOutRows} with
 *     {@code holdout_fraction}; {@code inputRows = keptRows + quarantinedRows} with {@code heldout_source: eval_path})
 * @param quarantinedRows rows written to the quarantine
 * @param phase1Rows rows in phase 1
 * @param phase2Rows rows in phase 2 (hard rows are in both phases)
 * @param dropReasons quarantined rows per reason
 * @param phase1Shards shard file names of phase 1, in position order
 * @param phase2Shards shard file names of phase 2, in position order
 * @param heldOutRows rows in the held-out slice ({@code prepared/heldout}): training rows set aside by
 *     {@code holdout_fraction}, or the kept {@code eval_path} rows with {@code heldout_source: eval_path}; 0 = none
 */
public record PrepareResult(String preparedDir, String phase1Dir, String phase2Dir, String quarantineDir,
        String manifestPath, long inputRows, long keptRows, long quarantinedRows, long phase1Rows, long phase2Rows,
        Map<String, Long> dropReasons, List<String> phase1Shards, List<String> phase2Shards,
        long heldOutRows) {}
