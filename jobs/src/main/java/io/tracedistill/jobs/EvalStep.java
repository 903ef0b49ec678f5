package io.tracedistill.jobs;

import io.tracedistill.run.RunPath;
import io.tracedistill.eval.ArmSpec;
import io.tracedistill.spark.prepare.InputReader;
import io.tracedistill.spark.prepare.PrepareManifest;
import io.tracedistill.spark.eval.EvalResult;
import io.tracedistill.spark.eval.EvalStage;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;

/** Step 7: greedy decoding of {@code eval_path} with the base model and each adapter, graded; {@code output_dir/eval/}. */
final class EvalStep implements Step {
    /** The arms to decode; null = the config's ({@code base} + {@code eval_adapters} or the run's adapter). */
    private final Function<JobContext, List<ArmSpec>> arms;

    /** The run's own eval: base and the config's adapters. */
    EvalStep() {
        this(null);
    }

    /** An eval of other arms ({@code tracedistill experiment}: base, then one adapter per trained arm). */
    EvalStep(Function<JobContext, List<ArmSpec>> arms) {
        this.arms = arms;
    }

    @Override
    public String name() {
        return "eval";
    }

    @Override
    public boolean enabled(JobContext ctx) {
        return ctx.cfg().eval().path().isPresent();
    }

    @Override
    public EvalStage.Inputs settings(JobContext ctx) {
        EvalStage.Inputs in = EvalStage.Inputs.of(ctx.cfg(), ctx.cfg().output().outputDir());
        return arms == null ? in : new EvalStage.Inputs(in.settings().withArms(arms.apply(ctx)), in.eval(), in.columns(),
                in.shardFormat(), in.baseModel());
    }

    @Override
    public Map<String, String> inputFiles(JobContext ctx) {
        Map<String, String> files = new TreeMap<>();
        files.put("eval_files", PrepareManifest.fingerprint(InputReader.listFiles(
                ctx.spark().sparkContext().hadoopConfiguration(), ctx.cfg().eval().path().orElseThrow())));
        files.putAll(ctx.baseModelFiles());
        for (ArmSpec arm : settings(ctx).settings().arms()) {
            if (arm.adapterDir() != null) {
                files.put("adapter:" + arm.adapterDir(), ctx.adapterWeightsHash(arm.adapterDir()));
            }
        }
        return files;
    }

    @Override
    public RunPath marker(JobContext ctx) {
        return ctx.layout().evalReportJson();
    }

    @Override
    public String run(JobContext ctx) throws Exception {
        EvalResult r = EvalStage.run(ctx.spark(), settings(ctx), ctx.cfg().output().outputDir());
        return String.format("eval: %,d rows read, %,d evaluated, %,d decoded per arm; arms %s%n%s%n"
                        + "  predictions: %s%n  report: %s%n  chart: %s",
                r.inputRows(), r.evalRows(), r.decodedRows(), r.arms(), r.report().toMarkdown().strip(),
                r.predictionsDir(), r.reportMarkdown(), r.chartPng());
    }
}
