package io.tracedistill.spark.prepare;

import io.tracedistill.run.Phase;

import io.tracedistill.config.Canonical;
import io.tracedistill.config.HeldOutSource;
import io.tracedistill.config.RunConfig;
import io.tracedistill.config.ShardFormat;
import io.tracedistill.contract.ColumnKeys;
import io.tracedistill.contract.FormatContract;
import java.math.BigInteger;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Everything the prepare step reads from the run config, as one typed record (so a notebook can build it
 * without a YAML file). {@link PrepareStage#run(org.apache.spark.sql.SparkSession, io.tracedistill.config.RunConfig,
 * java.nio.file.Path)} builds it from a {@code RunConfig}.
 *
 * @param dataPath config {@code data_path}: a file, a directory of part files or a glob; local or {@code s3a://}
 * @param outputDir config {@code output_dir}; prepare writes {@code output_dir/prepared/}
 * @param hardTypes config {@code hard_types}
 * @param seed config {@code seed}: split seed (numpy shuffle, {@code random.Random(seed+1)}) and order seed
 * @param columns config {@code columns}
 * @param promptSuffix config {@code prompt_suffix}
 * @param minCotLen config {@code min_cot_len}
 * @param strictData config {@code strict_data}: quarantine rows whose target is malformed ({@link TargetIssue})
 * @param shuffle config {@code shuffle} (two-phase split shuffle)
 * @param shardFormat config {@code shard_format}
 * @param effectiveBatch1 phase 1 per_device_train_batch_size × gradient_accumulation_steps × world_size
 * @param effectiveBatch2 the same for phase 2
 * @param rowsPerShard target rows per shard file
 * @param holdoutFraction config {@code holdout_fraction}: share of each type's usable rows held out before the split
 * @param heldOutEvalPath with config {@code heldout_source: eval_path}, config {@code eval_path}: its rows (read and
 *     formatted like {@code dataPath}'s) are the held-out slice; empty = {@code heldout_source: holdout_fraction}
 * @param resolvedConfig the resolved config, written into the manifest (no credentials); provenance only, so not part
 *     of the prepare step's fingerprint
 */
public record PrepareSettings(String dataPath, String outputDir, List<String> hardTypes, BigInteger seed,
        ColumnKeys columns, String promptSuffix, int minCotLen, boolean strictData, boolean shuffle, ShardFormat shardFormat,
        int effectiveBatch1, int effectiveBatch2, int rowsPerShard, double holdoutFraction, Optional<String> heldOutEvalPath,
        @Canonical.NotFingerprinted Map<String, Object> resolvedConfig) {

    public PrepareSettings {
        Objects.requireNonNull(dataPath, "dataPath");
        Objects.requireNonNull(outputDir, "outputDir");
        hardTypes = List.copyOf(hardTypes);
        Objects.requireNonNull(seed, "seed");
        Objects.requireNonNull(columns, "columns");
        Objects.requireNonNull(promptSuffix, "promptSuffix");
        Objects.requireNonNull(shardFormat, "shardFormat");
        if (rowsPerShard < 1) {
            throw new IllegalArgumentException("Invalid rowsPerShard " + rowsPerShard + ": must be at least 1");
        }
        if (!(holdoutFraction >= 0 && holdoutFraction < 1)) {
            throw new IllegalArgumentException("Invalid holdout_fraction " + holdoutFraction + ": must be at least 0 and less than 1");
        }
        Objects.requireNonNull(heldOutEvalPath, "heldOutEvalPath");
        if (heldOutEvalPath.isPresent() && holdoutFraction > 0) {
            throw new IllegalArgumentException("holdout_fraction " + holdoutFraction + " and heldout_source: eval_path"
                    + " exclude each other: the held-out slice is either a share of the training rows or the eval_path rows");
        }
        resolvedConfig = resolvedConfig == null ? Map.of() : resolvedConfig;
    }

    /** Without a held-out slice ({@code holdout_fraction} 0) and without {@code strict_data}. */
    public PrepareSettings(String dataPath, String outputDir, List<String> hardTypes, BigInteger seed,
            ColumnKeys columns, String promptSuffix, int minCotLen, boolean shuffle, ShardFormat shardFormat,
            int effectiveBatch1, int effectiveBatch2, int rowsPerShard, Map<String, Object> resolvedConfig) {
        this(dataPath, outputDir, hardTypes, seed, columns, promptSuffix, minCotLen, false, shuffle, shardFormat,
                effectiveBatch1, effectiveBatch2, rowsPerShard, 0.0, Optional.empty(), resolvedConfig);
    }

    /**
     * Reference defaults (suffix, min_cot_len 5, shuffle, Parquet, effective batch 1 × 8 × 1 = 8 for both phases,
     * {@link ShardWriter#DEFAULT_ROWS_PER_SHARD}) for a data path, output dir, hard types and seed.
     */
    public static PrepareSettings defaults(String dataPath, String outputDir, List<String> hardTypes, long seed) {
        return new PrepareSettings(dataPath, outputDir, hardTypes, BigInteger.valueOf(seed), ColumnKeys.defaults(),
                FormatContract.DEFAULT_PROMPT_SUFFIX, FormatContract.DEFAULT_MIN_COT_LEN, true, ShardFormat.PARQUET, 8,
                8, ShardWriter.DEFAULT_ROWS_PER_SHARD, Map.of());
    }

    public PrepareSettings withRowsPerShard(int rows) {
        return new PrepareSettings(dataPath, outputDir, hardTypes, seed, columns, promptSuffix, minCotLen, strictData, shuffle,
                shardFormat, effectiveBatch1, effectiveBatch2, rows, holdoutFraction, heldOutEvalPath, resolvedConfig);
    }

    public PrepareSettings withShardFormat(ShardFormat f) {
        return new PrepareSettings(dataPath, outputDir, hardTypes, seed, columns, promptSuffix, minCotLen, strictData, shuffle, f,
                effectiveBatch1, effectiveBatch2, rowsPerShard, holdoutFraction, heldOutEvalPath, resolvedConfig);
    }

    public PrepareSettings withHoldoutFraction(double f) {
        return new PrepareSettings(dataPath, outputDir, hardTypes, seed, columns, promptSuffix, minCotLen, strictData, shuffle,
                shardFormat, effectiveBatch1, effectiveBatch2, rowsPerShard, f, heldOutEvalPath, resolvedConfig);
    }

    /** {@code heldout_source: eval_path} with that {@code eval_path}; empty = {@code heldout_source: holdout_fraction}. */
    public PrepareSettings withHeldOutEvalPath(Optional<String> evalPath) {
        return new PrepareSettings(dataPath, outputDir, hardTypes, seed, columns, promptSuffix, minCotLen, strictData, shuffle,
                shardFormat, effectiveBatch1, effectiveBatch2, rowsPerShard, holdoutFraction, evalPath, resolvedConfig);
    }

    public PrepareSettings withStrictData(boolean strict) {
        return new PrepareSettings(dataPath, outputDir, hardTypes, seed, columns, promptSuffix, minCotLen, strict, shuffle,
                shardFormat, effectiveBatch1, effectiveBatch2, rowsPerShard, holdoutFraction, heldOutEvalPath, resolvedConfig);
    }

    public PrepareSettings withColumns(ColumnKeys c) {
        return new PrepareSettings(dataPath, outputDir, hardTypes, seed, c, promptSuffix, minCotLen, strictData, shuffle,
                shardFormat, effectiveBatch1, effectiveBatch2, rowsPerShard, holdoutFraction, heldOutEvalPath, resolvedConfig);
    }

    public PrepareSettings withOutputDir(String dir) {
        return new PrepareSettings(dataPath, dir, hardTypes, seed, columns, promptSuffix, minCotLen, strictData, shuffle,
                shardFormat, effectiveBatch1, effectiveBatch2, rowsPerShard, holdoutFraction, heldOutEvalPath, resolvedConfig);
    }

    public PrepareSettings withDataPath(String path) {
        return new PrepareSettings(path, outputDir, hardTypes, seed, columns, promptSuffix, minCotLen, strictData, shuffle,
                shardFormat, effectiveBatch1, effectiveBatch2, rowsPerShard, holdoutFraction, heldOutEvalPath, resolvedConfig);
    }

    public PrepareSettings withResolvedConfig(Map<String, Object> cfg) {
        return new PrepareSettings(dataPath, outputDir, hardTypes, seed, columns, promptSuffix, minCotLen, strictData, shuffle,
                shardFormat, effectiveBatch1, effectiveBatch2, rowsPerShard, holdoutFraction, heldOutEvalPath, cfg);
    }

    /**
     * The settings of a run config: {@code data_path}, {@code output_dir}, {@code hard_types}, {@code seed},
     * {@code columns}, {@code prompt_suffix}, {@code min_cot_len}, {@code strict_data}, {@code shuffle}, {@code shard_format},
     * {@code holdout_fraction}, {@code eval_path} (with {@code heldout_source: eval_path} only), and the
     * effective batch of each phase ({@code per_device_train_batch_size × gradient_accumulation_steps ×
     * world_size}); the resolved config, secrets masked ({@link RunConfig#toRedactedMap()}), goes into the manifest.
     */
    public static PrepareSettings from(RunConfig cfg) {
        return new PrepareSettings(cfg.data().dataPath(), cfg.output().outputDir(), cfg.data().hardTypes(), BigInteger.valueOf(cfg.seed()),
                cfg.data().columns(), cfg.data().promptSuffix(), cfg.data().minCotLen(), cfg.data().strictData(), cfg.data().shuffle(), cfg.output().shardFormat(),
                cfg.train().effectiveBatch(Phase.PHASE1), cfg.train().effectiveBatch(Phase.PHASE2),
                ShardWriter.DEFAULT_ROWS_PER_SHARD, cfg.heldOut().fraction(),
                cfg.heldOut().source() == HeldOutSource.EVAL_PATH ? cfg.eval().path() : Optional.empty(), cfg.toRedactedMap());
    }

    /** The split seed as a long. @throws IllegalArgumentException if it does not fit (numpy would reject it too) */
    public long splitSeed() {
        if (seed.bitLength() > 62) {
            throw new IllegalArgumentException("Seed must be between 0 and 2**32 - 1 (got seed " + seed + ")");
        }
        return seed.longValue();
    }
}
