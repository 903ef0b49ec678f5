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
        org.apache.hadoop.conf.Configuration conf = ctx.spark().sparkContext().hadoopConfiguration();
        String data = PrepareManifest.fingerprint(InputReader.listFiles(conf, ctx.cfg().data().dataPath()));
        // heldout_source: eval_path: the eval files are prepare's input too (they become prepared/heldout).
        return settings(ctx).heldOutEvalPath()
                .map(p -> Map.of("input_files", data, "heldout_files", PrepareManifest.fingerprint(InputReader.listFiles(conf, p))))
                .orElse(Map.of("input_files", data));
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
                heldOutNote(ctx, r),
                r.phase1Rows(), r.phase2Rows(), r.preparedDir(), r.manifestPath());
    }

    private String heldOutNote(JobContext ctx, PrepareResult r) {
        if (settings(ctx).heldOutEvalPath().isPresent()) {
            return String.format("; held out: %,d eval_path rows (prepared/heldout; see the manifest's heldout section)",
                    r.heldOutRows());
        }
        return r.heldOutRows() > 0 ? String.format(" + %,d held out (prepared/heldout)", r.heldOutRows()) : "";
    }
}
