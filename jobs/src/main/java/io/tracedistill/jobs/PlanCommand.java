package io.tracedistill.jobs;

import io.tracedistill.memory.ModelConfigException;
import io.tracedistill.memory.PlanReport;

import io.tracedistill.config.ConfigLoader;
import io.tracedistill.config.Redaction;
import io.tracedistill.run.RunPath;
import io.tracedistill.spark.RunFiles;
import io.tracedistill.spark.SparkSessions;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.spark.SparkConf;
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
 * A {@code base_model} on a Hadoop file system is read through it ({@link #copyModelConfig}).
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
        Path copied = null;
        try {
            if (modelConfig == null && !PlanReport.isModelConfig(cfg)) {
                RunPath model = new RunPath(ConfigLoader.load(cfg).model().baseModel());
                if (!model.isLocal()) {
                    copied = Files.createTempFile("tracedistill-plan-", "-config.json");
                    modelConfig = copyModelConfig(model, copied);
                }
            }
            out.print(PlanReport.render(PlanReport.resolve(cfg, modelConfig)));
            out.flush();
            return 0;
        } catch (ModelConfigException e) {
            err.println("plan: " + e.getMessage());
            return 1;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            if (copied != null) {
                copied.toFile().delete();
            }
        }
    }

    /**
     * A {@code base_model} on a Hadoop file system ({@code s3a://}, {@code hdfs://}, {@code dbfs:/}): its
     * {@code config.json} (all plan reads) copied to {@code local}, without starting Spark; the file system settings
     * are the {@code spark.hadoop.*} ones spark-submit passes, as a Spark session would apply them.
     */
    private static Path copyModelConfig(RunPath model, Path local) {
        RunFiles files = new RunFiles(SparkSessions.hadoopConf(new SparkConf()));
        RunPath config = model.resolve("config.json");
        if (!files.isFile(config)) {
            throw new ModelConfigException("No config.json at " + Redaction.text(config.uri()) + " (base_model): plan"
                    + " needs only the model's config.json; pass a local copy with --model-config FILE");
        }
        files.downloadFile(config, local);
        return local;
    }
}
