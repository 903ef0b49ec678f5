package io.tracedistill.jobs;

import io.tracedistill.run.RunPath;
import io.tracedistill.spark.tokenize.ChatTemplateTurnRenderer;
import io.tracedistill.spark.tokenize.TokenizeResult;
import io.tracedistill.spark.tokenize.TokenizeSettings;
import io.tracedistill.spark.tokenize.TokenizeStage;

import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

/** Step 2: prepared shards → chat render + tokenize + completion-only masks → {@code output_dir/tokens/}. */
final class TokenizeStep implements Step {

    @Override
    public String name() {
        return "tokenize";
    }

    @Override
    public TokenizeSettings settings(JobContext ctx) {
        return TokenizeSettings.from(ctx.cfg());
    }

    @Override
    public Map<String, String> inputFiles(JobContext ctx) {
        Path model = ctx.baseModelDir();
        Map<String, String> files = new TreeMap<>();
        files.put("tokenizer.json", StepLedger.fileHash(model.resolve("tokenizer.json")));
        files.put("tokenizer_config.json", StepLedger.fileHash(model.resolve("tokenizer_config.json")));
        files.put("chat_template.jinja", StepLedger.fileHash(model.resolve("chat_template.jinja")));
        files.put("prepared_manifest", ctx.files().sha256(ctx.layout().preparedManifest()));
        return files;
    }

    @Override
    public RunPath marker(JobContext ctx) {
        return ctx.layout().tokensManifest();
    }

    @Override
    public String run(JobContext ctx) {
        TokenizeResult r = TokenizeStage.run(ctx.spark(), settings(ctx), ctx.cfg().output().outputDir(),
                ChatTemplateTurnRenderer.FACTORY);
        StringBuilder sb = new StringBuilder("tokenize (chat date " + r.chatDate() + "):");
        r.phases().forEach((phase, p) -> sb.append(String.format("%n  %s: %,d rows -> %,d kept, dropped %s%s, %,d loss tokens",
                phase, p.inputRows(), p.kept(), p.quarantinedByReason(),
                p.orderRecomputed() ? " (order recomputed over survivors)" : "", p.totalLossTokens())));
        r.heldOut().ifPresent(h -> sb.append(String.format("%n  %s: %,d rows -> %,d kept, dropped %s, %,d loss tokens",
                io.tracedistill.run.OutputLayout.HELD_OUT, h.inputRows(), h.kept(), h.quarantinedByReason(), h.totalLossTokens())));
        sb.append(String.format("%n  shards: %s%n  manifest: %s", r.tokensDir(), r.manifestPath()));
        return sb.toString();
    }
}
