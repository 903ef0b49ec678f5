package io.tracedistill.spark.eval;

import io.tracedistill.config.EvalSection;
import io.tracedistill.config.Redaction;
import io.tracedistill.config.RunConfig;
import io.tracedistill.config.ShardFormat;
import io.tracedistill.contract.ColumnKeys;
import io.tracedistill.eval.AccuracyChart;
import io.tracedistill.eval.ArmSpec;
import io.tracedistill.eval.ContextLimit;
import io.tracedistill.eval.EvalReport;
import io.tracedistill.eval.EvalSettings;
import io.tracedistill.eval.Prediction;
import io.tracedistill.model.families.ModelFamilies;
import io.tracedistill.peft.PeftAdapter;
import io.tracedistill.python.PyText;
import io.tracedistill.run.OutputLayout;
import io.tracedistill.spark.Manifests;
import io.tracedistill.spark.ModelFolders;
import io.tracedistill.spark.ShardFiles;
import io.tracedistill.spark.prepare.InputReader;
import io.tracedistill.spark.prepare.InputTable;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.Partitioner;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.StructType;
import scala.Tuple2;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The eval job ({@code eval --cfg ...}, step 7 of a full run): decode {@code eval_path} greedily with the base model
 * and every adapter on the Spark executors, grade the boxed answers, and write {@code output_dir/eval/}:
 * {@code predictions/} (Parquet, or JSON Lines with {@code shard_format: jsonl}; one row per eval row and arm, sorted
 * by arm then row index), {@code eval_report.json}, {@code eval_report.md} and {@code accuracy_by_type.png}.
 *
 * <ol>
 *   <li>Read {@code eval_path} like prepare reads {@code data_path} (same formats, same {@code columns} mapping);
 *       it needs prompt, answer and type, other columns (e.g. {@code id}) pass through.</li>
 *   <li>Executors: user turn = {@code str(prompt) + prompt_suffix}, chat template with
 *       {@code add_generation_prompt=True} and {@code enable_thinking}, tokenize, context rule
 *       ({@link ContextLimit}); staged to a temporary Parquet copy.</li>
 *   <li>Driver: input row index per row, {@code eval_limit}, decode batches over the whole set
 *       ({@link EvalPlan}).</li>
 *   <li>Executors: each partition decodes whole batches under every arm with per-JVM cached models
 *       ({@link DecodePartition}), so the predictions equal the one-process {@link io.tracedistill.eval.LocalEval}
 *       exactly, whatever the partitioning.</li>
 *   <li>The predictions table is written and published; the report is computed from the table as written.</li>
 * </ol>
 * The old {@code eval_report.json} is deleted first, so a failed rerun never leaves a report that looks current.
 */
public final class EvalStage {
    private EvalStage() {
    }

    /**
     * Runs the eval.
     *
     * @param outputDir where {@code eval/} goes (normally {@code cfg.output().outputDir()}); also the default adapter's parent
     * @throws IllegalArgumentException before any Spark job if {@code eval_path} is unset, the base model or an
     *     adapter directory is unusable, or the eval table lacks a configured column
     */
    public static EvalResult run(SparkSession spark, RunConfig cfg, String outputDir) {
        return run(spark, Inputs.of(cfg, outputDir), outputDir);
    }

    /**
     * Everything the eval stage reads from the run config; the eval step's fingerprint is the canonical form of
     * this record, so a field added here is part of it.
     *
     * @param settings    what the decoders need (model, arms, budgets, chat template inputs, scorer, device)
     * @param eval        the {@code eval_*} keys (path, limit, adapters)
     * @param columns     {@code columns} of the eval table
     * @param shardFormat {@code shard_format} of the predictions table
     * @param baseModel   {@code base_model} as configured (for the report)
     */
    public record Inputs(EvalSettings settings, EvalSection eval, ColumnKeys columns, ShardFormat shardFormat, String baseModel) {

        /** The inputs of a run config; the default adapter is {@code outputDir/adapter}. */
        public static Inputs of(RunConfig cfg, String outputDir) {
            return new Inputs(EvalSettings.of(cfg, outputDir), cfg.eval(), cfg.data().columns(), cfg.output().shardFormat(),
                    cfg.model().baseModel());
        }
    }

    /** Runs the eval on {@code in} (see {@link #run(SparkSession, RunConfig, String)}). */
    public static EvalResult run(SparkSession spark, Inputs in, String outputDir) {
        String evalPath = in.eval().path().orElseThrow(() -> new IllegalArgumentException(
                "eval_path is not set: add eval_path (a CSV/JSONL/Parquet test set with prompt, answer and type "
                        + "columns) to the config to run eval"));
        EvalSettings settings = in.settings(); // folders as configured: each task makes them local on its node
        Configuration conf = spark.sparkContext().hadoopConfiguration();
        EvalSettings onDriver = ModelFolders.local(conf, settings);
        // Driver-side checks, before anything is read or written.
        int maxPositions = ModelFamilies.maxPositionEmbeddings(onDriver.modelPath());
        for (ArmSpec arm : onDriver.arms()) {
            arm.adapterPath().ifPresent(p -> {
                try {
                    PeftAdapter.readConfig(p);
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("eval arm '" + arm.name() + "': " + e.getMessage()
                            + (in.eval().adapters().isEmpty() ? " (eval_adapters is empty, so the run's own adapter "
                            + "output_dir/adapter is evaluated: run train first or list adapters in eval_adapters)"
                            : ""), e);
                }
            });
        }
        ContextLimit limit = settings.contextLimit(maxPositions);
        ShardFormat format = in.shardFormat();

        InputTable table = InputReader.read(spark, evalPath);
        EvalInputCheck.Checked checked = EvalInputCheck.check(table, in.columns());
        StructType predictionSchema = PredictionColumns.schema(checked.passthrough());
        StructType stagedSchema = EncodePartition.stagedSchema(table.inputSchema());
        int lead = EncodePartition.LEADING.size();
        int[] passIdx = checked.passthroughIdx().stream().mapToInt(i -> lead + i).toArray();

        OutputLayout layout = OutputLayout.of(ShardFiles.qualify(conf, outputDir));
        String evalDir = layout.eval().uri();
        String predictionsDir = layout.predictions().uri();
        String json = layout.evalReportJson().uri();
        String tmp = ShardFiles.stagingDir(evalDir);
        Manifests.delete(conf, json);
        Broadcast<EvalPlan> broadcast = null;
        try {
            // 1) encode on the executors, staged once so planning and decoding see the same rows.
            Dataset<Row> staged = table.rows().mapPartitions(
                    new EncodePartition(table.format(), checked, table.inputSchema().size(), settings, limit),
                    Encoders.row(stagedSchema));
            staged.write().parquet(tmp + "/staged");
            Dataset<Row> stagedBack = spark.read().schema(stagedSchema).parquet(tmp + "/staged");

            // 2) plan on the driver.
            EvalPlan plan = EvalPlan.build(stagedBack, in.eval().limit().orElse(null), settings.batchSize(),
                    spark.sparkContext().defaultParallelism());
            JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
            Broadcast<EvalPlan> b = jsc.broadcast(plan);
            broadcast = b;

            // 3) decode whole batches per partition.
            JavaRDD<Row> decoded = stagedBack.javaRDD()
                    .filter(r -> b.value().assignment().containsKey(EvalPlan.key(r.getInt(0), r.getLong(1))))
                    .mapToPair(r -> new Tuple2<>((int) b.value().assignment()
                            .get(EvalPlan.key(r.getInt(0), r.getLong(1)))[2], r))
                    .partitionBy(new ExactPartitioner(plan.partitions()))
                    .values()
                    .mapPartitions(new DecodePartition(settings, b, passIdx));
            Dataset<Row> predictions = spark.createDataFrame(decoded, predictionSchema);

            // 4) one sorted file (arm order, then row index), published under a deterministic name.
            List<Column> names = new ArrayList<>();
            for (ArmSpec a : settings.arms()) {
                names.add(functions.lit(a.name()));
            }
            Column armRank = functions.array_position(functions.array(names.toArray(new Column[0])),
                    functions.col(PredictionColumns.ARM));
            predictions.repartition(1)
                    .sortWithinPartitions(armRank, functions.col(PredictionColumns.ROW_INDEX))
                    .write().format(format.sparkSource()).save(tmp + "/" + OutputLayout.PREDICTIONS);
            ShardFiles.deleteIfExists(conf, predictionsDir);
            ShardFiles.publish(conf, tmp + "/" + OutputLayout.PREDICTIONS, predictionsDir, format);

            // 5) the report, from the table as written.
            List<Prediction> written = readPredictions(spark, predictionsDir, format, predictionSchema);
            Map<String, Object> meta = new LinkedHashMap<>();
            meta.put("scorer", settings.scorer().yamlName());
            meta.put("eval_path", Redaction.text(evalPath));
            meta.put("base_model", in.baseModel());
            meta.put("input_rows", plan.inputRows());
            meta.put("eval_limit", in.eval().limit().orElse(null));
            meta.put("eval_rows", plan.evalRows());
            meta.put("decoded_rows", plan.decodable());
            meta.put("max_new_tokens", settings.maxNewTokens());
            meta.put("batch_size", settings.batchSize());
            meta.put("decode_rule", "greedy, KV cache, left padding; output decoded with skip_special_tokens=True");
            meta.put("context_rule", limit.describe());
            meta.put("enable_thinking", settings.enableThinking());
            meta.put("chat_date", settings.chatDate() == null ? null : settings.chatDate().toString());
            meta.put("prompt_suffix", PyText.repr(settings.promptSuffix()));
            EvalReport report = EvalReport.build(written, settings.arms(), meta);
            String md = layout.evalReportMd().uri();
            String png = layout.accuracyChart().uri();
            writeBytes(conf, png, AccuracyChart.png(report));
            writeBytes(conf, md, report.toMarkdown().getBytes(StandardCharsets.UTF_8));
            Manifests.writeAtomically(conf, json, report.toJson()); // last: the "complete" marker
            List<String> armNames = report.armNames();
            return new EvalResult(evalDir, predictionsDir, json, md, png, plan.inputRows(), plan.evalRows(),
                    plan.decodable(), armNames, report);
        } finally {
            try {
                ShardFiles.deleteIfExists(conf, tmp);
            } finally {
                if (broadcast != null) {
                    broadcast.destroy();
                }
            }
        }
    }

    /** Reads a predictions table back (any part-file order; sorted by the report's arm then row order later). */
    public static List<Prediction> readPredictions(SparkSession spark, String predictionsDir, ShardFormat format,
            StructType schema) {
        List<Prediction> out = new ArrayList<>();
        for (Row r : spark.read().schema(schema).format(format.sparkSource()).load(predictionsDir).collectAsList()) {
            out.add(PredictionRows.fromRow(r));
        }
        return out;
    }

    private static void writeBytes(Configuration conf, String path, byte[] bytes) {
        Path p = new Path(path);
        try (OutputStream out = p.getFileSystem(conf).create(p, true)) {
            out.write(bytes);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot write " + path + ": " + e.getMessage(), e);
        }
    }

    /** Sends key {@code k} to partition {@code k}: the driver already chose each batch's partition. */
    static final class ExactPartitioner extends Partitioner {
        private static final long serialVersionUID = 1L;
        private final int n;

        ExactPartitioner(int n) {
            this.n = n;
        }

        @Override
        public int numPartitions() {
            return n;
        }

        @Override
        public int getPartition(Object key) {
            return (Integer) key;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof ExactPartitioner e && e.n == n;
        }

        @Override
        public int hashCode() {
            return n;
        }
    }
}
