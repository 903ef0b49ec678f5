package io.tracedistill.jobs.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tracedistill.config.ShardFormat;
import io.tracedistill.jobs.Cli;
import io.tracedistill.run.OutputLayout;
import io.tracedistill.run.Phase;
import io.tracedistill.run.RunPath;
import io.tracedistill.spark.RunFiles;
import io.tracedistill.spark.SparkSessions;
import io.tracedistill.spark.train.ShardFileTokenReader;
import io.tracedistill.model.SafeTensors;
import io.tracedistill.testdata.LoopbackNamespace;
import io.tracedistill.testdata.S3ProxyServer;
import io.tracedistill.testdata.StandaloneCluster;
import io.tracedistill.testdata.SampleDataGenerator;
import io.tracedistill.train.MetricsLog;
import io.tracedistill.train.TensorFiles;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@code train_on: executors} on a real Spark standalone cluster (issue 15; issue 13's cluster test): a Master and
 * three 1-core Workers in their own JVMs on 127.0.0.1 ({@link StandaloneCluster}), runs launched through
 * {@code spark-submit}, every rank in its own executor JVM, the gradients summed by the xgboost collective over
 * loopback, and an S3 server ({@link S3ProxyServer}) on 127.0.0.1 for the runs on {@code s3a://}.
 * <ul>
 *   <li>W = 2 and W = 3 ranks end with the adapter of the single-process run with the same effective batch
 *       ({@code world_size 1}, {@code gradient_accumulation_steps W}, on the driver);</li>
 *   <li>with {@code output_dir} on {@code s3a://}, the driver killed (SIGKILL) mid-phase, then the job resubmitted
 *       with {@code --resume}: the same adapter as the uninterrupted local run, and no temporary, lock or partial
 *       object left in the bucket;</li>
 *   <li>the whole run ({@code run}: prepare, tokenize, train, eval) in cluster deploy mode (the driver on a Worker)
 *       with {@code data_path}, {@code base_model} and {@code output_dir} on {@code s3a://}: the same token shards,
 *       adapter and eval report as the local runs, nothing half-written in the bucket;</li>
 *   <li>the worker JVM that hosts rank 1 killed (SIGKILL, with its executor) mid-phase: the barrier stage fails, the
 *       second attempt resumes from the last checkpoint on the remaining executors: same adapter again.</li>
 * </ul>
 * The data stages of the train-only runs run once, in this JVM on {@code local[2]}, and each of those runs trains a
 * copy of their output. Runs in the loopback-only network namespace (jobs/pom.xml).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class StandaloneClusterTrainIT {

    private static final Path TINY_MODEL = Path.of("..", "src", "embedded", "tiny-qwen2").toAbsolutePath().normalize();
    /** Adapter and loss agreement with the single-process run (float summation order differs). */
    private static final double TOLERANCE = 1e-5;
    /** A submitted run took up to 263 s here under a load average of 20-30 (JVM start-ups); the limit leaves room. */
    private static final long RUN_TIMEOUT_S = 900;

    @TempDir
    static Path tmp;
    private static StandaloneCluster cluster;
    private static Path data;
    /** Output dir holding prepare's and tokenize's results, copied for every training run. */
    private static Path base;
    private static final String BUCKET = "tracedistill-it";
    private static S3ProxyServer s3;
    /** spark-submit's {@code --conf} for S3A against {@link #s3} (connection and committer settings). */
    private static List<String> s3Conf;
    /** The bucket's files, seen from this JVM through S3A. */
    private static RunFiles s3Files;

    @BeforeAll
    static void start() throws Exception {
        assumeTrue(LoopbackNamespace.inside(), LoopbackNamespace.whyNotInside());
        long t0 = System.nanoTime();
        s3 = S3ProxyServer.start(Files.createDirectories(tmp.resolve("s3")), BUCKET);
        Map<String, String> conf = new java.util.TreeMap<>(new SparkSessions.S3aSettings(s3.endpoint(), S3ProxyServer.ACCESS_KEY,
                S3ProxyServer.SECRET_KEY, true, false, "none").sparkConf());
        conf.putAll(SparkSessions.S3A_COMMITTER);
        // The directory committer keeps its pending commits on the cluster file system (fs.s3a.committer.staging.tmp.path,
        // default the relative tmp/staging: each JVM's own working folder here, so the driver found none of the tasks'
        // commits and prepare published nothing). On a real cluster that is HDFS; here one folder all JVMs share.
        conf.put("spark.hadoop.fs.s3a.committer.staging.tmp.path", tmp.resolve("s3a-staging").toUri().toString());
        s3Conf = conf.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).toList();
        org.apache.hadoop.conf.Configuration hadoop = new org.apache.hadoop.conf.Configuration();
        conf.forEach((k, v) -> {
            if (k.startsWith("spark.hadoop.")) {
                hadoop.set(k.substring("spark.hadoop.".length()), v);
            }
        });
        s3Files = new RunFiles(hadoop);
        System.out.printf(Locale.ROOT, "S3Proxy on %s: %.1f s%n", s3.endpoint(), seconds(t0));
        t0 = System.nanoTime();
        cluster = StandaloneCluster.start(tmp.resolve("cluster"), 3, 1);
        System.out.printf(Locale.ROOT, "standalone cluster %s: master + 3 workers up in %.1f s%n", cluster.masterUrl(), seconds(t0));
        data = tmp.resolve("train.csv");
        SampleDataGenerator.writeFile(31, 40, data);
        base = tmp.resolve("base");
        Path cfg = config(base, "driver", 1, 1, true);
        t0 = System.nanoTime();
        Cli.main(new String[] {"prepare", "--cfg", cfg.toString()});
        Cli.main(new String[] {"tokenize", "--cfg", cfg.toString()});
        System.out.printf(Locale.ROOT, "prepare + tokenize (local[2], this JVM): %.1f s%n", seconds(t0));
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
        if (s3 != null) {
            try {
                s3.close();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * The run config: micro-batches of 2 rows, {@code gas} of them per rank per step, {@code worldSize} ranks,
     * a checkpoint every 2 steps; {@code localMaster} only for the runs in this JVM (a submitted run takes
     * spark-submit's master). Eval (the {@code run} and {@code eval} commands) decodes 4 rows of the training data.
     */
    private static Path config(Path out, String trainOn, int worldSize, int gas, boolean localMaster) throws IOException {
        Files.createDirectories(out);
        return config(out.resolveSibling(out.getFileName() + ".yaml"), out.toString(), TINY_MODEL.toString(), data.toString(),
                trainOn, worldSize, gas, localMaster);
    }

    private static Path config(Path cfg, String out, String baseModel, String dataPath, String trainOn, int worldSize, int gas,
                               boolean localMaster) throws IOException {
        Files.writeString(cfg, String.join("\n",
                "base_model: " + baseModel,
                "data_path: " + dataPath,
                "hard_types: [bit_manipulation, cryptarithm_deduce]",
                "output_dir: " + out,
                "lora_rank: 4",
                "lora_alpha: 8",
                "max_length: 1024", // shorter drops most generated rows (no completion left): 25 + 22 rows train here
                "threads: 1",
                "world_size: " + worldSize,
                "train_on: " + trainOn,
                "collective_timeout_s: 30",
                "train_max_attempts: 2",
                "checkpoint_steps: 2",
                "package_zip: false",
                localMaster ? "spark_master: local[2]" : "",
                "phase1: {per_device_train_batch_size: 2, gradient_accumulation_steps: " + gas + ", learning_rate: 2.0e-3,"
                        + " logging_steps: 1, neftune_noise_alpha: 5.0}",
                "phase2: {per_device_train_batch_size: 2, gradient_accumulation_steps: " + gas + ", learning_rate: 1.0e-3,"
                        + " warmup_steps: 1, logging_steps: 1, max_grad_norm: 0.05}",
                "base_model_name_for_submission: tiny-qwen2",
                "chat_date: '2025-07-10'",
                "eval_path: " + dataPath,
                "eval_limit: 4",
                "eval_max_new_tokens: 4",
                "eval_batch_size: 2",
                ""));
        return cfg;
    }

    /** A fresh output dir holding a copy of the data stages' outputs (shards, manifests, their ledger entries). */
    private static Path copyOfBase(String name) throws IOException {
        Path out = tmp.resolve(name);
        try (Stream<Path> files = Files.walk(base)) {
            for (Path f : files.toList()) {
                Path rel = base.relativize(f);
                if (rel.toString().equals(io.tracedistill.run.OutputLayout.LOCK)) {
                    continue;
                }
                Path to = out.resolve(rel.toString());
                if (Files.isDirectory(f)) {
                    Files.createDirectories(to);
                } else {
                    Files.copy(f, to);
                }
            }
        }
        return out;
    }

    /** {@code s3a://<bucket>/<name>} holding a copy of the data stages' outputs (uploaded from {@link #base}). */
    private static String s3CopyOfBase(String name) throws IOException {
        String out = "s3a://" + BUCKET + "/" + name;
        try (Stream<Path> files = Files.walk(base)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                String rel = base.relativize(f).toString().replace('\\', '/');
                // Not the lock, nor the .crc files Hadoop's local file system wrote beside base's Spark shards (a run
                // writing to S3 makes none).
                if (!rel.equals(io.tracedistill.run.OutputLayout.LOCK) && !rel.endsWith(".crc")) {
                    s3Files.uploadFile(f, new RunPath(out).resolve(rel));
                }
            }
        }
        return out;
    }

    /** {@code folder} uploaded to {@code s3a://<bucket>/<name>}. */
    private static String upload(Path folder, String name) throws IOException {
        String to = "s3a://" + BUCKET + "/" + name;
        try (Stream<Path> files = Files.walk(folder)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                s3Files.uploadFile(f, new RunPath(to).resolve(folder.relativize(f).toString().replace('\\', '/')));
            }
        }
        return to;
    }

    /** The adapter, metrics and (when there) eval report of a run on S3, downloaded into a local folder. */
    private static Path download(String run) {
        Path local = tmp.resolve("downloaded-" + run.substring(run.lastIndexOf('/') + 1));
        OutputLayout remote = OutputLayout.of(run);
        OutputLayout mine = OutputLayout.ofLocal(local);
        s3Files.downloadDirectory(remote.adapter(), mine.adapter().toLocalPath());
        s3Files.downloadFile(remote.metrics(), mine.metrics().toLocalPath());
        if (s3Files.isFile(remote.evalReportJson())) {
            s3Files.downloadFile(remote.evalReportJson(), mine.evalReportJson().toLocalPath());
        }
        return local;
    }

    /**
     * Nothing half-written in the bucket under {@code run}: no temporary, staging, lock or checksum object, and every
     * checkpoint folder complete (its {@code state.json} there).
     */
    private static void assertNothingHalfWritten(String run) throws IOException {
        org.apache.hadoop.fs.FileSystem fs = s3Files.fs(new RunPath(run));
        String prefix = java.net.URI.create(run).getPath() + "/"; // s3a://bucket/name -> /name/
        List<String> keys = new java.util.ArrayList<>();
        var it = fs.listFiles(new org.apache.hadoop.fs.Path(run), true);
        while (it.hasNext()) {
            keys.add(it.next().getPath().toUri().getPath().substring(prefix.length()));
        }
        assertTrue(keys.contains("report.md") && keys.contains("adapter/adapter_model.safetensors"), "published: " + keys);
        List<String> stray = keys.stream().filter(k -> k.contains("_tmp") || k.contains(".tmp") || k.contains("_temporary")
                || k.contains("__magic") || k.contains(".pending") || k.endsWith(".crc")
                || k.equals(io.tracedistill.run.OutputLayout.LOCK)).toList();
        assertEquals(List.of(), stray, "no temporary, staging, lock or checksum object left in " + run);
        List<String> incomplete = keys.stream().filter(k -> k.matches("checkpoints/phase[12]-step\\d+/.*"))
                .map(k -> k.substring(0, k.indexOf('/', "checkpoints/".length()))).distinct()
                .filter(cp -> !keys.contains(cp + "/state.json")).toList();
        assertEquals(List.of(), incomplete, "every checkpoint on S3 is complete");
        System.out.printf(Locale.ROOT, "%s: %d objects, none temporary or partial%n", run, keys.size());
    }

    /**
     * {@code out}'s adapter and logged losses equal {@code expected}'s exactly (the same ranks, data and collective,
     * or a bit-exact resume); prints the differences with {@code what} happened.
     */
    private static void assertSameTraining(String what, Path expected, Path out) throws IOException {
        double dw = maxDiff(expected, out);
        double dl = maxLossDiff(expected, out);
        System.out.printf(Locale.ROOT, "%s: max |dW| %.2e, max |dloss| %.2e vs the uninterrupted client-mode run%n", what, dw, dl);
        assertEquals(0.0, dw, what + ": the adapter of the uninterrupted run, bit for bit");
        assertEquals(0.0, dl, what + ": the losses of the uninterrupted run");
    }

    /** The single-process run: world_size 1 and gradient_accumulation_steps W, trained on the driver (this JVM). */
    private static Path singleProcess(int w) throws Exception {
        Path out = copyOfBase("single-gas" + w);
        long t0 = System.nanoTime();
        Cli.main(new String[] {"train", "--cfg", config(out, "driver", 1, w, true).toString()});
        System.out.printf(Locale.ROOT, "single process, 1 rank x gas %d: %.1f s%n", w, seconds(t0));
        return out;
    }

    private static String finish(Process p, Path log) throws Exception {
        boolean ended = p.waitFor(RUN_TIMEOUT_S, TimeUnit.SECONDS);
        if (!ended) {
            p.destroyForcibly();
        }
        String text = Files.readString(log);
        assertTrue(ended, "the submitted run did not end in " + RUN_TIMEOUT_S + " s:\n" + text);
        assertEquals(0, p.exitValue(), "spark-submit failed:\n" + text + "\nexecutor logs:\n" + cluster.executorLogs());
        assertTrue(text.contains("[train] done"), text);
        return text;
    }

    private static Map<String, SafeTensors.HostTensor> adapter(Path out) throws IOException {
        return TensorFiles.read(out.resolve("adapter").resolve("adapter_model.safetensors"));
    }

    /** Largest |a - b| over every tensor; fails when the tensor names or shapes differ. */
    private static double maxDiff(Path a, Path b) throws IOException {
        Map<String, SafeTensors.HostTensor> x = adapter(a);
        Map<String, SafeTensors.HostTensor> y = adapter(b);
        assertEquals(x.keySet(), y.keySet());
        double max = 0;
        for (String k : x.keySet()) {
            float[] u = x.get(k).values();
            float[] v = y.get(k).values();
            assertEquals(u.length, v.length, k);
            for (int i = 0; i < u.length; i++) {
                max = Math.max(max, Math.abs(u[i] - v[i]));
            }
        }
        return max;
    }

    /** Largest |loss difference| over the logged steps; the steps, token counts and learning rates must be equal. */
    private static double maxLossDiff(Path a, Path b) throws IOException {
        List<MetricsLog.Entry> x = MetricsLog.read(a.resolve("metrics.jsonl"));
        List<MetricsLog.Entry> y = MetricsLog.read(b.resolve("metrics.jsonl"));
        assertEquals(x.size(), y.size(), "logged steps");
        double max = 0;
        for (int i = 0; i < x.size(); i++) {
            assertEquals(x.get(i).phase(), y.get(i).phase());
            assertEquals(x.get(i).step(), y.get(i).step());
            assertEquals(x.get(i).tokens(), y.get(i).tokens());
            assertEquals(x.get(i).lr(), y.get(i).lr(), 0);
            max = Math.max(max, Math.abs(x.get(i).loss() - y.get(i).loss()));
        }
        return max;
    }

    private static Path submitTrain(String name, int w, String... extraArgs) throws Exception {
        Path out = copyOfBase(name);
        Path cfg = config(out, "executors", w, 1, false);
        Path log = tmp.resolve(name + ".log");
        String[] args = Stream.concat(Stream.of("train", "--cfg", cfg.toString()), Stream.of(extraArgs)).toArray(String[]::new);
        long t0 = System.nanoTime();
        finish(cluster.submitClient(log, List.of(), args), log);
        System.out.printf(Locale.ROOT, "cluster, %d ranks: %.1f s%n", w, seconds(t0));
        return out;
    }

    /** Waits for {@code out/checkpoints/<prefix>*} (a mid-phase checkpoint) while {@code p} runs. */
    private static String awaitCheckpoint(Path out, String prefix, Process p, Path log) throws Exception {
        Path dir = out.resolve("checkpoints");
        return awaitCheckpoint(prefix, p, log, () -> {
            if (!Files.isDirectory(dir)) {
                return Optional.empty();
            }
            try (Stream<Path> s = Files.list(dir)) {
                return s.map(f -> f.getFileName().toString()).filter(n -> n.startsWith(prefix)).findFirst();
            }
        });
    }

    /** Waits for a complete {@code run/checkpoints/<prefix>*} on S3 (its state.json uploaded) while {@code p} runs. */
    private static String awaitS3Checkpoint(String run, String prefix, Process p, Path log) throws Exception {
        RunPath dir = OutputLayout.of(run).checkpoints();
        return awaitCheckpoint(prefix, p, log, () -> !s3Files.isDirectory(dir) ? Optional.empty()
                : s3Files.list(dir).stream().map(st -> st.getPath().getName())
                        .filter(n -> n.startsWith(prefix) && s3Files.isFile(dir.resolve(n).resolve("state.json"))).findFirst());
    }

    private interface CheckpointProbe {
        Optional<String> find() throws IOException;
    }

    private static String awaitCheckpoint(String prefix, Process p, Path log, CheckpointProbe probe) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(RUN_TIMEOUT_S);
        while (System.nanoTime() < deadline) {
            Optional<String> hit = probe.find();
            if (hit.isPresent()) {
                return hit.get();
            }
            assertTrue(p.isAlive(), "the run ended before checkpoint " + prefix + "*:\n" + Files.readString(log));
            Thread.sleep(100);
        }
        throw new AssertionError("no checkpoint " + prefix + "* within " + RUN_TIMEOUT_S + " s:\n" + Files.readString(log));
    }

    /**
     * The resumed run's "Resuming from" line for the checkpoints folder {@code checkpointsRegex}: it must name a
     * checkpoint inside a phase (not a phase's end), so the kill really interrupted a phase. Returns the line.
     */
    private static String assertResumedMidPhase(String logs, String checkpointsRegex) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("Resuming from " + checkpointsRegex
                + "/\\S+ \\(\\S+, step (\\d+)/(\\d+)(, phase complete)?\\)").matcher(logs);
        assertTrue(m.find(), "the resubmitted or retried run resumed from a checkpoint in " + checkpointsRegex);
        assertTrue(m.group(3) == null && Integer.parseInt(m.group(1)) < Integer.parseInt(m.group(2)),
                "resumed inside a phase: " + m.group());
        return m.group();
    }

    /** A token shard folder's rows in stored order (position, type, ids, labels), read through Hadoop FS. */
    private static List<String> tokenRows(String dir) {
        List<String> rows = new java.util.ArrayList<>();
        new ShardFileTokenReader(dir, ShardFormat.PARQUET, ShardFileTokenReader.settingsOf(s3Files.conf())).open()
                .forEachRemaining(e -> rows.add(e.position() + " " + e.type() + " " + java.util.Arrays.toString(e.inputIds())
                        + " " + java.util.Arrays.toString(e.labels())));
        return rows;
    }

    /** {@code eval/eval_report.json} without what names the run's folders: the rows by type, each arm's counts, accuracy. */
    private static JsonNode evalResults(Path run) throws IOException {
        ObjectNode report = (ObjectNode) new ObjectMapper().readTree(OutputLayout.ofLocal(run).evalReportJson().toLocalPath().toFile());
        report.remove("meta");
        report.withArray("arms").forEach(a -> ((ObjectNode) a).remove("adapter"));
        return report;
    }

    private static double seconds(long t0) {
        return (System.nanoTime() - t0) / 1e9;
    }

    @Test
    @Order(1)
    void twoAndThreeRanksOnTheClusterEqualTheSingleProcessRunWithTheSameEffectiveBatch() throws Exception {
        for (int w : new int[] {2, 3}) {
            Path single = singleProcess(w);
            Path ranks = submitTrain("cluster-w" + w, w);
            String executors = cluster.executorLogs();
            for (int r = 0; r < w; r++) {
                assertTrue(executors.contains("rank " + r + " of " + w + " (attempt 1) on executor"), "rank " + r + " of " + w + " ran");
            }
            List<MetricsLog.Entry> steps = MetricsLog.read(single.resolve("metrics.jsonl"));
            for (String phase : List.of("phase1", "phase2")) {
                assertTrue(steps.stream().filter(e -> e.phase().toString().equals(phase)).count() >= 4,
                        "at least 4 logged steps in " + phase + " (W=" + w + "): " + steps);
            }
            double dw = maxDiff(single, ranks);
            double dl = maxLossDiff(single, ranks);
            System.out.printf(Locale.ROOT, "standalone cluster, %d ranks (spark-submit client mode) vs single process (1 rank x gas %d):"
                    + " max |dW| %.2e, max |dloss| %.2e (tolerance %.0e)%n", w, w, dw, dl, TOLERANCE);
            assertTrue(dw <= TOLERANCE && dl <= TOLERANCE, "W=" + w + ": max |dW| " + dw + ", max |dloss| " + dl);
        }
    }

    @Test
    @Order(2)
    void aKilledDriverResubmittedWithResumeEndsWithTheUninterruptedAdapterOnS3() throws Exception {
        Path uninterrupted = tmp.resolve("cluster-w2");
        assumeTrue(Files.isDirectory(uninterrupted.resolve("adapter")), "needs the uninterrupted 2-rank run of test 1");
        String out = s3CopyOfBase("driver-killed");
        Path cfg = config(tmp.resolve("driver-killed.yaml"), out, TINY_MODEL.toString(), data.toString(), "executors", 2, 1, false);
        Path log1 = tmp.resolve("driver-killed-1.log");
        Process driver = cluster.submitClient(log1, s3Conf, "train", "--cfg", cfg.toString());
        String at = awaitS3Checkpoint(out, "phase2-step", driver, log1);
        driver.destroyForcibly(); // SIGKILL: no shutdown hook runs, the lock and the partial outputs stay
        driver.waitFor(30, TimeUnit.SECONDS);
        assertTrue(!s3Files.exists(OutputLayout.of(out).adapter()), "killed before the final adapter");
        // The master removes the application and its executors (their ranks die with them) before anything resumes.
        cluster.awaitNoExecutors();
        // A killed run leaves its lock; the refusal message tells the user to delete it (OutputDirGuard).
        s3Files.delete(OutputLayout.of(out).root().resolve(OutputLayout.LOCK));
        Path log2 = tmp.resolve("driver-killed-2.log");
        finish(cluster.submitClient(log2, s3Conf, "train", "--cfg", cfg.toString(), "--resume"), log2);
        // Rank 0 resumes in its node-local mirror of output_dir (LocalRunMirror: <cache>/runs/<sha256>-rank0).
        String resumed = assertResumedMidPhase(cluster.executorLogs(), "\\S+/runs/[0-9a-f]{64}-rank0/checkpoints");
        assertSameTraining("output_dir on s3a://, driver killed at checkpoint " + at + ", resubmitted with --resume ("
                + resumed + ")", uninterrupted, download(out));
        assertNothingHalfWritten(out);
    }

    @Test
    @Order(3)
    void theWholeRunInClusterDeployModeOnS3EqualsTheLocalRuns() throws Exception {
        // The local reference: the same config (2 ranks x micro-batch 2, so the same effective batch of 4, which the
        // type-stratified order is built for) run whole in this JVM on local[2], training on the driver with 2
        // in-process replicas (equal to 2 executor ranks: test 1). The train-only runs above share `base`, whose order
        // was built for an effective batch of 2, so they are no reference for a run that prepares its own data.
        Path local = tmp.resolve("local-whole-run");
        long t0 = System.nanoTime();
        Cli.main(new String[] {"run", "--cfg", config(local, "driver", 2, 1, true).toString()});
        System.out.printf(Locale.ROOT, "the whole run, 2 in-process replicas (local[2], this JVM): %.1f s%n", seconds(t0));
        String model = upload(TINY_MODEL, "models/tiny-qwen2");
        String dataOnS3 = "s3a://" + BUCKET + "/data/" + data.getFileName();
        s3Files.uploadFile(data, new RunPath(dataOnS3));
        String out = "s3a://" + BUCKET + "/cluster-mode";
        Path cfg = config(tmp.resolve("cluster-mode.yaml"), out, model, dataOnS3, "executors", 2, 1, false);
        Path log = tmp.resolve("cluster-mode.log");
        t0 = System.nanoTime();
        Process submit = cluster.submitCluster(log, s3Conf, "run", "--cfg", cfg.toString());
        boolean ended = submit.waitFor(RUN_TIMEOUT_S, TimeUnit.SECONDS);
        if (!ended) {
            submit.destroyForcibly();
        }
        String drivers = cluster.driverLogs();
        assertTrue(ended && submit.exitValue() == 0, "spark-submit --deploy-mode cluster failed:\n" + Files.readString(log)
                + "\ndriver logs:\n" + drivers);
        for (String step : List.of("[prepare] done", "[tokenize] done", "[train] done", "[eval] done")) {
            assertTrue(drivers.contains(step), "missing '" + step + "' in the driver's log:\n" + drivers);
        }
        System.out.printf(Locale.ROOT, "the whole run in cluster deploy mode on s3a://, 2 ranks: %.1f s%n", seconds(t0));
        for (Phase phase : List.of(Phase.PHASE1, Phase.PHASE2)) {
            List<String> localRows = tokenRows(OutputLayout.ofLocal(local).tokens(phase).uri());
            List<String> remoteRows = tokenRows(OutputLayout.of(out).tokens(phase).uri());
            assertTrue(!localRows.isEmpty(), phase + " has token rows");
            assertEquals(localRows, remoteRows, phase + ": the cluster's token shards hold the local run's rows in the same order");
        }
        Path downloaded = download(out);
        assertSameTraining("the whole run in cluster deploy mode on s3a://", local, downloaded);
        assertEquals(evalResults(local), evalResults(downloaded), "the eval report of the local run");
        assertNothingHalfWritten(out);
    }

    @Test
    @Order(4)
    void aKilledWorkerFailsTheStageAndTheRetryResumesToTheUninterruptedAdapter() throws Exception {
        Path uninterrupted = tmp.resolve("cluster-w2");
        assumeTrue(Files.isDirectory(uninterrupted.resolve("adapter")), "needs the uninterrupted 2-rank run of test 1");
        Path out = copyOfBase("worker-killed");
        Path cfg = config(out, "executors", 2, 1, false);
        Path log = tmp.resolve("worker-killed.log");
        Process driver = cluster.submitClient(log, List.of(), "train", "--cfg", cfg.toString());
        String at = awaitCheckpoint(out, "phase1-step", driver, log);
        int victim = cluster.workerWhoseExecutorLogged("rank 1 of 2 (attempt 1) on executor")
                .orElseThrow(() -> new AssertionError("no executor logged rank 1"));
        long t0 = System.nanoTime();
        cluster.killWorker(victim);
        double failedAfter = Double.NaN;
        while (driver.isAlive() && seconds(t0) < RUN_TIMEOUT_S) {
            if (Double.isNaN(failedAfter) && Files.readString(log).contains("attempt 1 of 2 failed")) {
                failedAfter = seconds(t0);
            }
            Thread.sleep(100);
        }
        String text = finish(driver, log);
        assertTrue(text.contains("attempt 1 of 2 failed"), text);
        String executors = cluster.executorLogs();
        assertTrue(executors.contains("rank 1 of 2 (attempt 2) on executor"), "the second attempt ran");
        String resumed = assertResumedMidPhase(executors, java.util.regex.Pattern.quote(out.resolve("checkpoints").toString()));
        assertSameTraining(String.format(Locale.ROOT, "worker %d (rank 1) killed after checkpoint %s: attempt 1 failed %.1f s"
                + " later, attempt 2: %s", victim, at, failedAfter, resumed), uninterrupted, out);
    }
}
