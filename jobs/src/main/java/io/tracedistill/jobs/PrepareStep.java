package io.tracedistill.jobs;

import io.tracedistill.spark.prepare.InputReader;
import io.tracedistill.spark.prepare.PrepareManifest;
import io.tracedistill.spark.prepare.PrepareJob;
import io.tracedistill.spark.prepare.PrepareResult;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Step 1: CoT table → {@code output_dir/prepared/} (see {@link PrepareJob}). */
final class PrepareStep implements Step {
    static final List<String> CONFIG_KEYS = List.of("data_path", "hard_types", "seed", "columns", "prompt_suffix",
            "min_cot_len", "shuffle", "shard_format", "world_size", "phase1", "phase2");

    @Override
    public String name() {
        return "prepare";
    }

    @Override
    public String fingerprint(JobContext ctx) {
        Map<String, Object> parts = new TreeMap<>(Step.configSubset(ctx, CONFIG_KEYS));
        parts.put("input_files", PrepareManifest.fingerprint(
                InputReader.listFiles(ctx.spark().sparkContext().hadoopConfiguration(), ctx.cfg().dataPath())));
        return StepLedger.fingerprint(parts);
    }

    @Override
    public Path marker(JobContext ctx) {
        return ctx.outputDir().resolve("prepared").resolve("manifest.json");
    }

    @Override
    public String run(JobContext ctx) {
        PrepareResult r = PrepareJob.run(ctx.spark(), ctx.cfg(), ctx.cfgPath());
        return String.format("prepare: %,d input rows = %,d kept + %,d quarantined %s; phase1 %,d rows, phase2 %,d rows%n"
                        + "  shards: %s%n  manifest: %s",
                r.inputRows(), r.keptRows(), r.quarantinedRows(), r.dropReasons(), r.phase1Rows(), r.phase2Rows(),
                r.preparedDir(), r.manifestPath());
    }
}
