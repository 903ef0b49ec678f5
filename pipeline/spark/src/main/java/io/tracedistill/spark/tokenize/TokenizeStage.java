package io.tracedistill.spark.tokenize;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.udf;

import com.fasterxml.jackson.databind.JsonNode;
import io.tracedistill.config.RunConfig;
import io.tracedistill.config.ShardFormat;
import io.tracedistill.run.OutputLayout;
import io.tracedistill.run.Phase;
import io.tracedistill.spark.Columns;
import io.tracedistill.spark.ExactPartitions;
import io.tracedistill.spark.Manifests;
import io.tracedistill.spark.ShardFiles;
import io.tracedistill.spark.ShardSchemas;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.expressions.UserDefinedFunction;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.execution.datasources.parquet.ParquetReadSupport;
import org.apache.spark.sql.internal.SQLConf;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;
import org.apache.spark.util.CollectionAccumulator;

/**
 * The tokenize stage: prepared shards → chat render → tokenize + completion-only mask → token shards in training
 * order, plus a quarantine and {@code tokens/manifest.json}.
 *
 * <p>Reference: {@code training.py::_run_phase} / {@code _tokenize_records} ({@code render_prompt_completion} +
 * {@code tokenize_with_masked_prompt} per record, truncated rows skipped, stratified order built over the survivors).
 * For each slice (phase 1, phase 2, the held-out slice if prepare wrote one), all slices in the same Spark jobs:
 * <ol>
 *   <li>Read {@code output_dir/prepared/<slice>/} (Parquet or JSON Lines per {@code shard_format}).</li>
 *   <li>On the executors ({@code mapPartitions}; tokenizer and template loaded once per JVM by
 *       {@link ExecutorResources}): render {@code [user: prompt, assistant: completion]} with the model's own chat
 *       template ({@code enable_thinking}, {@code strftime_now} = the chat date), tokenize and mask
 *       ({@link io.tracedistill.tokens.CompletionMasker}). Failures become quarantine reasons
 *       ({@link TokenDropReason}). This runs as the map side of job 1, the quarantine write; the rows are persisted
 *       for job 2.</li>
 *   <li>On the driver: the outcome counts per (type, reason, token length), counted per partition by the tokenize
 *       pass and arrived with job 1 through an accumulator ({@link OutcomeCounts}; no row comes to the driver), for
 *       the manifest; if any row was dropped, the survivors' (phase_index, type), 8 bytes each (a job), to recompute
 *       their positions ({@link SurvivorOrder}), as the reference orders after its drops.</li>
 *   <li>Job 2 writes {@code tokens/<slice>/}: columns {@link Columns#TOKEN_LEADING} + passthrough, one file per slice
 *       (more for a slice over 8M tokens, range-partitioned) sorted by {@code position}, published as
 *       {@code part-00000<ext>, ...}: <b>reading the files in name order and the rows in file order gives the
 *       training order</b> (what a {@code TokenShardReader} relies on).</li>
 * </ol>
 * The quarantine is {@code tokens/quarantine/} (columns {@code phase, reason, detail} + the prepared columns). Shards,
 * quarantine and the manifest are written with the publish protocol every stage uses ({@link ShardFiles}): the old
 * manifest is deleted first, Spark writes under {@code tokens/_tmp-<uuid>}, the shards are moved into place under
 * deterministic names, and the manifest is written last and marks completion, so a failed run never leaves a
 * complete-looking {@code tokens/}. The manifest holds no timestamps, and the chat date is reused from an earlier
 * manifest, so a rerun writes identical bytes.
 */
public final class TokenizeStage {

    /** Quarantine column: {@code phase1} / {@code phase2} / {@code heldout}. */
    public static final String QUARANTINE_PHASE = "phase";
    /** Quarantine column: the renderer's or masker's explanation. */
    public static final String QUARANTINE_DETAIL = "detail";
    /** Manifest key holding the chat date ({@code YYYY-MM-DD}). */
    public static final String MANIFEST_CHAT_DATE = "chat_date";
    /**
     * The columns {@link #tokenizeRows} adds after the prepared ones: quarantine reason and detail (null for a kept
     * row), token ids, labels ({@code -100} over the prompt span), number of tokens, number of loss tokens.
     */
    public static final List<String> TOKENIZED_COLUMNS = TokenizePartition.WORK_COLUMNS;

    /** Target bytes of token ids + labels per shard file (8 bytes per token). */
    static final long TARGET_SHARD_BYTES = 64L << 20;

    /** The shard write's partition column (dropped before writing): the slice's place in the write. */
    private static final String SHARD_PART = "_td_shard_part";

    private TokenizeStage() {}

    /**
     * Runs the stage for the jobs layer: settings from {@code cfg} ({@link TokenizeSettings#from}), the model's own
     * chat template ({@link ChatTemplateTurnRenderer}).
     *
     * @param outputDir the run's {@code output_dir} (local path or {@code s3a://} URI)
     */
    public static TokenizeResult run(SparkSession spark, RunConfig cfg, String outputDir) {
        return run(spark, TokenizeSettings.from(cfg), outputDir, ChatTemplateTurnRenderer.FACTORY);
    }

    /**
     * Runs the stage.
     *
     * @param spark the session (its Hadoop configuration resolves {@code outputDir}, local or {@code s3a://})
     * @param settings the stage's settings
     * @param outputDir the run's {@code output_dir}; must contain {@code prepared/phase1} and {@code prepared/phase2}
     * @param rendererFactory how executors build the chat renderer ({@link ChatTemplateTurnRenderer#FACTORY} in
     *     production)
     * @return counts, paths and the chat date used
     */
    public static TokenizeResult run(SparkSession spark, TokenizeSettings settings, String outputDir,
            TurnRenderer.Factory rendererFactory) {
        // Adaptive query execution runs every shuffle as a Spark job of its own: the summary collect of a phase was
        // three jobs instead of one (a tokenize run on local[2] launched 13 jobs, each with Spark's fixed cost). Every
        // shuffle of this stage has an explicit partition count, which adaptive execution leaves as it is, so it is
        // switched off while the stage runs (same rows, same files) and restored afterwards.
        String adaptive = SQLConf.ADAPTIVE_EXECUTION_ENABLED().key();
        String before = spark.conf().get(adaptive);
        spark.conf().set(adaptive, false);
        try {
            return runStage(spark, settings, outputDir, rendererFactory);
        } finally {
            spark.conf().set(adaptive, before);
        }
    }

    private static TokenizeResult runStage(SparkSession spark, TokenizeSettings settings, String outputDir,
            TurnRenderer.Factory rendererFactory) {
        Configuration conf = spark.sparkContext().hadoopConfiguration();
        OutputLayout layout = OutputLayout.of(outputDir);
        Path tokens = ShardFiles.hadoopPath(layout.tokens());
        Path manifestPath = ShardFiles.hadoopPath(layout.tokensManifest());

        // 1. The chat date: config, else the one an earlier run recorded, else today (UTC).
        LocalDate chatDate = settings.chatDate()
                .or(() -> recordedChatDate(conf, manifestPath))
                .orElse(LocalDate.now(ZoneOffset.UTC));

        // 2. Fail fast on the driver: missing tokenizer.json / chat_template, or a template that cannot render a
        //    plain two-turn chat (e.g. it needs a variable we do not supply), before any Spark job starts.
        ExecutorResources driverSide = ExecutorResources.get(settings.modelDir(), settings.enableThinking(), chatDate,
                rendererFactory);
        probeTemplate(driverSide, settings);

        // 3. Only a completed prepare counts: its manifest is written last.
        Path preparedManifest = ShardFiles.hadoopPath(layout.preparedManifest());
        if (!ShardFiles.exists(conf, preparedManifest.toString())) {
            throw new IllegalArgumentException("No " + preparedManifest + ": the prepare stage has not completed for "
                    + "this output_dir (it writes prepared/phase1, prepared/phase2 and then this manifest). Run "
                    + "prepare first.");
        }

        // 4. Publish protocol of every stage (ShardFiles): marker gone first, Spark writes under tokens/_tmp-<uuid>,
        //    shards moved into place under deterministic names, the manifest written last.
        Manifests.delete(conf, manifestPath.toString());
        // A failed first run leaves no tokens/ at all (the quarantine's staging dir creates it before the checks
        // that need the outcomes).
        boolean tokensExisted = ShardFiles.exists(conf, tokens.toString());
        String tmp = ShardFiles.stagingDir(tokens.toString());
        CollectionAccumulator<OutcomeCounts.Partition> outcomes = spark.sparkContext().collectionAccumulator(
                "tracedistill tokenize: outcome counts");
        List<Slice> slices = new ArrayList<>();
        List<Broadcast<long[][]>> broadcasts = new ArrayList<>();
        try {
            for (Phase phase : Phase.values()) {
                String preparedDir = ShardFiles.hadoopPath(layout.prepared(phase)).toString();
                slices.add(tokenizedSlice(spark, settings, chatDate, rendererFactory, phase.folderName(),
                        OptionalInt.of(settings.effectiveBatch(phase)), preparedDir,
                        ShardFiles.hadoopPath(layout.tokens(phase)).toString(), outcomes));
            }
            // The held-out slice (prepare wrote it only with holdout_fraction > 0), tokenized exactly like training rows;
            // its order is the slice's (no stratified order), so dropped rows leave gaps in its positions.
            String preparedHeldOut = ShardFiles.hadoopPath(layout.preparedHeldOut()).toString();
            if (ShardFiles.exists(conf, preparedHeldOut)) {
                slices.add(tokenizedSlice(spark, settings, chatDate, rendererFactory, OutputLayout.HELD_OUT,
                        OptionalInt.empty(), preparedHeldOut, ShardFiles.hadoopPath(layout.tokensHeldOut()).toString(),
                        outcomes));
            }

            // Job 1: the quarantine of every slice in one small shard, ordered by slice then record order. Its map side
            // tokenizes every row of every slice (on all cores), keeps the rows for the shard write (persisted) and
            // sends each partition's outcome counts to the driver (OutcomeCounts.Partition, an accumulator: counts,
            // not rows), so no job is spent on a summary. By name,
            // missing columns as null: the held-out slice of heldout_source: eval_path has the eval file's
            // passthrough columns, which need not be the training file's. The shuffle to one partition (not a
            // coalesce, which would tokenize on one core) carries the dropped rows only.
            Dataset<Row> quarantine = slices.stream().map(TokenizeStage::quarantineRows)
                    .reduce((x, y) -> x.unionByName(y, true)).orElseThrow();
            String quarantineTmp = tmp + "/" + OutputLayout.QUARANTINE;
            write(quarantine.repartition(1).sortWithinPartitions(col(QUARANTINE_PHASE), col(Columns.PHASE_INDEX)),
                    settings.shardFormat(), quarantineTmp);

            // Driver: every slice's outcome counts → statistics, errors, the survivors' order, the shard rows.
            List<SliceOutput> outputs = new ArrayList<>();
            for (Slice slice : slices) {
                List<Row> counts = OutcomeCounts.fromPartitions(outcomes, slice.name(), slice.partitions())
                        .orElseGet(() -> countOutcomes(slice.work()));
                SliceOutput out = shardRows(spark, settings, slice, counts);
                out.positions().ifPresent(broadcasts::add);
                outputs.add(out);
            }

            // Job 2: the token shards. Every slice that fits one shard file (up to 8M tokens) and has the first
            // slice's columns goes through one shuffle, one partition (= one file) per slice, sorted by position; a
            // larger slice is range-partitioned into its shards by a write of its own (and one with other passthrough
            // columns, the eval_path held-out slice, is written on its own).
            StructType shared = outputs.get(0).rows().schema();
            List<SliceOutput> together = outputs.stream()
                    .filter(o -> o.shards() == 1 && o.rows().schema().equals(shared)).toList();
            String togetherTmp = tmp + "/_shards";
            if (!together.isEmpty()) {
                Dataset<Row> union = null;
                for (int k = 0; k < together.size(); k++) {
                    Dataset<Row> tagged = together.get(k).rows().withColumn(SHARD_PART, lit(k));
                    union = union == null ? tagged : union.union(tagged);
                }
                write(ExactPartitions.shuffle(union, SHARD_PART, together.size(), Columns.POSITION),
                        settings.shardFormat(), togetherTmp);
            }
            for (SliceOutput o : outputs) {
                if (!together.contains(o)) {
                    Dataset<Row> rows = o.rows();
                    write((o.shards() == 1 ? rows.coalesce(1) : rows.repartitionByRange(o.shards(), col(Columns.POSITION)))
                            .sortWithinPartitions(col(Columns.POSITION)), settings.shardFormat(),
                            tmp + "/" + o.slice().name());
                }
            }

            // Publish: replace the old directories, deterministic names, then the manifest.
            String quarantineDir = layout.tokensQuarantine().uri();
            for (Slice slice : slices) {
                ShardFiles.deleteIfExists(conf, slice.tokensDir());
            }
            ShardFiles.deleteIfExists(conf, layout.tokensHeldOut().uri());
            ShardFiles.deleteIfExists(conf, quarantineDir);
            Map<String, List<String>> filesOf = new LinkedHashMap<>();
            if (!together.isEmpty()) {
                List<ShardFiles.PartRange> ranges = new ArrayList<>();
                for (int k = 0; k < together.size(); k++) {
                    ranges.add(new ShardFiles.PartRange(together.get(k).slice().tokensDir(), k, 1));
                }
                List<List<ShardFiles.Shard>> published = ShardFiles.publishParts(conf, togetherTmp, ranges,
                        settings.shardFormat());
                for (int k = 0; k < together.size(); k++) {
                    filesOf.put(together.get(k).slice().name(), ShardFiles.names(published.get(k)));
                }
            }
            for (SliceOutput o : outputs) {
                if (!together.contains(o)) {
                    filesOf.put(o.slice().name(), ShardFiles.names(ShardFiles.publish(conf, tmp + "/" + o.slice().name(),
                            o.slice().tokensDir(), settings.shardFormat())));
                }
            }
            Map<Phase, TokenizeResult.PhaseResult> results = new EnumMap<>(Phase.class);
            Map<String, Object> phaseManifests = new LinkedHashMap<>();
            Optional<TokenizeResult.PhaseResult> heldOutResult = Optional.empty();
            Map<String, Object> heldOutManifest = null;
            for (SliceOutput o : outputs) {
                List<String> files = filesOf.get(o.slice().name());
                o.manifest().put("files", files);
                TokenizeResult.PhaseResult published = o.result().published(o.slice().tokensDir(), files);
                if (o.slice().name().equals(OutputLayout.HELD_OUT)) {
                    heldOutResult = Optional.of(published);
                    heldOutManifest = o.manifest();
                } else {
                    Phase phase = Phase.ofFolderName(o.slice().name());
                    results.put(phase, published);
                    phaseManifests.put(o.slice().name(), o.manifest());
                }
            }
            List<String> quarantineFiles = ShardFiles.names(ShardFiles.publish(conf, quarantineTmp, quarantineDir,
                    settings.shardFormat()));
            ShardFiles.deleteIfExists(conf, tmp);
            long quarantinedRows = results.values().stream()
                    .mapToLong(r -> r.inputRows() - r.kept()).sum()
                    + heldOutResult.map(r -> r.inputRows() - r.kept()).orElse(0L);

            Map<String, Object> manifest = new LinkedHashMap<>();
            manifest.put("stage", "tokenize");
            manifest.put("schema_version", ShardSchemas.SCHEMA_VERSION);
            manifest.put("shard_format", settings.shardFormat().yamlName());
            manifest.put("model_dir", settings.modelDir());
            manifest.put("tokenizer_fingerprint", driverSide.tokenizer().fingerprint());
            manifest.put("chat_template_fingerprint", driverSide.renderer().fingerprint());
            manifest.put(MANIFEST_CHAT_DATE, chatDate.toString());
            manifest.put("enable_thinking", settings.enableThinking());
            manifest.put("max_length", settings.maxLength());
            manifest.put("seed", settings.seed());
            manifest.put("order", "files in name order, rows in file order = ascending position = training order");
            manifest.put("phases", phaseManifests);
            if (heldOutManifest != null) {
                manifest.put(OutputLayout.HELD_OUT, heldOutManifest);
            }
            Map<String, Object> q = new LinkedHashMap<>();
            q.put("rows", quarantinedRows);
            q.put("files", quarantineFiles);
            manifest.put("quarantine", q);
            // Last: only a manifest written after every shard is in place marks the stage complete.
            Manifests.writeAtomically(conf, manifestPath.toString(), manifest);
            return new TokenizeResult(tokens.toString(), manifestPath.toString(), chatDate,
                    results, ShardFiles.hadoopPath(layout.tokensQuarantine()).toString(), quarantinedRows, heldOutResult);
        } catch (RuntimeException e) {
            RuntimeException failure = ShardFiles.abandon(conf, tmp, e);
            throw tokensExisted ? failure : ShardFiles.abandon(conf, tokens.toString(), failure);
        } finally {
            slices.forEach(slice -> slice.work().unpersist());
            broadcasts.forEach(b -> b.destroy());
        }
    }


    /**
     * The schema of {@link #tokenizeRows} for prepared rows of schema {@code prepared}.
     *
     * @throws IllegalArgumentException naming {@code where} and the column when a prepared column is missing
     */
    public static StructType tokenizedSchema(StructType prepared, String where) {
        for (String c : Columns.PREPARED_LEADING) {
            TokenizePartition.fieldIndex(prepared, c, where);
        }
        return TokenizePartition.workSchema(prepared);
    }

    /**
     * Chat render + tokenize + completion-only mask of prepared rows, on the executors: the prepared columns, then
     * {@link #TOKENIZED_COLUMNS}. What the job runs on each phase before it drops, orders and writes; the
     * {@code spark.ml} stage {@code TokenizeMaskStage} runs it too.
     *
     * @param where the rows' source, for messages
     */
    public static Dataset<Row> tokenizeRows(Dataset<Row> prepared, String modelDir, int maxLength, boolean enableThinking,
            LocalDate chatDate, TurnRenderer.Factory factory, String where) {
        return tokenizeRows(prepared, modelDir, maxLength, enableThinking, chatDate, factory, where, null);
    }

    /** {@link #tokenizeRows}, each partition also sending its outcomes to {@code outcomes} (null: nowhere). */
    private static Dataset<Row> tokenizeRows(Dataset<Row> prepared, String modelDir, int maxLength,
            boolean enableThinking, LocalDate chatDate, TurnRenderer.Factory factory, String where,
            TokenizePartition.Outcomes outcomes) {
        StructType schema = tokenizedSchema(prepared.schema(), where);
        TokenizePartition fn = new TokenizePartition(modelDir, enableThinking, chatDate, maxLength, factory,
                TokenizePartition.fieldIndex(prepared.schema(), Columns.PROMPT, where),
                TokenizePartition.fieldIndex(prepared.schema(), Columns.COMPLETION, where), outcomes);
        return prepared.mapPartitions(fn, Encoders.row(schema));
    }

    /** The token-shard schema for a prepared schema: {@link ShardSchemas#tokens} of its passthrough columns. */
    public static StructType tokenSchema(StructType preparedSchema) {
        return ShardSchemas.tokens(ShardSchemas.passthroughOfPrepared(preparedSchema));
    }

    /**
     * One slice ({@code phase1}, {@code phase2} or {@code heldout}) read and tokenized (lazily; persisted once a job
     * computes it): {@code effectiveBatch} is the phase's, for the stratified order over the survivors, empty for the
     * held-out slice, which keeps its prepared order; {@code partitions} = the partitions of {@code work}, each of
     * which sends its outcomes once mapped; {@code tokensDir} = where its shards are published.
     */
    private record Slice(String name, OptionalInt effectiveBatch, String preparedDir, StructType preparedSchema,
            StructType tokenSchema, Dataset<Row> work, int partitions, String tokensDir) {}

    /**
     * A slice's shard rows (token-shard columns in {@link #tokenSchema} order, unsorted), the number of shard files
     * they fill, its result and manifest section (files added once published), and the broadcast survivor order
     * when rows were dropped (destroyed at the end of the stage).
     */
    private record SliceOutput(Slice slice, Dataset<Row> rows, int shards, TokenizeResult.PhaseResult result,
            Map<String, Object> manifest, Optional<Broadcast<long[][]>> positions) {}

    private static Slice tokenizedSlice(SparkSession spark, TokenizeSettings settings, LocalDate chatDate,
            TurnRenderer.Factory factory, String name, OptionalInt effectiveBatch, String preparedDir,
            String tokensDir, CollectionAccumulator<OutcomeCounts.Partition> outcomes) {
        Dataset<Row> prepared = readPrepared(spark, settings.shardFormat(), preparedDir);
        StructType preparedSchema = prepared.schema();
        for (String c : Columns.PREPARED_LEADING) {
            TokenizePartition.fieldIndex(preparedSchema, c, preparedDir);
        }
        StructType tokenSchema = tokenSchema(preparedSchema); // fails early on a passthrough name clash
        // A small prepared shard is one file, so one task: on local[2] the stage tokenized on one core (the bench
        // measured local[2] at 1.35x local[1]). Spread it over the cores first. The round-robin repartition is
        // deterministic, and the rows and their order do not depend on it (the survivors are sorted by phase_index,
        // the shard is sorted by position); only when the tokens fill several shards (> 8M tokens in fewer prepared partitions
        // than cores) can the split points between shard files differ, as Spark samples them.
        int cores = spark.sparkContext().defaultParallelism();
        int partitions = prepared.rdd().getNumPartitions();
        if (partitions < cores) {
            prepared = prepared.repartition(cores);
            partitions = cores;
        }
        TokenizePartition.Outcomes sink = new TokenizePartition.Outcomes(outcomes, name,
                TokenizePartition.fieldIndex(preparedSchema, Columns.TYPE, preparedDir));
        Dataset<Row> work = tokenizeRows(prepared, settings.modelDir(), settings.maxLength(), settings.enableThinking(),
                chatDate, factory, preparedDir, sink).persist(StorageLevel.MEMORY_AND_DISK());
        return new Slice(name, effectiveBatch, preparedDir, preparedSchema, tokenSchema, work, partitions, tokensDir);
    }

    /** A slice's quarantine rows: phase, reason, detail, then the prepared row as read. */
    private static Dataset<Row> quarantineRows(Slice slice) {
        List<Column> qcols = new ArrayList<>();
        qcols.add(lit(slice.name()).as(QUARANTINE_PHASE));
        qcols.add(col(TokenizePartition.W_REASON).as(Columns.QUARANTINE_REASON));
        qcols.add(col(TokenizePartition.W_DETAIL).as(QUARANTINE_DETAIL));
        for (String name : slice.preparedSchema().fieldNames()) {
            qcols.add(col(quote(name)));
        }
        return slice.work().filter(col(TokenizePartition.W_REASON).isNotNull()).select(qcols.toArray(new Column[0]));
    }

    /**
     * The outcome counts of a slice counted from its tokenized rows (a job): only when a partition's counts did not
     * reach the driver with the first job.
     */
    private static List<Row> countOutcomes(Dataset<Row> work) {
        List<Column> counted = OutcomeCounts.INPUT_COLUMNS.stream().map(TokenizeStage::quotedCol).toList();
        return work.select(counted.toArray(new Column[0]))
                .mapPartitions(new OutcomeCounts(), Encoders.row(OutcomeCounts.SCHEMA)).collectAsList();
    }

    /**
     * Driver side of a slice, from its outcome counts: statistics, the errors of an empty or wholly dropped slice,
     * and the shard rows. After drops, the survivors' (phase_index, type) come back, packed in one long each (a
     * job), for their new positions ({@link SurvivorOrder}: the stratified order is a permutation of every survivor,
     * built on the driver as prepare's is, as the reference orders after its drops).
     */
    private static SliceOutput shardRows(SparkSession spark, TokenizeSettings settings, Slice slice,
            List<Row> counts) {
        TokenStats stats = new TokenStats(settings.maxLength());
        counts.forEach(r -> OutcomeCounts.addTo(stats, r));
        if (stats.kept() + stats.quarantined() == 0) {
            throw new IllegalStateException("Phase '" + slice.name() + "': the prepared shard " + slice.preparedDir()
                    + " has no rows; re-run the prepare stage (its manifest lists the rows per phase).");
        }
        if (stats.kept() == 0) {
            throw new IllegalStateException("Phase '" + slice.name() + "': every one of the " + stats.quarantined()
                    + " prepared rows in " + slice.preparedDir() + " was quarantined (" + stats.droppedByReason()
                    + "); nothing to train on. Raise max_length (now " + settings.maxLength()
                    + ") or check the chat template.");
        }
        boolean recompute = stats.quarantined() > 0 && slice.effectiveBatch().isPresent();
        Dataset<Row> kept = slice.work().filter(col(TokenizePartition.W_REASON).isNull());
        Optional<Broadcast<long[][]>> broadcast = Optional.empty();
        if (recompute) {
            // One long per survivor: phase_index * types + the type's index in code-point order (8 bytes a row).
            List<String> types = stats.types();
            Column typeIndex = functions.array_position(functions.array(types.stream().map(functions::lit)
                    .toArray(Column[]::new)), col(Columns.TYPE)).minus(1);
            long[] packed = kept.select(col(Columns.PHASE_INDEX).multiply(types.size()).plus(typeIndex).cast(DataTypes.LongType))
                    .as(Encoders.LONG()).collectAsList().stream().mapToLong(Long::longValue).toArray();
            Arrays.sort(packed); // record order
            long[] phaseIndex = new long[packed.length];
            List<String> survivorTypes = new ArrayList<>(packed.length);
            for (int j = 0; j < packed.length; j++) {
                phaseIndex[j] = packed[j] / types.size();
                survivorTypes.add(types.get((int) (packed[j] % types.size())));
            }
            long[] positions = SurvivorOrder.positions(phaseIndex, survivorTypes, slice.effectiveBatch().getAsInt(),
                    settings.seed());
            // New positions by phase_index (sorted: a binary search per row), broadcast: no join, so no job.
            Broadcast<long[][]> b = JavaSparkContext.fromSparkContext(spark.sparkContext())
                    .broadcast(new long[][] {phaseIndex, positions});
            broadcast = Optional.of(b);
            UserDefinedFunction newPosition = udf((UDF1<Long, Long>) i -> {
                long[][] map = b.value();
                return map[1][Arrays.binarySearch(map[0], i)];
            }, DataTypes.LongType).asNonNullable();
            kept = kept.withColumn(Columns.POSITION, newPosition.apply(col(Columns.PHASE_INDEX)));
        }

        // The token shard's columns.
        List<Column> select = new ArrayList<>();
        select.add(col(Columns.POSITION));
        select.add(col(Columns.TYPE));
        select.add(col(TokenizePartition.W_INPUT_IDS).as(Columns.INPUT_IDS));
        select.add(col(TokenizePartition.W_LABELS).as(Columns.LABELS));
        select.add(col(TokenizePartition.W_NUM_TOKENS).as(Columns.NUM_TOKENS));
        select.add(col(TokenizePartition.W_NUM_LOSS_TOKENS).as(Columns.NUM_LOSS_TOKENS));
        for (StructField f : slice.tokenSchema().fields()) {
            if (!Columns.TOKEN_LEADING.contains(f.name())) {
                select.add(col(quote(f.name())));
            }
        }
        Map<String, Object> phaseManifest = stats.toManifest();
        long totalTokens = (Long) phaseManifest.get("total_tokens");
        int shards = (int) Math.max(1, Math.min(1024, (totalTokens * 8 + TARGET_SHARD_BYTES - 1) / TARGET_SHARD_BYTES));

        slice.effectiveBatch().ifPresent(b -> phaseManifest.put("effective_batch", b));
        phaseManifest.put("order_recomputed", recompute);
        Map<String, Object> ordered = new LinkedHashMap<>();
        ordered.put("prepared_dir", slice.preparedDir());
        ordered.putAll(phaseManifest);
        TokenizeResult.PhaseResult result = new TokenizeResult.PhaseResult(slice.tokensDir(), List.of(),
                stats.kept() + stats.quarantined(), stats.kept(), stats.droppedByReason(), recompute,
                (Long) phaseManifest.get("total_loss_tokens"));
        return new SliceOutput(slice, kept.select(select.toArray(new Column[0])), shards, result, ordered, broadcast);
    }

    /** Reads one prepared phase directory, leading columns first. */
    public static Dataset<Row> readPrepared(SparkSession spark, ShardFormat format, String dir) {
        if (!ShardFiles.exists(spark.sparkContext().hadoopConfiguration(), dir)) {
            throw new IllegalArgumentException("No prepared shard directory " + dir
                    + ": run the prepare stage first (it writes prepared/phase1 and prepared/phase2).");
        }
        Configuration conf = spark.sparkContext().hadoopConfiguration();
        // Parquet: the schema Spark stored in the first file's footer, so that reading does not start a schema-
        // inference job (Spark reads that same footer entry, through a job, when given no schema).
        Optional<StructType> stored = format == ShardFormat.PARQUET ? sparkSchemaOfParquet(conf, dir) : Optional.empty();
        Dataset<Row> df = stored.map(schema -> spark.read().schema(schema).format(format.sparkSource()).load(dir))
                .orElseGet(() -> spark.read().format(format.sparkSource()).load(dir));
        if (format == ShardFormat.JSONL) {
            // JSON inference sorts columns by name: put the leading prepared columns back in front.
            List<Column> cols = new ArrayList<>();
            for (String c : Columns.PREPARED_LEADING) {
                TokenizePartition.fieldIndex(df.schema(), c, dir);
                cols.add(col(c));
            }
            for (String c : df.schema().fieldNames()) {
                if (!Columns.PREPARED_LEADING.contains(c)) {
                    cols.add(col(quote(c)));
                }
            }
            df = df.select(cols.toArray(new Column[0]));
        }
        return df;
    }

    /** Spark's row schema stored in the footer of {@code dir}'s first Parquet file; empty if it has none. */
    private static Optional<StructType> sparkSchemaOfParquet(Configuration conf, String dir) {
        List<ShardFiles.Shard> files = ShardFiles.list(conf, dir);
        if (files.isEmpty()) {
            return Optional.empty();
        }
        Path first = new Path(dir, files.get(0).name());
        try (ParquetFileReader r = ParquetFileReader.open(HadoopInputFile.fromPath(first, conf))) {
            String json = r.getFooter().getFileMetaData().getKeyValueMetaData().get(ParquetReadSupport.SPARK_METADATA_KEY());
            return json == null ? Optional.empty() : Optional.of((StructType) DataType.fromJson(json));
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read the footer of the prepared shard " + first + ": " + e.getMessage(), e);
        }
    }

    private static void write(Dataset<Row> df, ShardFormat format, String dir) {
        df.write().mode(SaveMode.ErrorIfExists).format(format.sparkSource()).save(dir);
    }

    private static void probeTemplate(ExecutorResources resources, TokenizeSettings settings) {
        try {
            resources.renderer().render("ping", "pong");
        } catch (TurnRenderer.RenderFailure e) {
            throw new IllegalArgumentException("The chat template of " + settings.modelDir()
                    + " cannot render a plain [user, assistant] conversation (" + e.reason().code() + "): "
                    + e.getMessage(), e);
        }
    }

    /** The chat date an earlier run recorded in {@code tokens/manifest.json}, if any. */
    static Optional<LocalDate> recordedChatDate(Configuration conf, Path manifest) {
        if (!ShardFiles.exists(conf, manifest.toString())) {
            return Optional.empty();
        }
        JsonNode node;
        try {
            node = Manifests.read(conf, manifest.toString());
        } catch (UncheckedIOException e) {
            throw new UncheckedIOException("Cannot read the earlier tokens manifest " + manifest
                    + " (delete it, or set chat_date in the config)", e.getCause());
        }
        JsonNode date = node.get(MANIFEST_CHAT_DATE);
        if (date == null || date.isNull()) {
            return Optional.empty();
        }
        try {
            return Optional.of(LocalDate.parse(date.asText()));
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("Invalid chat_date '" + date.asText() + "' in " + manifest
                    + ": must be YYYY-MM-DD (fix or delete the manifest, or set chat_date in the config)", e);
        }
    }

    private static Column quotedCol(String name) {
        return col(quote(name));
    }

    /** Backtick-quotes a column name so dots or spaces in passthrough names are taken literally. */
    private static String quote(String name) {
        return "`" + name.replace("`", "``") + "`";
    }
}
