package io.tracedistill.spark.prepare;

import io.tracedistill.config.Redaction;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.util.CollectionAccumulator;

/**
 * {@code heldout_source: eval_path}: the held-out slice is the {@code eval_path} rows, read by the same
 * {@link InputReader}, checked by the same {@link SchemaCheck} (so the trace column is required) and formatted by the
 * same {@link FormatContractTransform} as the training rows. Kept rows go to {@code prepared/heldout/} in input order
 * ({@code position} = {@code phase_index} = place among the kept eval rows), dropped rows with their reason to
 * {@code prepared/heldout_quarantine/}; every eval row is in exactly one of the two. The training rows are not touched.
 */
final class EvalPathHeldOut {
    private EvalPathHeldOut() {}

    /** The eval file(s) read and schema-checked, before prepare deletes or writes anything. */
    record Source(String evalPath, InputTable table, CheckedSchema schema) {}

    /**
     * What was staged for publishing.
     *
     * @param inputRows every eval row ({@code = keptRows + quarantinedRows})
     * @param dropReasons quarantined eval rows per reason
     * @param keptByType kept eval rows per type
     */
    record Written(Source source, long inputRows, long keptRows, long quarantinedRows, Map<String, Long> dropReasons,
            Map<String, Long> keptByType) {}

    /**
     * Reads {@code evalPath} and checks its columns.
     *
     * @throws InputSchemaException naming the eval file, the missing columns and the fix
     */
    static Source read(SparkSession spark, String evalPath, PrepareSettings s, String configName) {
        InputTable table = InputReader.read(spark, evalPath);
        try {
            return new Source(evalPath, table, SchemaCheck.check(table, s.columns(), configName));
        } catch (InputSchemaException e) {
            throw new InputSchemaException("heldout_source: eval_path reads eval_path '" + Redaction.text(evalPath)
                    + "' like data_path (it needs the same columns, the trace too): " + e.getMessage()
                    + " Or set heldout_source: holdout_fraction to hold out training rows instead.");
        }
    }

    /**
     * Formats the eval rows and writes the kept ones to {@code tmp/heldout} and the dropped ones to
     * {@code tmp/heldout_quarantine} (the caller publishes both).
     *
     * @throws IllegalArgumentException when no eval row passes the format contract (the slice would be empty)
     */
    static Written write(SparkSession spark, Source src, PrepareSettings s, String heldOutDir, String quarantineDir,
            String stagingDir) {
        CollectionAccumulator<byte[]> summaries = spark.sparkContext().collectionAccumulator(
                "tracedistill prepare: eval_path staged summaries");
        Dataset<Row> staged = FormatContractTransform.transform(src.table(), src.schema(),
                new FormatContractTransform.Params(s.promptSuffix(), s.minCotLen(), s.strictData()), summaries);
        ShardWriter.writeStaged(staged, stagingDir);
        Dataset<Row> stagedBack = spark.read().schema(FormatContractTransform.stagedSchema(src.schema().input()))
                .parquet(stagingDir);
        StagedSummaryCodec.Collected collected = StagedSummaryCodec.fromStagingBlobs(summaries.value())
                .orElseGet(() -> StagedSummaryCodec.collectWithIdentity(stagedBack));
        StagedSummaryCodec.InputSummary sum = collected.summary();
        AllRowsMalformed.check(sum, stagedBack, src.evalPath(), src.table().format());

        int n = sum.rows();
        int[] heldOutPosition = new int[n];
        Map<String, Long> reasons = new TreeMap<>();
        Map<String, Long> keptByType = new TreeMap<>();
        int kept = 0;
        for (int g = 0; g < n; g++) {
            String r = sum.reason()[g];
            if (r == null) {
                heldOutPosition[g] = kept++;
                keptByType.merge(sum.type()[g], 1L, Long::sum);
            } else {
                heldOutPosition[g] = RowAssignment.NONE;
                reasons.merge(r, 1L, Long::sum);
            }
        }
        if (kept == 0) {
            throw new IllegalArgumentException("heldout_source: eval_path: none of the " + n + " rows of eval_path '"
                    + Redaction.text(src.evalPath()) + "' passes the format contract " + reasons
                    + ", so the held-out slice would be empty; fix those rows (each needs a prompt, a trace, an answer and"
                    + " a type) or set heldout_source: holdout_fraction");
        }
        // No eval row is in a phase: only the held-out positions are set.
        int[][] none = new int[2][n];
        for (int[] a : none) {
            Arrays.fill(a, RowAssignment.NONE);
        }
        RowAssignment assignment = new RowAssignment(collected.inputRowByPidPos(), sum.sourceRow(), none,
                new int[][] {none[0].clone(), none[1].clone()}, heldOutPosition);
        Broadcast<RowAssignment> broadcast = JavaSparkContext.fromSparkContext(spark.sparkContext()).broadcast(assignment);
        try {
            ShardWriter.writeHeldOut(stagedBack, broadcast, src.schema(), s.shardFormat(), heldOutDir, kept, s.rowsPerShard());
            ShardWriter.writeQuarantine(stagedBack, broadcast, src.schema(), s.shardFormat(), quarantineDir, n - kept,
                    s.rowsPerShard());
        } finally {
            broadcast.destroy();
        }
        return new Written(src, n, kept, n - kept, reasons, keptByType);
    }

    /** The eval files' fingerprint ({@link PrepareManifest#fingerprint}). */
    static String fingerprint(Source src) {
        return PrepareManifest.fingerprint(src.table().files());
    }
}
