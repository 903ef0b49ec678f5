package io.tracedistill.jobs;

import io.tracedistill.spark.prepare.InputReader;
import io.tracedistill.spark.prepare.PrepareManifest;
import io.tracedistill.spark.eval.EvalResult;
import io.tracedistill.spark.eval.EvalStage;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Step 7: greedy decoding of {@code eval_path} with the base model and each adapter, graded; {@code output_dir/eval/}. */
final class EvalStep implements Step {
    static final List<String> CONFIG_KEYS = List.of("base_model", "eval_path", "eval_adapters", "eval_max_new_tokens",
            "eval_batch_size", "eval_scorer", "eval_limit", "enable_thinking", "max_length", "chat_date", "columns",
            "prompt_suffix", "shard_format", "seed");

    @Override
    public String name() {
        return "eval";
    }

    @Override
    public boolean enabled(JobContext ctx) {
        return ctx.cfg().evalPath().isPresent();
    }

    @Override
    public String fingerprint(JobContext ctx) {
        Map<String, Object> parts = new TreeMap<>(Step.configSubset(ctx, CONFIG_KEYS));
        parts.put("eval_files", PrepareManifest.fingerprint(
                InputReader.listFiles(ctx.spark().sparkContext().hadoopConfiguration(), ctx.cfg().evalPath().orElseThrow())));
        Path model = Path.of(ctx.cfg().baseModel());
        parts.put("config.json", StepLedger.fileHash(model.resolve("config.json")));
        parts.put("tokenizer.json", StepLedger.fileHash(model.resolve("tokenizer.json")));
        List<String> adapters = ctx.cfg().evalAdapters().isEmpty()
                ? List.of(ctx.outputDir().resolve("adapter").toString()) : ctx.cfg().evalAdapters();
        for (String a : adapters) {
            parts.put("adapter:" + a, StepLedger.fileHash(Path.of(a).resolve("adapter_model.safetensors")));
        }
        return StepLedger.fingerprint(parts);
    }

    @Override
    public Path marker(JobContext ctx) {
        return ctx.outputDir().resolve("eval").resolve("eval_report.json");
    }

    @Override
    public String run(JobContext ctx) throws Exception {
        EvalResult r = EvalStage.run(ctx.spark(), ctx.cfg(), ctx.cfg().outputDir());
        return String.format("eval: %,d rows read, %,d evaluated, %,d decoded per arm; arms %s%n%s%n"
                        + "  predictions: %s%n  report: %s%n  chart: %s",
                r.inputRows(), r.evalRows(), r.decodedRows(), r.arms(), r.report().toMarkdown().strip(),
                r.predictionsDir(), r.reportMarkdown(), r.chartPng());
    }
}
