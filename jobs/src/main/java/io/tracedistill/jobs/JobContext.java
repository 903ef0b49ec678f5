package io.tracedistill.jobs;

import io.tracedistill.config.ConfigLoader;
import io.tracedistill.config.RunConfig;
import io.tracedistill.run.OutputLayout;
import io.tracedistill.spark.SparkSessions;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import org.apache.spark.sql.SparkSession;

/**
 * What every step of a run shares: the loaded config and its file, the output directory, the step
 * ledger, where to print, and the Spark session (created on first use, so {@code generate} and
 * {@code render-chat} never start Spark).
 *
 * <p>The session is passed explicitly to each stage; this context owns it and stops it in {@link #close()}.
 */
public final class JobContext implements AutoCloseable {
    private final RunConfig cfg;
    private final Path cfgPath;
    private final boolean force;
    private final boolean resume;
    private final PrintStream out;
    private final StepLedger ledger;
    private SparkSessions.JobSession spark;

    public JobContext(RunConfig cfg, Path cfgPath, boolean force, boolean resume, PrintStream out) {
        this.cfg = cfg;
        this.cfgPath = cfgPath;
        this.force = force;
        this.resume = resume;
        this.out = out;
        this.ledger = new StepLedger(layout().stepLedger().toLocalPath());
    }

    /**
     * Loads {@code args.requireCfg()} with the {@code --set} overrides laid over it; config errors name the file, the
     * key and the fix.
     */
    public static JobContext open(CliArgs args, PrintStream out) {
        Path cfgPath = args.requireCfg();
        RunConfig cfg = ConfigLoader.load(cfgPath, args.sets());
        return new JobContext(cfg, cfgPath, args.force(), args.resume(), out);
    }

    public RunConfig cfg() {
        return cfg;
    }

    public Path cfgPath() {
        return cfgPath;
    }

    public boolean force() {
        return force;
    }

    public boolean resume() {
        return resume;
    }

    public PrintStream out() {
        return out;
    }

    public StepLedger ledger() {
        return ledger;
    }

    /** Where each output of this run lives under {@code output_dir}. */
    public OutputLayout layout() {
        return OutputLayout.of(cfg.output().outputDir());
    }

    /** {@code output_dir} as a local path (the ledger, training outputs and reports are still local files). */
    public Path outputDir() {
        return layout().root().toLocalPath();
    }

    /**
     * The session for Spark stages, on the platform's settings ({@link SparkSessions#forJob}): the session already
     * running in this JVM, else spark-submit's or the cluster's master, else {@code local[*]}; {@code spark_master}
     * overrides. The choice and its reason are printed once.
     */
    public SparkSession spark() {
        if (spark == null) {
            spark = SparkSessions.forJob(cfg.output().sparkMaster(), cfgPath.toString(), "tracedistill",
                    line -> out.println("[spark] " + line));
            if (spark.started()) {
                spark.session().sparkContext().setLogLevel("WARN");
            }
        }
        return spark.session();
    }

    /** Writes {@code output_dir/resolved_config.yaml}, next to every output the run produces. */
    public void writeResolvedConfig() {
        try {
            Files.createDirectories(outputDir());
            Files.writeString(layout().resolvedConfig().toLocalPath(),
                    "# Resolved from " + cfgPath + " (every key, defaults included)\n" + cfg.toYaml(),
                    StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write resolved_config.yaml under " + outputDir(), e);
        }
    }

    @Override
    public void close() {
        // Stop only a session this run started: a Databricks JAR task's session belongs to the platform.
        if (spark != null && spark.started()) {
            spark.session().stop();
        }
        spark = null;
    }
}
