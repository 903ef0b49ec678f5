package io.tracedistill.spark.train;

import ai.djl.Device;
import io.tracedistill.eval.EvalExample;
import io.tracedistill.config.ConfigLoader;
import io.tracedistill.config.DeviceSpec;
import io.tracedistill.config.RunConfig;
import io.tracedistill.config.ShardFormat;
import io.tracedistill.run.OutputLayout;
import io.tracedistill.run.Phase;
import io.tracedistill.run.RunPath;
import io.tracedistill.spark.ModelFolders;
import io.tracedistill.spark.RunFiles;
import io.tracedistill.train.Collective;
import io.tracedistill.train.PhaseSettingsChangedException;
import io.tracedistill.train.TrainRun;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.TaskContext;
import org.apache.spark.resource.ResourceInformation;
import org.apache.spark.sql.SparkSession;

import java.io.Serializable;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * {@code train_on: executors}: {@link TrainRun} as one barrier task per rank ({@link BarrierTraining}). Each
 * task re-reads the resolved config, streams the token shards itself ({@link ShardFileTokenReader}; nothing is
 * collected on the driver), loads the base model and its LoRA replica on the GPU Spark assigned it (or the CPU),
 * and trains its micro-batches; rank 0 writes every output into {@code output_dir}. On a Hadoop file system
 * ({@code s3a://}, {@code hdfs://}, ...) each rank trains in a node-local {@link LocalRunMirror} and rank 0 uploads each
 * finished checkpoint and, at the end, the outputs (atomically, by {@link RunFiles}' protocol); a local
 * {@code output_dir} must be a directory every executor sees (a shared or FUSE-mounted file system). The base model
 * and {@code init_adapter} may live on a Hadoop file system too: each executor uses its node's verified copy
 * ({@link ModelFolders}). Attempts after the first resume from the last complete checkpoint on {@code output_dir}. While the stage runs, the driver logs rank 0's metrics as they appear.
 */
public final class ExecutorTraining {

    private static final Logger LOG = System.getLogger(ExecutorTraining.class.getName());

    private ExecutorTraining() {
    }

    /** Turns rank 0's outputs into the text the driver returns (runs in the task: must be serializable). */
    @FunctionalInterface
    public interface Summary extends Serializable {
        String of(TrainRun.Outputs outputs);
    }

    /**
     * Trains on the executors and returns rank 0's {@code summary}.
     *
     * @param resolvedYaml the resolved run config ({@link RunConfig#toYaml()}): the tasks parse it again
     * @param outputDir    {@code output_dir}: a local folder every executor mounts, or any Hadoop URI
     * @param force        with {@code resume}: a finished phase whose settings changed is retrained from the start
     *                     (without it the run refuses, as on the driver)
     */
    public static String run(SparkSession spark, RunConfig cfg, String resolvedYaml, RunPath outputDir, int padTokenId,
                             boolean resume, boolean force, Map<String, ?> preparedManifest, Map<String, ?> tokensManifest,
                             Summary summary) {
        return run(spark, cfg, resolvedYaml, outputDir, padTokenId, resume, force, preparedManifest, tokensManifest, summary,
                false, null);
    }

    /**
     * As {@link #run(SparkSession, RunConfig, String, RunPath, int, boolean, boolean, Map, Map, Summary)}, evaluating the
     * held-out slice ({@code tokens/heldout}) when {@code heldOut}: every rank streams the slice and runs its share of the
     * batches, the sums are exchanged exactly ({@code HeldOutEvaluator}), so the numbers equal the driver's and every rank
     * takes the same early-stopping decision; {@code heldOutRows} (read on the driver, shipped with the task; null = none)
     * are the rows {@code eval_generate_limit} decodes, shared among the ranks the same way.
     */
    public static String run(SparkSession spark, RunConfig cfg, String resolvedYaml, RunPath outputDir, int padTokenId,
                             boolean resume, boolean force, Map<String, ?> preparedManifest, Map<String, ?> tokensManifest,
                             Summary summary, boolean heldOut, List<EvalExample> heldOutRows) {
        List<EvalExample> rows = heldOutRows == null ? null : new java.util.ArrayList<>(heldOutRows); // serializable
        OutputLayout layout = OutputLayout.of(outputDir.uri());
        String tokens = layout.tokens(Phase.PHASE1).uri();
        String tokens2 = layout.tokens(Phase.PHASE2).uri();
        String tokensHeldOut = layout.tokensHeldOut().uri();
        ShardFormat format = cfg.output().shardFormat();
        Map<String, String> hadoop = ShardFileTokenReader.settingsOf(spark.sparkContext().hadoopConfiguration());
        String out = outputDir.uri();
        Map<String, Object> prepared = new java.util.HashMap<>(preparedManifest); // serializable, nulls allowed
        Map<String, Object> tokensM = new java.util.HashMap<>(tokensManifest);
        BarrierTraining.Settings settings = new BarrierTraining.Settings(cfg.train().worldSize(),
                Duration.ofSeconds(cfg.executorTraining().collectiveTimeoutS()), cfg.executorTraining().trainMaxAttempts());
        // A local output_dir must be one every executor mounts; any other URI is the same for every node by nature.
        SharedDirCheck shared = outputDir.isLocal() ? SharedDirCheck.create(outputDir.toLocalPath()) : null;
        BarrierTraining.RankBody<String> body = (collective, attempt) -> {
            if (shared != null) {
                shared.verify(collective.rank());
            }
            RunConfig taskCfg = ConfigLoader.parse(resolvedYaml, "resolved config of the train step");
            Configuration conf = ShardFileTokenReader.configurationOf(hadoop);
            // base_model and init_adapter on s3a:// etc.: this executor's verified copy (NodeLocalCache), made once per node.
            Rank rank = new Rank(new RunFiles(conf), OutputLayout.of(out),
                    ModelFolders.local(conf, TrainRun.Settings.of(taskCfg)),
                    ModelFolders.local(conf, taskCfg.model().baseModel(), "base_model"), padTokenId, prepared, tokensM,
                    new ShardFileTokenReader(tokens, format, hadoop), new ShardFileTokenReader(tokens2, format, hadoop),
                    heldOut ? new ShardFileTokenReader(tokensHeldOut, format, hadoop) : null, rows, collective, taskDevice(taskCfg.model().device()), summary);
            try {
                return rank.train(resume || attempt > 1);
            } catch (PhaseSettingsChangedException e) {
                if (!force) {
                    throw new BarrierTraining.Refusal(e); // the driver throws e at once: a retry would refuse alike
                }
                // Every rank read the same checkpoint and refused alike; none may still be reading it when rank 0
                // clears the checkpoints for the fresh start.
                collective.allReduceSum(0L);
                String why = "--force: " + e.phase() + " finished under other settings than this run's; retrained both"
                        + " phases from the start";
                LOG.log(Level.WARNING, "rank " + collective.rank() + ": " + why);
                String trained = rank.train(false);
                return collective.rank() == 0 ? why + "\n" + trained : "";
            }
        };
        RunFiles files = new RunFiles(spark.sparkContext().hadoopConfiguration());
        try (MetricsRelay relay = new MetricsRelay(() -> files.isFile(layout.metrics())
                ? files.readString(layout.metrics()).lines().toList() : List.of())) {
            return BarrierTraining.run(spark, settings, body);
        } finally {
            if (shared != null) {
                shared.delete();
            }
        }
    }

    /**
     * One rank's training in its task: in its own {@link LocalRunMirror} of {@code output_dir} (the folder itself when
     * it is local); rank 0 uploads checkpoints as they are made and publishes the outputs at the end.
     */
    private record Rank(RunFiles files, OutputLayout layout, TrainRun.Settings settings, Path modelDir, int padTokenId,
                        Map<String, Object> prepared, Map<String, Object> tokensManifest, ShardFileTokenReader phase1,
                        ShardFileTokenReader phase2, ShardFileTokenReader heldOut, List<EvalExample> heldOutRows,
                        Collective collective, Device device, Summary summary) {

        /** Trains (resuming from the last complete checkpoint when {@code resume}); rank 0's summary, else "". */
        String train(boolean resume) throws java.io.IOException {
            LocalRunMirror mirror = LocalRunMirror.forRank(files, layout, resume, collective.rank());
            TrainRun.Outputs o = TrainRun.run(settings, phase1, phase2, heldOut, heldOutRows, mirror.localDir(), modelDir,
                    padTokenId, resume, prepared, tokensManifest, mirror.listener(null), collective, device);
            if (collective.rank() != 0) {
                return "";
            }
            mirror.publish();
            String text = summary.of(o);
            return mirror.mirrored() ? text.replace(mirror.localDir().toAbsolutePath().toString(), files.qualify(layout.root()).uri()) : text;
        }
    }

    /**
     * Ranks write checkpoints and outputs into {@code output_dir} and read them back on a retry, so it must be one
     * directory every executor sees at the same path (NFS, a FUSE mount such as Databricks' {@code /dbfs}). A path
     * cannot tell a shared mount from a node's own disk, so the driver writes a probe file there and every rank checks
     * it sees that file before training. On one machine (local mode, a loopback cluster) it always does.
     */
    record SharedDirCheck(String dir, String name, String token) implements Serializable {

        static SharedDirCheck create(Path outputDir) {
            String token = java.util.UUID.randomUUID().toString();
            SharedDirCheck c = new SharedDirCheck(outputDir.toAbsolutePath().toString(), ".shared-dir-check-" + token, token);
            try {
                Files.createDirectories(outputDir);
                Files.writeString(Path.of(c.dir, c.name), token);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException("cannot write the shared-directory probe into output_dir " + c.dir + ": " + e.getMessage(), e);
            }
            return c;
        }

        /** Fails, naming the host and the fix, when this rank does not see the driver's probe file. */
        void verify(int rank) throws java.io.IOException {
            Path probe = Path.of(dir, name);
            if (!Files.isRegularFile(probe) || !Files.readString(probe).equals(token)) {
                String host = org.apache.spark.SparkEnv.get() == null ? "?" : org.apache.spark.SparkEnv.get().blockManager().blockManagerId().host();
                throw new IllegalStateException("train_on: executors needs output_dir on a file system every executor shares: rank "
                        + rank + " on host " + host + " does not see the file " + probe + " the driver just wrote there. Set output_dir to"
                        + " a directory mounted at the same path on the driver and every executor (NFS, /dbfs/..., a FUSE-mounted bucket),"
                        + " or use train_on: driver");
            }
        }

        void delete() {
            try {
                Files.deleteIfExists(Path.of(dir, name));
            } catch (java.io.IOException e) {
                LOG.log(Level.DEBUG, "cannot delete " + name + ": " + e);
            }
        }
    }

    /** The GPU Spark assigned this task ({@code spark.task.resource.gpu.amount: 1}), else the config's device. */
    static Device taskDevice(DeviceSpec configured) {
        TaskContext tc = TaskContext.get();
        ResourceInformation gpu = tc == null ? null : tc.resourcesJMap().get("gpu");
        if (gpu != null && gpu.addresses().length > 0) {
            return Device.gpu(Integer.parseInt(gpu.addresses()[0]));
        }
        List<Integer> gpus = configured.gpuIndices();
        return gpus.isEmpty() ? Device.cpu() : Device.gpu(gpus.get(0));
    }

    /**
     * Logs, on the driver, the metrics lines rank 0 appends to {@code metrics.jsonl}, polling every 2 s (on an object
     * store rank 0 uploads the file with each checkpoint, so the lines arrive a checkpoint interval at a time).
     */
    private static final class MetricsRelay implements AutoCloseable {
        private final Thread thread;
        private volatile boolean stop;

        MetricsRelay(java.util.function.Supplier<List<String>> metrics) {
            thread = new Thread(() -> {
                int seen = 0;
                while (!stop) {
                    try {
                        Thread.sleep(2000);
                        List<String> lines = metrics.get();
                        if (lines.size() < seen) {
                            seen = 0; // a retried attempt rewrote the file from its checkpoint
                        }
                        for (int i = seen; i < lines.size(); i++) {
                            LOG.log(Level.INFO, "rank 0: " + lines.get(i));
                        }
                        seen = lines.size();
                    } catch (InterruptedException e) {
                        return;
                    } catch (Exception e) {
                        LOG.log(Level.DEBUG, "metrics relay: " + e);
                    }
                }
            }, "train-metrics-relay");
            thread.setDaemon(true);
            thread.start();
        }

        @Override
        public void close() {
            stop = true;
            thread.interrupt();
        }
    }
}
