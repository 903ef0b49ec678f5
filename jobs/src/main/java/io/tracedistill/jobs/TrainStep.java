package io.tracedistill.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tracedistill.config.TrainOn;
import io.tracedistill.run.OutputLayout;
import io.tracedistill.run.Phase;
import io.tracedistill.spark.tokenize.ChatTemplateTurnRenderer;
import io.tracedistill.spark.tokenize.TokenizeStage;
import io.tracedistill.spark.train.ExecutorTraining;
import io.tracedistill.spark.train.SparkTokenShardReader;
import io.tracedistill.tokens.HfTokenizer;
import io.tracedistill.train.InProcessCollective;
import io.tracedistill.train.PhaseResult;
import io.tracedistill.train.PhaseSettingsChangedException;
import io.tracedistill.train.TrainReport;
import io.tracedistill.train.TrainRun;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Steps 3–6: phase 1 Train → phase 2 Nudge → PEFT adapters → {@code submission.zip} → {@code report.md},
 * streaming the token shards from {@code output_dir/tokens/} in stored order (see {@link TrainRun}).
 */
final class TrainStep implements Step {

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
        Path model = Path.of(ctx.cfg().model().baseModel());
        files.putAll(StepLedger.modelFiles(model));
        files.put("tokens_manifest", StepLedger.fileHash(ctx.layout().tokensManifest().toLocalPath()));
        ctx.cfg().lora().initAdapter().ifPresent(a ->
                files.put("init_adapter_weights", StepLedger.fileHash(Path.of(a).resolve("adapter_model.safetensors"))));
        return files;
    }

    @Override
    public Path marker(JobContext ctx) {
        return ctx.layout().report().toLocalPath();
    }

    @Override
    public String run(JobContext ctx) throws IOException {
        OutputLayout layout = ctx.layout();
        Path modelDir = Path.of(ctx.cfg().model().baseModel());
        Path tokensManifestFile = layout.tokensManifest().toLocalPath();
        if (!Files.isRegularFile(tokensManifestFile)) {
            throw new IllegalStateException("No " + tokensManifestFile + ": the tokenize step has not completed for output_dir "
                    + ctx.outputDir() + "; run tokenize first (tracedistill tokenize --cfg " + ctx.cfgPath() + "), or run"
                    + " all steps with tracedistill run");
        }
        checkTokensMatchModel(TrainRun.readManifest(tokensManifestFile), tokensManifestFile, modelDir);
        String format = ctx.cfg().output().shardFormat().sparkSource();
        Map<String, Object> prepared = TrainRun.readManifest(layout.preparedManifest().toLocalPath());
        Map<String, Object> tokensManifest = TrainRun.readManifest(layout.tokensManifest().toLocalPath());
        // The held-out slice (holdout_fraction > 0): tokenize wrote tokens/heldout.
        Path heldOutDir = layout.tokensHeldOut().toLocalPath();
        boolean heldOut = Files.isDirectory(heldOutDir);
        if (ctx.cfg().executorTraining().trainOn() == TrainOn.EXECUTORS) {
            if (heldOut) {
                System.getLogger(TrainStep.class.getName()).log(System.Logger.Level.WARNING, "train_on: executors does not"
                        + " evaluate the held-out slice during training yet (train_on: driver does); " + heldOutDir + " is not used");
            }
            // One barrier task per rank; rank 0 writes the outputs and its summary comes back here.
            return ExecutorTraining.run(ctx.spark(), ctx.cfg(), ctx.cfg().toYaml(), ctx.outputDir(), modelDir, padTokenId(modelDir),
                    ctx.resume(), prepared, tokensManifest, TrainStep::summary);
        }
        TrainRun.Outputs o;
        try {
            o = trainInDriver(ctx, layout, format, modelDir, heldOut ? heldOutDir : null, ctx.resume(), prepared,
                    tokensManifest);
        } catch (PhaseSettingsChangedException e) {
            if (!ctx.force()) {
                throw e;
            }
            // --resume --force: a finished phase ran under other settings, so nothing of it can be reused.
            ctx.out().println("[train] --force: " + e.phase() + " finished under other settings than this run's;"
                    + " retraining both phases from the start");
            o = trainInDriver(ctx, layout, format, modelDir, heldOut ? heldOutDir : null, false, prepared, tokensManifest);
        }
        return summary(o) + TrainReport.heldOutSummary(o.training(), prepared).map(h -> "\n  held-out: " + h).orElse("");
    }

    /** Trains in this JVM; {@code heldOutDir} is the held-out token slice, or null when there is none. */
    private TrainRun.Outputs trainInDriver(JobContext ctx, OutputLayout layout, String format, Path modelDir,
            Path heldOutDir, boolean resume, Map<String, Object> prepared, Map<String, Object> tokensManifest)
            throws IOException {
        boolean heldOut = heldOutDir != null;
        return TrainRun.run(settings(ctx),
                new SparkTokenShardReader(ctx.spark(), layout.tokens(Phase.PHASE1).toLocalPath().toString(), format),
                new SparkTokenShardReader(ctx.spark(), layout.tokens(Phase.PHASE2).toLocalPath().toString(), format),
                heldOut ? new SparkTokenShardReader(ctx.spark(), heldOutDir.toString(), format) : null,
                ctx.outputDir(), modelDir, padTokenId(modelDir), resume, prepared, tokensManifest, null,
                InProcessCollective.single(), null);
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
    static void checkTokensMatchModel(Map<String, ?> manifest, Path manifestFile, Path modelDir) {
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
