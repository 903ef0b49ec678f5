package io.tracedistill.jobs;

import io.tracedistill.config.ConfigLoader;
import io.tracedistill.config.RunConfig;
import io.tracedistill.run.OutputLayout;
import io.tracedistill.spark.SparkSessions;

import io.tracedistill.run.RunPath;
import io.tracedistill.spark.NodeLocalCache;
import io.tracedistill.peft.PeftAdapter;
import io.tracedistill.spark.RunFiles;
import java.util.Map;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.apache.hadoop.conf.Configuration;

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
    private SparkSessions.JobSession spark;
    private RunFiles files;

    public JobContext(RunConfig cfg, Path cfgPath, boolean force, boolean resume, PrintStream out) {
        this.cfg = cfg;
        this.cfgPath = cfgPath;
        this.force = force;
        this.resume = resume;
        this.out = out;
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

    /** The step ledger, {@code output_dir/.steps/}, on output_dir's file system. */
    public StepLedger ledger() {
        return new StepLedger(files(), layout().stepLedger());
    }

    /**
     * output_dir's file system: for a plain path or {@code file:} the Hadoop configuration of this JVM (a plain path
     * is then the default file system of the cluster's {@code core-site.xml}, as Spark reads it) without starting
     * Spark; for any other URI Spark's Hadoop configuration ({@code spark.hadoop.*}: S3A endpoints and credentials).
     */
    public RunFiles files() {
        if (files == null) {
            files = new RunFiles(layout().root().isLocal() ? new Configuration() : spark().sparkContext().hadoopConfiguration());
        }
        return files;
    }

    /** Where each output of this run lives under {@code output_dir}. */
    public OutputLayout layout() {
        return OutputLayout.of(cfg.output().outputDir());
    }

    /**
     * {@code base_model} as a local folder on this node: the configured path, or for any other Hadoop URI
     * ({@code s3a://}, {@code hdfs://}, {@code dbfs:/}) its verified copy in the node-local cache.
     */
    public Path baseModelDir() {
        RunPath model = new RunPath(cfg.model().baseModel());
        if (model.isLocal()) {
            return model.toLocalPath();
        }
        return NodeLocalCache.localFolder(new RunFiles(spark().sparkContext().hadoopConfiguration()), model, "base_model");
    }

    /**
     * What a step's fingerprint records of an adapter it reads ({@code init_adapter}, an eval arm's adapter): the
     * SHA-256 of its {@code adapter_model.safetensors}, local or on any Hadoop file system, or "absent".
     */
    public String adapterWeightsHash(String adapterDir) {
        RunPath weights = new RunPath(adapterDir).resolve(PeftAdapter.WEIGHTS_FILE);
        return weights.isLocal() ? StepLedger.fileHash(weights.toLocalPath())
                : new RunFiles(spark().sparkContext().hadoopConfiguration()).sha256(weights);
    }

    /**
     * What a step's fingerprint records of {@code base_model}: {@link StepLedger#modelFiles} of a local folder; of
     * a copied one the name of its copy, which is the hash of the source's listing (names, sizes, times, checksums).
     */
    public Map<String, String> baseModelFiles() {
        Path dir = baseModelDir();
        return new RunPath(cfg.model().baseModel()).isLocal() ? StepLedger.modelFiles(dir)
                : Map.of("model/listing", dir.getFileName().toString());
    }

    /** {@code output_dir} fully qualified ({@code file:/abs/path}, {@code s3a://bucket/run}), for messages. */
    public String outputDirShown() {
        return files().qualify(layout().root()).uri();
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

    /** Writes {@code output_dir/resolved_config.yaml}, next to every output the run produces (atomically). */
    public void writeResolvedConfig() {
        files().writeAtomically(layout().resolvedConfig(),
                ("# Resolved from " + cfgPath + " (every key, defaults included)\n" + cfg.toYaml()).getBytes(StandardCharsets.UTF_8));
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
