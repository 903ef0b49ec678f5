package io.tracedistill.jobs;

import io.tracedistill.run.RunPath;
import io.tracedistill.spark.prepare.InputReader;
import io.tracedistill.spark.prepare.PrepareManifest;
import io.tracedistill.spark.prepare.PrepareResult;
import io.tracedistill.spark.prepare.PrepareStage;
import io.tracedistill.spark.prepare.PrepareSettings;

import java.util.Map;

/** Step 1: CoT table → {@code output_dir/prepared/} (see {@link PrepareStage}). */
final class PrepareStep implements Step {

    @Override
    public String name() {
        return "prepare";
    }

    @Override
    public PrepareSettings settings(JobContext ctx) {
        return PrepareSettings.from(ctx.cfg());
    }

    @Override
    public Map<String, String> inputFiles(JobContext ctx) {
        return Map.of("input_files", PrepareManifest.fingerprint(
                InputReader.listFiles(ctx.spark().sparkContext().hadoopConfiguration(), ctx.cfg().data().dataPath())));
    }

    @Override
    public RunPath marker(JobContext ctx) {
        return ctx.layout().preparedManifest();
    }

    @Override
    public String run(JobContext ctx) {
        PrepareResult r = PrepareStage.run(ctx.spark(), settings(ctx), ctx.cfgPath());
        return String.format("prepare: %,d input rows = %,d kept + %,d quarantined %s%s; phase1 %,d rows, phase2 %,d rows%n"
                        + "  shards: %s%n  manifest: %s",
                r.inputRows(), r.keptRows(), r.quarantinedRows(), r.dropReasons(),
                r.heldOutRows() > 0 ? String.format(" + %,d held out (prepared/heldout)", r.heldOutRows()) : "",
                r.phase1Rows(), r.phase2Rows(), r.preparedDir(), r.manifestPath());
    }
}
