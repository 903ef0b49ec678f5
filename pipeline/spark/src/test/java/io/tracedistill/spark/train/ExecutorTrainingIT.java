package io.tracedistill.spark.train;

import io.tracedistill.run.RunPath;
import io.tracedistill.testdata.LoopbackNamespace;
import io.tracedistill.testdata.SchemeLocalFileSystem;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tracedistill.config.ConfigLoader;
import io.tracedistill.config.RunConfig;
import io.tracedistill.config.ShardFormat;
import io.tracedistill.model.SafeTensors;
import io.tracedistill.spark.ShardSchemas;
import io.tracedistill.spark.SparkSessions;
import io.tracedistill.train.MetricsLog;
import io.tracedistill.train.PhaseSettingsChangedException;
import io.tracedistill.train.TensorFiles;
import io.tracedistill.train.TrainRun;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@code train_on: executors} with 2 ranks on {@code local[2]} (a barrier stage, the xgboost collective over
 * loopback) against the in-process {@code world_size: 2} run of the same config, on tiny-qwen2 with the
 * trajectory's initial adapter and token shards, NEFTune on and clipping engaged. The repeat run has
 * {@code output_dir}, {@code base_model} and {@code init_adapter} on a non-local Hadoop file system (the test scheme
 * {@link SchemeLocalFileSystem}: every rank mirrors and copies through Hadoop FS, as on {@code s3a://}), and reaches its
 * adapter by {@code --resume --force} over a finished run with another phase-1 learning rate. Runs in the
 * loopback-only network namespace.
 */
class ExecutorTrainingIT {

    private static final double TOLERANCE = 1e-5;
    private static SparkSession spark;
    @TempDir
    static Path tmp;

    static Path fixture(String rel) {
        try {
            return Path.of(ExecutorTrainingIT.class.getResource("/fixtures/" + rel).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    @BeforeAll
    static void start() throws Exception {
        assumeTrue(LoopbackNamespace.inside(), LoopbackNamespace.whyNotInside());
        spark = SparkSessions.builder("local[2]", "executor-training-it").getOrCreate();
        SchemeLocalFileSystem.register(spark.sparkContext().hadoopConfiguration()); // the ranks get the driver's settings
    }

    @AfterAll
    static void stop() {
        if (spark != null) {
            spark.stop();
        }
    }

    /** The first {@code n} examples of a phase of the trajectory fixture as token shards in 2 files. */
    private static void writeTokens(Path out, int phase, int n) throws Exception {
        JsonNode tok = new ObjectMapper().readTree(fixture("train_trajectory/tokenized_phase" + phase + ".json").toFile());
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            JsonNode e = tok.path("examples").get(i);
            List<Integer> ids = new ArrayList<>();
            e.path("input_ids").forEach(x -> ids.add(x.asInt()));
            List<Integer> labels = new ArrayList<>();
            e.path("labels").forEach(x -> labels.add(x.asInt()));
            int loss = (int) labels.stream().filter(x -> x != -100).count();
            rows.add(RowFactory.create((long) i, e.path("type").asText(), ids, labels, ids.size(), loss));
        }
        spark.createDataFrame(rows, ShardSchemas.TOKEN_LEADING_SCHEMA).coalesce(2).write()
                .parquet(out.resolve("tokens").resolve("phase" + phase).toString());
    }

    private static String yaml(Path out, String trainOn) {
        return yaml(out.toString(), fixture("tiny-qwen2").toString(), fixture("train_trajectory/initial_adapter").toString(),
                trainOn, 2.0e-3);
    }

    /**
     * The keys every executor-training test config starts with (also {@link HeldOutExecutorTrainingIT}'s): the
     * tiny-qwen2 fixture, 2 ranks, {@code train_on}, one attempt, a 60 s collective timeout; phases follow.
     */
    static String commonYaml(String out, String baseModel, String initAdapter, String trainOn) {
        return "base_model: " + baseModel + "\n"
                + "data_path: unused.csv\n"
                + "hard_types: [math]\n"
                + "output_dir: " + out + "\n"
                + "init_adapter: " + initAdapter + "\n"
                + "max_length: 256\n"
                + "package_zip: false\n"
                + "threads: 1\n"
                + "world_size: 2\n"
                + "train_on: " + trainOn + "\n"
                + "collective_timeout_s: 60\n"
                + "train_max_attempts: 1\n";
    }

    private static String yaml(String out, String baseModel, String initAdapter, String trainOn, double phase1Lr) {
        return commonYaml(out, baseModel, initAdapter, trainOn)
                + "phase1: {learning_rate: " + phase1Lr + ", lr_scheduler_type: linear, warmup_steps: 0, num_train_epochs: 1,"
                + " per_device_train_batch_size: 2, gradient_accumulation_steps: 1, max_grad_norm: 1.0e9, neftune_noise_alpha: 5.0, logging_steps: 1}\n"
                + "phase2: {learning_rate: 1.0e-3, lr_scheduler_type: cosine, warmup_steps: 1, num_train_epochs: 1,"
                + " per_device_train_batch_size: 2, gradient_accumulation_steps: 1, max_grad_norm: 0.05, neftune_noise_alpha: 5.0, logging_steps: 1}\n";
    }

    private static Path prepare(String name) throws Exception {
        Path out = tmp.resolve(name);
        writeTokens(out, 1, 14);
        writeTokens(out, 2, 6);
        return out;
    }

    private static String executors(String name) throws Exception {
        Path out = prepare(name);
        return executors(yaml(out, "executors"), new RunPath(out.toString()), false, false);
    }

    private static String executors(String yaml, RunPath out, boolean resume, boolean force) {
        RunConfig cfg = ConfigLoader.parse(yaml, "executor-training-it.yaml");
        return ExecutorTraining.run(spark, cfg, cfg.toYaml(), out, 256, resume, force, Map.of(), Map.of(),
                o -> "phase2 loss " + o.training().phase2().finalLoss() + ", adapter " + o.training().adapter());
    }

    /**
     * {@code executors-b}: output_dir, base_model and init_adapter on the test scheme. A finished run with phase 1's
     * learning rate 1e-3, then {@code --resume} with 2e-3 (refused: phase 1 finished under other settings), then
     * {@code --resume --force} (retrained from the start with 2e-3). Returns the last summary.
     */
    private static String executorsOnHadoopFsResumedWithForce() throws Exception {
        Path local = prepare("executors-b");
        String out = SchemeLocalFileSystem.uri(local);
        String model = SchemeLocalFileSystem.uri(fixture("tiny-qwen2"));
        String init = SchemeLocalFileSystem.uri(fixture("train_trajectory/initial_adapter"));
        executors(yaml(out, model, init, "executors", 1.0e-3), new RunPath(out), false, false);
        String changed = yaml(out, model, init, "executors", 2.0e-3);
        // Refused at once, with the refusal's own type and message (naming both settings), though 3 attempts are allowed.
        String changedRetried = changed.replace("train_max_attempts: 1\n", "train_max_attempts: 3\n");
        PhaseSettingsChangedException refused = assertThrows(PhaseSettingsChangedException.class,
                () -> executors(changedRetried, new RunPath(out), true, false));
        assertTrue(refused.getMessage().startsWith("phase1 already finished") && refused.getMessage().contains("--resume --force")
                && refused.getMessage().contains("learningRate=0.001") && refused.getMessage().contains("learningRate=0.002"),
                refused.getMessage());
        return executors(changed, new RunPath(out), true, true);
    }

    private static void inProcess(String name) throws Exception {
        Path out = prepare(name);
        RunConfig cfg = ConfigLoader.parse(yaml(out, "driver"), name + ".yaml");
        TrainRun.run(TrainRun.Settings.of(cfg),
                new ShardFileTokenReader(out.resolve("tokens/phase1").toString(), ShardFormat.PARQUET, Map.of()),
                new ShardFileTokenReader(out.resolve("tokens/phase2").toString(), ShardFormat.PARQUET, Map.of()),
                out, fixture("tiny-qwen2"), 256, false, Map.of(), Map.of(), null);
    }

    private static Map<String, SafeTensors.HostTensor> adapter(String name) throws Exception {
        return TensorFiles.read(tmp.resolve(name).resolve("adapter").resolve("adapter_model.safetensors"));
    }

    @Test
    void twoRanksOnExecutorsEqualTheInProcessRunAndRepeatBitIdentically() throws Exception {
        long t0 = System.nanoTime();
        String summary = executors("executors-a");
        double executorsS = (System.nanoTime() - t0) / 1e9;
        assertTrue(summary.startsWith("phase2 loss "), summary);
        String forced = executorsOnHadoopFsResumedWithForce();
        assertTrue(forced.startsWith("--force: phase1 finished under other settings"), forced);
        assertTrue(forced.contains("executors-b/adapter") && !forced.contains(io.tracedistill.spark.NodeLocalCache.root().toString()),
                "the summary names the adapter on output_dir, not rank 0's local mirror: " + forced);
        t0 = System.nanoTime();
        inProcess("driver");
        double driverS = (System.nanoTime() - t0) / 1e9;

        List<MetricsLog.Entry> a = MetricsLog.read(io.tracedistill.run.OutputLayout.ofLocal(tmp.resolve("executors-a")).metrics().toLocalPath());
        List<MetricsLog.Entry> b = MetricsLog.read(io.tracedistill.run.OutputLayout.ofLocal(tmp.resolve("executors-b")).metrics().toLocalPath());
        List<MetricsLog.Entry> d = MetricsLog.read(io.tracedistill.run.OutputLayout.ofLocal(tmp.resolve("driver")).metrics().toLocalPath());
        assertEquals(4 + 2, d.size(), "14 rows / (2 x 2) -> 4 steps, 6 rows -> 2 steps, each logged");
        assertEquals(d.size(), a.size());
        double maxLoss = 0;
        double maxNorm = 0;
        for (int i = 0; i < d.size(); i++) {
            assertEquals(d.get(i).phase(), a.get(i).phase());
            assertEquals(d.get(i).step(), a.get(i).step());
            assertEquals(d.get(i).tokens(), a.get(i).tokens());
            assertEquals(d.get(i).lr(), a.get(i).lr(), 0);
            maxLoss = Math.max(maxLoss, Math.abs(d.get(i).loss() - a.get(i).loss()));
            maxNorm = Math.max(maxNorm, Math.abs(d.get(i).gradNorm() - a.get(i).gradNorm()) / d.get(i).gradNorm());
            assertEquals(a.get(i).loss(), b.get(i).loss(), 0, "two executor runs: step " + i);
            assertEquals(a.get(i).gradNorm(), b.get(i).gradNorm(), 0, "two executor runs: step " + i);
        }
        Map<String, SafeTensors.HostTensor> wa = adapter("executors-a");
        Map<String, SafeTensors.HostTensor> wb = adapter("executors-b");
        Map<String, SafeTensors.HostTensor> wd = adapter("driver");
        double maxW = 0;
        for (String k : wd.keySet()) {
            float[] x = wd.get(k).values();
            float[] y = wa.get(k).values();
            for (int j = 0; j < x.length; j++) {
                maxW = Math.max(maxW, Math.abs(x[j] - y[j]));
            }
            assertArrayEquals(y, wb.get(k).values(), 0f, "two executor runs (the second on Hadoop FS, by --resume --force): " + k);
        }
        System.out.printf("train_on executors (2 ranks, local[2]) vs driver (world_size 2): max |dloss| %.2e, max rel dnorm %.2e,"
                + " max |dW| %.2e (tolerance %.0e); wall %.1f s vs %.1f s%n", maxLoss, maxNorm, maxW, TOLERANCE, executorsS, driverS);
        assertTrue(maxLoss <= TOLERANCE && maxNorm <= TOLERANCE && maxW <= TOLERANCE);
        assertTrue(Files.isRegularFile(tmp.resolve("executors-a").resolve("report.md")), "rank 0 wrote the report");
        assertTrue(Files.isRegularFile(tmp.resolve("executors-b").resolve("report.md")), "rank 0 published the report");
    }
}
