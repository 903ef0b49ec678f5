package io.tracedistill.spark.train;

import ai.djl.Device;
import io.tracedistill.eval.EvalExample;
import io.tracedistill.config.ConfigLoader;
import io.tracedistill.config.DeviceSpec;
import io.tracedistill.config.RunConfig;
import io.tracedistill.config.ShardFormat;
import io.tracedistill.train.MetricsLog;
import io.tracedistill.train.TrainRun;
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
 * and trains its micro-batches; rank 0 writes every output into {@code output_dir}, which must therefore be a
 * directory every executor sees (a shared or FUSE-mounted file system). Attempts after the first resume from
 * the last checkpoint. While the stage runs, the driver logs rank 0's metrics as they appear.
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
     */
    public static String run(SparkSession spark, RunConfig cfg, String resolvedYaml, Path outputDir, Path modelDir, int padTokenId,
                             boolean resume, Map<String, ?> preparedManifest, Map<String, ?> tokensManifest, Summary summary) {
        return run(spark, cfg, resolvedYaml, outputDir, modelDir, padTokenId, resume, preparedManifest, tokensManifest, summary,
                false, null);
    }

    /**
     * As {@link #run(SparkSession, RunConfig, String, Path, Path, int, boolean, Map, Map, Summary)}, evaluating the
     * held-out slice ({@code tokens/heldout}) when {@code heldOut}: every rank streams the slice and runs its share of the
     * batches, the sums are exchanged exactly ({@code HeldOutEvaluator}), so the numbers equal the driver's and every rank
     * takes the same early-stopping decision; {@code heldOutRows} (read on the driver, shipped with the task; null = none)
     * are the rows {@code eval_generate_limit} decodes, shared among the ranks the same way.
     */
    public static String run(SparkSession spark, RunConfig cfg, String resolvedYaml, Path outputDir, Path modelDir, int padTokenId,
                             boolean resume, Map<String, ?> preparedManifest, Map<String, ?> tokensManifest, Summary summary,
                             boolean heldOut, List<EvalExample> heldOutRows) {
        List<EvalExample> rows = heldOutRows == null ? null : new java.util.ArrayList<>(heldOutRows); // serializable
        String tokens = outputDir.resolve("tokens").toString();
        ShardFormat format = cfg.output().shardFormat();
        Map<String, String> hadoop = ShardFileTokenReader.settingsOf(spark.sparkContext().hadoopConfiguration());
        String out = outputDir.toString();
        String model = modelDir.toString();
        Map<String, Object> prepared = new java.util.HashMap<>(preparedManifest); // serializable, nulls allowed
        Map<String, Object> tokensM = new java.util.HashMap<>(tokensManifest);
        BarrierTraining.Settings settings = new BarrierTraining.Settings(cfg.train().worldSize(),
                Duration.ofSeconds(cfg.executorTraining().collectiveTimeoutS()), cfg.executorTraining().trainMaxAttempts());
        SharedDirCheck shared = SharedDirCheck.create(outputDir);
        BarrierTraining.RankBody<String> body = (collective, attempt) -> {
            shared.verify(collective.rank());
            RunConfig taskCfg = ConfigLoader.parse(resolvedYaml, "resolved config of the train step");
            TrainRun.Outputs o = TrainRun.run(TrainRun.Settings.of(taskCfg),
                    new ShardFileTokenReader(tokens + "/phase1", format, hadoop),
                    new ShardFileTokenReader(tokens + "/phase2", format, hadoop),
                    heldOut ? new ShardFileTokenReader(tokens + "/" + io.tracedistill.run.OutputLayout.HELD_OUT, format, hadoop) : null,
                    rows, Path.of(out), Path.of(model), padTokenId, resume || attempt > 1, prepared, tokensM, null,
                    collective, taskDevice(taskCfg.model().device()));
            return collective.rank() == 0 ? summary.of(o) : "";
        };
        try (MetricsRelay relay = new MetricsRelay(io.tracedistill.run.OutputLayout.ofLocal(outputDir).metrics().toLocalPath())) {
            return BarrierTraining.run(spark, settings, body);
        } finally {
            shared.delete();
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

    /** Logs, on the driver, the metrics lines rank 0 appends to {@code metrics.jsonl}, polling every 2 s. */
    private static final class MetricsRelay implements AutoCloseable {
        private final Thread thread;
        private volatile boolean stop;

        MetricsRelay(Path file) {
            thread = new Thread(() -> {
                int seen = 0;
                while (!stop) {
                    try {
                        Thread.sleep(2000);
                        List<String> lines = Files.isRegularFile(file) ? Files.readAllLines(file) : List.of();
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
