package io.tracedistill.jobs;

import io.tracedistill.spark.tokenize.TokenizeResult;
import io.tracedistill.spark.tokenize.TokenizeStage;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Step 2: prepared shards → chat render + tokenize + completion-only masks → {@code output_dir/tokens/}. */
final class TokenizeStep implements Step {
    static final List<String> CONFIG_KEYS = List.of("base_model", "max_length", "enable_thinking", "chat_date",
            "shard_format", "seed", "world_size", "phase1", "phase2");

    @Override
    public String name() {
        return "tokenize";
    }

    @Override
    public String fingerprint(JobContext ctx) {
        Map<String, Object> parts = new TreeMap<>(Step.configSubset(ctx, CONFIG_KEYS));
        Path model = Path.of(ctx.cfg().baseModel());
        parts.put("tokenizer.json", StepLedger.fileHash(model.resolve("tokenizer.json")));
        parts.put("tokenizer_config.json", StepLedger.fileHash(model.resolve("tokenizer_config.json")));
        parts.put("chat_template.jinja", StepLedger.fileHash(model.resolve("chat_template.jinja")));
        parts.put("prepared_manifest", StepLedger.fileHash(ctx.outputDir().resolve("prepared").resolve("manifest.json")));
        return StepLedger.fingerprint(parts);
    }

    @Override
    public Path marker(JobContext ctx) {
        return ctx.outputDir().resolve("tokens").resolve("manifest.json");
    }

    @Override
    public String run(JobContext ctx) {
        TokenizeResult r = TokenizeStage.run(ctx.spark(), ctx.cfg(), ctx.cfg().outputDir());
        StringBuilder sb = new StringBuilder("tokenize (chat date " + r.chatDate() + "):");
        r.phases().forEach((phase, p) -> sb.append(String.format("%n  %s: %,d rows -> %,d kept, dropped %s%s, %,d loss tokens",
                phase, p.inputRows(), p.kept(), p.quarantinedByReason(),
                p.orderRecomputed() ? " (order recomputed over survivors)" : "", p.totalLossTokens())));
        sb.append(String.format("%n  shards: %s%n  manifest: %s", r.tokensDir(), r.manifestPath()));
        return sb.toString();
    }
}
