package io.tracedistill.run;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * Where every output of a run lives under {@code output_dir}; the only place these names are spelled.
 *
 * <pre>
 * output_dir/
 *   .tracedistill-run             marker: a run created this folder (config fingerprint)
 *   .tracedistill.lock            held while a run uses the folder (host, pid, start time)
 *   resolved_config.yaml          the config as run (every key, defaults included)
 *   .steps/&lt;step&gt;.json           the step ledger
 *   prepared/phase1|phase2/       prepared shards in training order      prepared/quarantine/, prepared/manifest.json
 *   prepared/heldout/             the held-out slice (holdout_fraction &gt; 0 only)
 *   tokens/phase1|phase2/         token shards in training order         tokens/quarantine/, tokens/manifest.json
 *   tokens/heldout/               the held-out slice's token shards (holdout_fraction &gt; 0 only)
 *   checkpoints/                  resumable training state
 *   phase1_adapter/, adapter/     PEFT adapters after phase 1 and at the end (adapter/ is the default eval adapter)
 *   best_adapter/                 the adapter of the lowest held-out loss (holdout_fraction &gt; 0 only)
 *   metrics.jsonl, report.md, training_curves.png, heldout_loss.png, submission.zip
 *   eval/predictions/, eval/eval_report.json|md, eval/accuracy_by_type.png
 * </pre>
 *
 * <p>{@code output_dir} is held as a {@link RunPath}: any Hadoop path string (plain path, {@code file:},
 * {@code s3a://}, {@code hdfs://}, {@code dbfs:/}). Every file is written through Hadoop's {@code FileSystem}
 * ({@code io.tracedistill.spark.RunFiles}, {@code ShardFiles}); the Spark stages may qualify the root first
 * ({@link #of(String)} of the qualified form). The trainer writes a node-local copy laid out by {@link #ofLocal}, which
 * {@code io.tracedistill.spark.train.LocalRunMirror} uploads.
 */
public final class OutputLayout {
    public static final String RESOLVED_CONFIG = "resolved_config.yaml";
    public static final String STEP_LEDGER = ".steps";
    public static final String PREPARED = "prepared";
    public static final String TOKENS = "tokens";
    public static final String QUARANTINE = "quarantine";
    /** The held-out slice's folder under {@code prepared/} and {@code tokens/}, and its name in manifests and metrics. */
    public static final String HELD_OUT = "heldout";
    /** {@code prepared/heldout_quarantine/}: the {@code eval_path} rows the format contract dropped ({@code heldout_source: eval_path}). */
    public static final String HELD_OUT_QUARANTINE = "heldout_quarantine";
    /** A stage's completion marker, written last: {@code prepared/manifest.json}, {@code tokens/manifest.json}. */
    public static final String MANIFEST = "manifest.json";
    public static final String CHECKPOINTS = "checkpoints";
    public static final String PHASE1_ADAPTER = "phase1_adapter";
    public static final String ADAPTER = "adapter";
    public static final String BEST_ADAPTER = "best_adapter";
    public static final String METRICS = "metrics.jsonl";
    public static final String REPORT = "report.md";
    public static final String TRAINING_CURVES = "training_curves.png";
    public static final String HELD_OUT_CURVES = "heldout_loss.png";
    public static final String SUBMISSION_ZIP = "submission.zip";
    public static final String EVAL = "eval";
    public static final String PREDICTIONS = "predictions";
    public static final String EVAL_REPORT_JSON = "eval_report.json";
    public static final String EVAL_REPORT_MD = "eval_report.md";
    public static final String ACCURACY_CHART = "accuracy_by_type.png";
    /** Written into every output_dir a run creates (with the config fingerprint): "this folder is ours". */
    public static final String RUN_MARKER = ".tracedistill-run";
    /** Held while a run uses output_dir (host, pid, start time). */
    public static final String LOCK = ".tracedistill.lock";

    private final RunPath root;

    private OutputLayout(RunPath root) {
        this.root = Objects.requireNonNull(root, "root");
    }

    /** The layout under {@code outputDir} (a plain path or any Hadoop URI, e.g. {@code s3a://bucket/run}). */
    public static OutputLayout of(String outputDir) {
        return new OutputLayout(new RunPath(outputDir));
    }

    /** The layout under a local directory. */
    public static OutputLayout ofLocal(Path outputDir) {
        return of(outputDir.toString());
    }

    /** {@code output_dir} itself. */
    public RunPath root() {
        return root;
    }

    public RunPath resolvedConfig() {
        return root.resolve(RESOLVED_CONFIG);
    }

    /** The marker that says a run created this folder ({@code .tracedistill-run}). */
    public RunPath runMarker() {
        return root.resolve(RUN_MARKER);
    }

    /** The lock a running run holds ({@code .tracedistill.lock}). */
    public RunPath lock() {
        return root.resolve(LOCK);
    }

    /** The step ledger directory ({@code .steps/}). */
    public RunPath stepLedger() {
        return root.resolve(STEP_LEDGER);
    }

    public RunPath prepared() {
        return root.resolve(PREPARED);
    }

    public RunPath prepared(Phase phase) {
        return prepared().resolve(phase.folderName());
    }

    /** {@code prepared/heldout/}: the held-out slice ({@code holdout_fraction} &gt; 0, or {@code heldout_source: eval_path}). */
    public RunPath preparedHeldOut() {
        return prepared().resolve(HELD_OUT);
    }

    /** {@code prepared/heldout_quarantine/}: the eval_path rows dropped by the format contract. */
    public RunPath preparedHeldOutQuarantine() {
        return prepared().resolve(HELD_OUT_QUARANTINE);
    }

    public RunPath preparedQuarantine() {
        return prepared().resolve(QUARANTINE);
    }

    public RunPath preparedManifest() {
        return prepared().resolve(MANIFEST);
    }

    public RunPath tokens() {
        return root.resolve(TOKENS);
    }

    public RunPath tokens(Phase phase) {
        return tokens().resolve(phase.folderName());
    }

    /** {@code tokens/heldout/}: the held-out slice's token shards ({@code holdout_fraction} &gt; 0). */
    public RunPath tokensHeldOut() {
        return tokens().resolve(HELD_OUT);
    }

    public RunPath tokensQuarantine() {
        return tokens().resolve(QUARANTINE);
    }

    public RunPath tokensManifest() {
        return tokens().resolve(MANIFEST);
    }

    public RunPath checkpoints() {
        return root.resolve(CHECKPOINTS);
    }

    /** The adapter after phase 1 (Train). */
    public RunPath phase1Adapter() {
        return root.resolve(PHASE1_ADAPTER);
    }

    /** The final adapter (after phase 2, Nudge); also what eval evaluates when {@code eval_adapters} is empty. */
    public RunPath adapter() {
        return root.resolve(ADAPTER);
    }

    /** The adapter with the lowest held-out loss seen during training ({@code holdout_fraction} &gt; 0). */
    public RunPath bestAdapter() {
        return root.resolve(BEST_ADAPTER);
    }

    public RunPath metrics() {
        return root.resolve(METRICS);
    }

    /** The training report ({@code report.md}, written last by train: its completion marker). */
    public RunPath report() {
        return root.resolve(REPORT);
    }

    public RunPath trainingCurves() {
        return root.resolve(TRAINING_CURVES);
    }

    /** The held-out loss per type across both phases ({@code holdout_fraction} &gt; 0). */
    public RunPath heldOutCurves() {
        return root.resolve(HELD_OUT_CURVES);
    }

    public RunPath submissionZip() {
        return root.resolve(SUBMISSION_ZIP);
    }

    public RunPath eval() {
        return root.resolve(EVAL);
    }

    public RunPath predictions() {
        return eval().resolve(PREDICTIONS);
    }

    /** {@code eval/eval_report.json}, written last by eval: its completion marker. */
    public RunPath evalReportJson() {
        return eval().resolve(EVAL_REPORT_JSON);
    }

    public RunPath evalReportMd() {
        return eval().resolve(EVAL_REPORT_MD);
    }

    public RunPath accuracyChart() {
        return eval().resolve(ACCURACY_CHART);
    }

    /**
     * The adapter directories eval evaluates: {@code eval_adapters} as configured, or, when it is empty, this run's
     * own {@link #adapter()}.
     */
    public List<String> evalAdapters(List<String> configured) {
        return configured.isEmpty() ? List.of(adapter().uri()) : configured;
    }

    @Override
    public String toString() {
        return root.uri();
    }
}
