package io.tracedistill.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tracedistill.config.TrainOn;
import io.tracedistill.run.OutputLayout;
import io.tracedistill.run.Phase;
import io.tracedistill.run.RunPath;
import io.tracedistill.spark.ModelFolders;
import io.tracedistill.spark.RunFiles;
import io.tracedistill.spark.tokenize.ChatTemplateTurnRenderer;
import io.tracedistill.spark.tokenize.TokenizeStage;
import io.tracedistill.eval.EvalExample;
import io.tracedistill.spark.train.ExecutorTraining;
import io.tracedistill.spark.train.HeldOutRows;
import io.tracedistill.spark.train.LocalRunMirror;
import io.tracedistill.spark.train.SparkTokenShardReader;
import io.tracedistill.tokens.HfTokenizer;
import io.tracedistill.train.InMemoryTokenShardReader;
import io.tracedistill.train.InProcessCollective;
import io.tracedistill.train.PhaseResult;
import io.tracedistill.train.PhaseSettingsChangedException;
import io.tracedistill.train.TrainReport;
import io.tracedistill.train.TrainRun;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * Steps 3–6: phase 1 Train → phase 2 Nudge → PEFT adapters → {@code submission.zip} → {@code report.md},
 * streaming the token shards from {@code output_dir/tokens/} in stored order (see {@link TrainRun}).
 */
final class TrainStep implements Step {
    /** The run folder whose {@code prepared/manifest.json} and {@code tokens/} this step trains on. */
    private final Function<JobContext, OutputLayout> inputs;
    /** Train phase 1 only (phase 2 gets no rows): the experiment's one-phase arms. */
    private final boolean onePhase;

    /** The run's own step: trains on output_dir's tokens, both phases. */
    TrainStep() {
        this(JobContext::layout, false);
    }

    /**
     * A step that trains on the tokens of another run folder ({@code tracedistill experiment}: the arms share the
     * prepared and tokenized rows), writing into output_dir; with {@code onePhase} phase 2 gets no rows, so the
     * adapter is phase 1's ({@code train_on: driver} only).
     */
    TrainStep(Function<JobContext, OutputLayout> inputs, boolean onePhase) {
        this.inputs = inputs;
        this.onePhase = onePhase;
    }

    @Override
    public String name() {
        return "train";
    }

    @Override
    public TrainRun.Settings settings(JobContext ctx) {
        return TrainRun.Settings.of(ctx.cfg());
    }

    @Override
    public Map<String, String> inputFiles(JobContext ctx) {
        Map<String, String> files = new TreeMap<>();
        files.putAll(ctx.baseModelFiles());
        files.put("tokens_manifest", ctx.files().sha256(inputs.apply(ctx).tokensManifest()));
        if (onePhase) {
            files.put("phases", "phase 1 only");
        }
        ctx.cfg().lora().initAdapter().ifPresent(a -> files.put("init_adapter_weights", ctx.adapterWeightsHash(a)));
        return files;
    }

    @Override
    public RunPath marker(JobContext ctx) {
        return ctx.layout().report();
    }

    @Override
    public String run(JobContext ctx) throws IOException {
        OutputLayout layout = ctx.layout();
        OutputLayout in = inputs.apply(ctx);
        RunFiles files = ctx.files();
        Path modelDir = ctx.baseModelDir();
        RunPath tokensManifestFile = in.tokensManifest();
        if (!files.isFile(tokensManifestFile)) {
            throw new IllegalStateException("No " + tokensManifestFile + ": the tokenize step has not completed for output_dir "
                    + ctx.outputDirShown() + "; run tokenize first (tracedistill tokenize --cfg " + ctx.cfgPath() + "), or run"
                    + " all steps with tracedistill run");
        }
        Map<String, Object> prepared = readManifest(files, in.preparedManifest());
        Map<String, Object> tokensManifest = readManifest(files, tokensManifestFile);
        checkTokensMatchModel(tokensManifest, tokensManifestFile.uri(), modelDir);
        String format = ctx.cfg().output().shardFormat().sparkSource();
        // The held-out slice (holdout_fraction > 0): tokenize wrote tokens/heldout.
        RunPath heldOutDir = in.tokensHeldOut();
        boolean heldOut = files.isDirectory(heldOutDir);
        if (ctx.cfg().executorTraining().trainOn() == TrainOn.EXECUTORS) {
            if (!in.root().equals(layout.root()) || onePhase) {
                throw new IllegalArgumentException("train_on: executors trains on output_dir's own two-phase tokens;"
                        + " tracedistill experiment trains its arms on the driver: set train_on: driver");
            }
            // One barrier task per rank; rank 0 writes the outputs (through Hadoop FS when output_dir is not local) and
            // its summary comes back here. The ranks share the held-out evaluation (the same numbers as train_on: driver).
            return ExecutorTraining.run(ctx.spark(), ctx.cfg(), ctx.cfg().toYaml(), layout.root(), padTokenId(modelDir),
                    ctx.resume(), ctx.force(), prepared, tokensManifest, TrainStep::summary, heldOut,
                    heldOut ? decodeRows(ctx, layout, format) : null);
        }
        String summary;
        try {
            summary = trainInDriver(ctx, layout, in, files, format, modelDir, heldOut ? heldOutDir : null, ctx.resume(),
                    prepared, tokensManifest);
        } catch (PhaseSettingsChangedException e) {
            if (!ctx.force()) {
                throw e;
            }
            // --resume --force: a finished phase ran under other settings, so nothing of it can be reused.
            ctx.out().println("[train] --force: " + e.phase() + " finished under other settings than this run's;"
                    + " retraining both phases from the start");
            summary = trainInDriver(ctx, layout, in, files, format, modelDir, heldOut ? heldOutDir : null, false, prepared,
                    tokensManifest);
        }
        return summary;
    }

    /**
     * Trains in this JVM and returns the step's summary. DJL trains on local files: on a non-local output_dir in a
     * node-local mirror, uploaded as it goes ({@link LocalRunMirror}). {@code heldOutDir} is the held-out token slice,
     * or null when there is none.
     */
    private String trainInDriver(JobContext ctx, OutputLayout layout, OutputLayout in, RunFiles files, String format, Path modelDir,
            RunPath heldOutDir, boolean resume, Map<String, Object> prepared, Map<String, Object> tokensManifest)
            throws IOException {
        LocalRunMirror mirror = LocalRunMirror.open(files, layout, resume);
        // init_adapter on s3a:// etc.: the trainer reads this node's copy (the fingerprint keeps the URI).
        TrainRun.Settings settings = ModelFolders.local(ctx.spark().sparkContext().hadoopConfiguration(), settings(ctx));
        List<EvalExample> decodeRows = heldOutDir == null ? null : decodeRows(ctx, in, format);
        TrainRun.Outputs o = TrainRun.run(settings,
                new SparkTokenShardReader(ctx.spark(), in.tokens(Phase.PHASE1).uri(), format),
                onePhase ? new InMemoryTokenShardReader(List.of())
                        : new SparkTokenShardReader(ctx.spark(), in.tokens(Phase.PHASE2).uri(), format),
                heldOutDir != null ? new SparkTokenShardReader(ctx.spark(), heldOutDir.uri(), format) : null, decodeRows,
                mirror.localDir(), modelDir, padTokenId(modelDir), resume, prepared, tokensManifest,
                mirror.listener(null), InProcessCollective.single(), null);
        mirror.publish();
        String summary = summary(o) + TrainReport.heldOutSummary(o.training(), prepared, settings.heldOut().metricForBest()).map(h -> "\n  held-out: " + h).orElse("");
        return mirror.mirrored() ? summary.replace(mirror.localDir().toAbsolutePath().toString(), ctx.outputDirShown()) : summary;
    }

    /** eval_generate_limit: the held-out rows to decode, from the prepared slice (their texts and answers); else null. */
    private static List<EvalExample> decodeRows(JobContext ctx, OutputLayout inputs, String format) {
        return ctx.cfg().heldOut().generateLimit()
                .map(n -> HeldOutRows.read(ctx.spark(), inputs.preparedHeldOut().uri(), format, n)).orElse(null);
    }

    /** A manifest JSON file on output_dir's file system as a map (empty when it does not exist). */
    @SuppressWarnings("unchecked")
    static Map<String, Object> readManifest(RunFiles files, RunPath manifest) throws IOException {
        if (!files.isFile(manifest)) {
            return Map.of();
        }
        return new ObjectMapper().readValue(files.read(manifest), Map.class);
    }

    /** What the step prints: per phase, the adapters, the zip and the report. */
    static String summary(TrainRun.Outputs o) {
        StringBuilder sb = new StringBuilder();
        phase(sb, "phase 1 Train", o.training().phase1());
        phase(sb, "phase 2 Nudge", o.training().phase2());
        sb.append("\n  phase-1 adapter: ").append(o.training().phase1Adapter().toAbsolutePath());
        sb.append("\n  adapter (PEFT): ").append(o.training().adapter().toAbsolutePath());
        o.submissionZip().ifPresent(z -> sb.append("\n  submission: ").append(z.toAbsolutePath()));
        sb.append("\n  report: ").append(o.report().toAbsolutePath()).append(" (curves: ").append(o.chart().getFileName()).append(')');
        return sb.toString().strip();
    }

    /** One line per phase: examples, steps, tokens, wall time, steps/s, tokens/s, the first and last logged loss. */
    static void phase(StringBuilder sb, String name, PhaseResult r) {
        if (r.numExamples() == 0 && r.totalSteps() == 0) {
            sb.append(String.format(Locale.ROOT, "%n  %s: 0 examples, 0 steps (not trained)", name));
            return;
        }
        double wall = r.wallSeconds();
        String first = r.logged().isEmpty() ? "-" : String.format(Locale.ROOT, "%.4f", r.logged().get(0).loss());
        sb.append(String.format(Locale.ROOT, "%n  %s: %,d examples, %d steps, %,d tokens in %.1f s (%.2f steps/s, %,.0f tokens/s);"
                        + " logged loss %s -> %.4f%s",
                name, r.numExamples(), r.totalSteps(), r.tokens(), wall, wall > 0 ? r.totalSteps() / wall : 0.0,
                wall > 0 ? r.tokens() / wall : 0.0, first, r.logged().isEmpty() ? r.finalLoss() : r.logged().get(r.logged().size() - 1).loss(),
                r.truncated() > 0 ? String.format(Locale.ROOT, "; %,d truncated to max_length", r.truncated()) : ""));
    }

    /** The tokenizer's pad id; its eos id when it has none (the reference sets pad = eos then). */
    static int padTokenId(Path modelDir) throws IOException {
        JsonNode tc = new ObjectMapper().readTree(modelDir.resolve("tokenizer_config.json").toFile());
        String pad = tokenText(tc.get("pad_token"));
        if (pad == null) {
            pad = tokenText(tc.get("eos_token"));
        }
        if (pad == null) {
            throw new IllegalArgumentException(modelDir.resolve("tokenizer_config.json")
                    + " defines neither pad_token nor eos_token: set one of them so batches can be padded");
        }
        try (HfTokenizer tok = HfTokenizer.load(modelDir)) {
            int[] ids = tok.encodeIds(pad);
            if (ids.length != 1) {
                throw new IllegalArgumentException("pad token " + pad + " of " + modelDir
                        + " is not a single token of tokenizer.json (got " + ids.length + " ids)");
            }
            return ids[0];
        }
    }

    private static String tokenText(JsonNode n) {
        if (n == null || n.isNull()) {
            return null;
        }
        return n.isTextual() ? n.asText() : n.path("content").asText(null);
    }

    /**
     * The token shards were made with one tokenizer and chat template; training them on a base model whose
     * tokenizer or template differs would learn the wrong ids silently. {@code tokens/manifest.json} records both
     * fingerprints; they must equal the base model's.
     *
     * @throws IllegalStateException naming the manifest, the model directory and the fix
     */
    static void checkTokensMatchModel(Map<String, ?> manifest, String manifestFile, Path modelDir) {
        String tokenizer;
        try (HfTokenizer tok = HfTokenizer.load(modelDir)) {
            tokenizer = tok.fingerprint();
        }
        Object date = manifest.get(TokenizeStage.MANIFEST_CHAT_DATE);
        String template = ChatTemplateTurnRenderer.load(modelDir, false,
                date == null ? java.time.LocalDate.now(java.time.ZoneOffset.UTC) : java.time.LocalDate.parse(date.toString()))
                .fingerprint();
        for (String[] what : new String[][] {{"tokenizer_fingerprint", tokenizer, "tokenizer (tokenizer.json)"},
                {"chat_template_fingerprint", template, "chat template"}}) {
            Object recorded = manifest.get(what[0]);
            if (recorded != null && !recorded.equals(what[1])) {
                throw new IllegalStateException("The token shards were made with another " + what[2] + " than base_model "
                        + modelDir + " has (" + manifestFile + " records " + what[0] + " " + recorded + ", the model's is "
                        + what[1] + "); run tokenize again for this base_model (tracedistill tokenize --force), or point"
                        + " base_model at the model that made the tokens");
            }
        }
    }
}
