package io.tracedistill.jobs;

import io.tracedistill.memory.ModelConfigException;
import io.tracedistill.memory.PlanReport;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Set;

/**
 * The {@code plan} command ({@code tracedistill plan}; options read by {@link CliArgs#options}): the GPU memory
 * of a run per component and what would make it fit one GPU, from the model's {@code config.json} alone
 * ({@link PlanReport}).
 *
 * <pre>
 * plan --cfg FILE.yaml [--model-config config.json]   a run config; its base_model/config.json unless given
 * plan --cfg config.json                              a model config with the run config defaults
 * </pre>
 * Exit status: 0 printed, 1 the config or model config is invalid, 2 bad arguments.
 */
final class PlanCommand {

    static final String USAGE = "usage: plan --cfg FILE.yaml|config.json [--model-config config.json]";

    private PlanCommand() {}

    static int run(CliArgs args, PrintStream out, PrintStream err) {
        Path cfg;
        Path modelConfig;
        try {
            modelConfig = args.options(Set.of("--model-config"), Set.of()).path("--model-config").orElse(null);
            cfg = args.requireCfg();
        } catch (CliArgs.UsageException e) {
            err.println("plan: " + e.getMessage());
            err.println(USAGE);
            return 2;
        }
        try {
            out.print(PlanReport.render(PlanReport.resolve(cfg, modelConfig)));
            out.flush();
            return 0;
        } catch (ModelConfigException e) {
            err.println("plan: " + e.getMessage());
            return 1;
        }
    }
}
