package io.tracedistill.spark.prepare;

import io.tracedistill.config.Redaction;
import io.tracedistill.config.RunConfig;
import io.tracedistill.run.OutputLayout;
import io.tracedistill.run.Phase;
import io.tracedistill.spark.Manifests;
import io.tracedistill.spark.ShardFiles;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.util.CollectionAccumulator;

/**
 * The prepare step: CoT table → format contract (+ quarantine) → held-out slice ({@code holdout_fraction} &gt; 0) →
 * two-phase split → stratified order per phase → prepared shards in training order (+ {@code prepared/heldout/}) +
 * {@code prepared/manifest.json}. With {@code heldout_source: eval_path} the held-out slice is the eval_path rows
 * instead ({@link EvalPathHeldOut}), and no training row is held out.
 *
 * <p>Output is committed atomically: the existing manifest is deleted first (so a failed rerun never looks
 * complete), everything is written under a hidden {@code prepared/_tmp-<uuid>/} through Spark's commit protocol
 * (a retried task leaves no duplicates), the finished directories are published under deterministic file names,
 * and the manifest is written last as the "complete" marker ({@link ShardFiles}: the protocol every stage uses). Reference: {@code tracedistill/run.py::summarize_data}
 * and {@code training.py::train_two_phase}/{@code _run_phase} (the data half of them).
 */
public final class PrepareStage {
    private PrepareStage() {}

    /**
     * Runs prepare for a run config ({@link PrepareSettings#from(RunConfig)}); relative paths in the config are
     * resolved against the working directory, as the reference does.
     */
    public static PrepareResult run(SparkSession spark, RunConfig cfg, Path configPath) {
        return run(spark, PrepareSettings.from(cfg), configPath);
    }

    /**
     * Runs prepare.
     *
     * @param spark the session (its Hadoop configuration carries any S3A settings)
     * @param s the settings (see {@link PrepareSettings})
     * @param configPath the config file the settings came from, for messages and the manifest; may be null
     * @return paths and counts of what was written
     * @throws InputSchemaException before anything is written if the input lacks a configured column
     * @throws IllegalArgumentException with the core's message if the split or order cannot be computed
     */
    public static PrepareResult run(SparkSession spark, PrepareSettings s, Path configPath) {
        Configuration conf = spark.sparkContext().hadoopConfiguration();
        String configName = configPath == null ? null : configPath.getFileName().toString();
        // 1) read and check the schema before anything is deleted or written.
        InputTable table = InputReader.read(spark, s.dataPath());
        CheckedSchema schema = SchemaCheck.check(table, s.columns(), configName);
        Optional<EvalPathHeldOut.Source> evalSource = s.heldOutEvalPath().map(p -> EvalPathHeldOut.read(spark, p, s, configName));

        OutputLayout layout = OutputLayout.of(ShardFiles.qualify(conf, s.outputDir()));
        String prepared = layout.prepared().uri();
        String phase1 = layout.prepared(Phase.PHASE1).uri();
        String phase2 = layout.prepared(Phase.PHASE2).uri();
        String quarantine = layout.preparedQuarantine().uri();
        String heldOut = layout.preparedHeldOut().uri();
        String heldOutQuarantine = layout.preparedHeldOutQuarantine().uri();
        String manifest = layout.preparedManifest().uri();
        Manifests.delete(conf, manifest);
        String tmp = ShardFiles.stagingDir(prepared);
        Broadcast<RowAssignment> broadcast = null;
        try {
            // 2) format contract → staged rows (one pass over the input; everything later reads the staged copy).
            CollectionAccumulator<byte[]> summaries = spark.sparkContext().collectionAccumulator(
                    "tracedistill prepare: staged summaries");
            Dataset<Row> staged = FormatContractTransform.transform(table, schema,
                    new FormatContractTransform.Params(s.promptSuffix(), s.minCotLen(), s.strictData()), summaries);
            ShardWriter.writeStaged(staged, tmp + "/staged");
            Dataset<Row> stagedBack = spark.read().schema(FormatContractTransform.stagedSchema(schema.input()))
                    .parquet(tmp + "/staged");

            // 3) split + order on the driver, broadcast back.
            // The staged write gathered the summaries; scan the staged copy only if some did not arrive.
            StagedSummaryCodec.Collected collected = StagedSummaryCodec.fromStagingBlobs(summaries.value())
                    .orElseGet(() -> StagedSummaryCodec.collectWithIdentity(stagedBack));
            AllRowsMalformed.check(collected.summary(), stagedBack, s.dataPath(), table.format());
            PhaseSplitter.Result split;
            try {
                split = PhaseSplitter.split(collected,
                        new PhaseSplitter.Params(s.hardTypes(), s.splitSeed(), s.seed(), s.shuffle(),
                                s.effectiveBatch1(), s.effectiveBatch2(), s.holdoutFraction()));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("prepare of data_path '" + Redaction.text(s.dataPath())
                        + "' cannot split the rows: " + e.getMessage(), e);
            }
            broadcast = JavaSparkContext.fromSparkContext(spark.sparkContext()).broadcast(split.assignment());
            long p1 = split.phase1InputRowsByPosition().length;
            long p2 = split.phase2InputRowsByPosition().length;
            long held = split.heldOutInputRows().length;
            long quarantined = 0;
            for (String r : split.summary().reason()) {
                quarantined += r == null ? 0 : 1;
            }

            // 4) shards into the temporary directory: both phases in one pass, then the quarantine.
            ShardWriter.PhaseParts parts = ShardWriter.writePhases(stagedBack, broadcast, schema, s.shardFormat(),
                    tmp + "/phases", p1, p2, s.rowsPerShard());
            ShardWriter.writeQuarantine(stagedBack, broadcast, schema, s.shardFormat(), tmp + "/" + OutputLayout.QUARANTINE,
                    quarantined, s.rowsPerShard());
            if (held > 0) {
                ShardWriter.writeHeldOut(stagedBack, broadcast, schema, s.shardFormat(), tmp + "/" + OutputLayout.HELD_OUT,
                        held, s.rowsPerShard());
            }
            // heldout_source: eval_path: the eval rows are the slice (the training split above held nothing out).
            Optional<EvalPathHeldOut.Written> evalHeld = evalSource.map(src -> EvalPathHeldOut.write(spark, src, s,
                    tmp + "/" + OutputLayout.HELD_OUT, tmp + "/" + OutputLayout.HELD_OUT_QUARANTINE, tmp + "/eval-staged"));

            // 5) publish: replace the old directories, deterministic names.
            for (String d : List.of(phase1, phase2, quarantine, heldOut, heldOutQuarantine)) {
                ShardFiles.deleteIfExists(conf, d);
            }
            List<List<ShardFiles.Shard>> phases = ShardFiles.publishParts(conf, tmp + "/phases", List.of(
                    new ShardFiles.PartRange(phase1, parts.first(Phase.PHASE1), parts.count(Phase.PHASE1)),
                    new ShardFiles.PartRange(phase2, parts.first(Phase.PHASE2), parts.count(Phase.PHASE2))),
                    s.shardFormat());
            List<ShardFiles.Shard> sh1 = phases.get(0);
            List<ShardFiles.Shard> sh2 = phases.get(1);
            List<ShardFiles.Shard> shq = ShardFiles.publish(conf, tmp + "/" + OutputLayout.QUARANTINE, quarantine,
                    s.shardFormat());
            List<ShardFiles.Shard> shh = held == 0 && evalHeld.isEmpty() ? List.of()
                    : ShardFiles.publish(conf, tmp + "/" + OutputLayout.HELD_OUT, heldOut, s.shardFormat());
            List<ShardFiles.Shard> shhq = evalHeld.isEmpty() ? List.of()
                    : ShardFiles.publish(conf, tmp + "/" + OutputLayout.HELD_OUT_QUARANTINE, heldOutQuarantine, s.shardFormat());
            ShardFiles.deleteIfExists(conf, tmp);

            String targetWarning = PrepareManifest.targetIssueWarning(split.summary());
            if (targetWarning != null) {
                System.getLogger(PrepareStage.class.getName()).log(System.Logger.Level.WARNING, targetWarning);
            }

            // 6) the manifest, last.
            Manifests.writeAtomically(conf, manifest, PrepareManifest.build(new PrepareManifest.Inputs(s, table, schema,
                    split, sh1, sh2, shq, shh, configPath == null ? null : configPath.toString()), evalHeld, shhq));

            Map<String, Long> reasons = new TreeMap<>();
            for (String r : split.summary().reason()) {
                if (r != null) {
                    reasons.merge(r, 1L, Long::sum);
                }
            }
            int n = split.summary().rows();
            return new PrepareResult(prepared, phase1, phase2, quarantine, manifest, n, n - quarantined - held, quarantined, p1, p2,
                    reasons, ShardFiles.names(sh1), ShardFiles.names(sh2),
                    evalHeld.map(EvalPathHeldOut.Written::keptRows).orElse(held));
        } catch (RuntimeException e) {
            throw ShardFiles.abandon(conf, tmp, e);
        } finally {
            if (broadcast != null) {
                broadcast.destroy();
            }
        }
    }
}
