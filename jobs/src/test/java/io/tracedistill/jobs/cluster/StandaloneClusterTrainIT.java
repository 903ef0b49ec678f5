package io.tracedistill.jobs.cluster;

import io.tracedistill.jobs.Cli;
import io.tracedistill.model.SafeTensors;
import io.tracedistill.testdata.LoopbackNamespace;
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
 * {@code train_on: executors} on a real Spark standalone cluster (issue 15; issue 13's cluster test for the train
 * step): a Master and three 1-core Workers in their own JVMs on 127.0.0.1 ({@link StandaloneCluster}), the train
 * step launched through {@code spark-submit --deploy-mode client}, every rank in its own executor JVM, the
 * gradients summed by the xgboost collective over loopback.
 * <ul>
 *   <li>W = 2 and W = 3 ranks end with the adapter of the single-process run with the same effective batch
 *       ({@code world_size 1}, {@code gradient_accumulation_steps W}, on the driver);</li>
 *   <li>the driver killed (SIGKILL) mid-phase, then the job resubmitted with {@code --resume}: same adapter as the
 *       uninterrupted cluster run;</li>
 *   <li>the same job in cluster deploy mode (the driver on a Worker): the same adapter;</li>
 *   <li>the worker JVM that hosts rank 1 killed (SIGKILL, with its executor) mid-phase: the barrier stage fails, the
 *       second attempt resumes from the last checkpoint on the remaining executors: same adapter again.</li>
 * </ul>
 * The data stages (prepare, tokenize) run once, in this JVM on {@code local[2]}, and every run trains a copy of
 * their output: they are not what this tests, and a cluster round of them costs minutes here.
 * Runs in the loopback-only network namespace (jobs/pom.xml).
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

    @BeforeAll
    static void start() throws Exception {
        assumeTrue(LoopbackNamespace.inside(), LoopbackNamespace.whyNotInside());
        long t0 = System.nanoTime();
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
    }

    /**
     * The run config: micro-batches of 2 rows, {@code gas} of them per rank per step, {@code worldSize} ranks,
     * a checkpoint every 2 steps; {@code localMaster} only for the runs in this JVM (a submitted run takes
     * spark-submit's master).
     */
    private static Path config(Path out, String trainOn, int worldSize, int gas, boolean localMaster) throws IOException {
        Files.createDirectories(out);
        Path cfg = out.resolveSibling(out.getFileName() + ".yaml");
        Files.writeString(cfg, String.join("\n",
                "base_model: " + TINY_MODEL,
                "data_path: " + data,
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
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(RUN_TIMEOUT_S);
        Path dir = out.resolve("checkpoints");
        while (System.nanoTime() < deadline) {
            if (Files.isDirectory(dir)) {
                try (Stream<Path> s = Files.list(dir)) {
                    Optional<String> hit = s.map(f -> f.getFileName().toString()).filter(n -> n.startsWith(prefix)).findFirst();
                    if (hit.isPresent()) {
                        return hit.get();
                    }
                }
            }
            assertTrue(p.isAlive(), "the run ended before checkpoint " + prefix + "*:\n" + Files.readString(log));
            Thread.sleep(100);
        }
        throw new AssertionError("no checkpoint " + prefix + "* within " + RUN_TIMEOUT_S + " s:\n" + Files.readString(log));
    }

    /**
     * The resumed run's "Resuming from" line for {@code out}: it must name a checkpoint inside a phase (not a phase's
     * end), so the kill really interrupted a phase. Returns the line.
     */
    private static String assertResumedMidPhase(String logs, Path out) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("Resuming from " + java.util.regex.Pattern.quote(
                out.resolve("checkpoints").toString()) + "/\\S+ \\(\\S+, step (\\d+)/(\\d+)(, phase complete)?\\)").matcher(logs);
        assertTrue(m.find(), "the resubmitted or retried run resumed from a checkpoint of " + out);
        assertTrue(m.group(3) == null && Integer.parseInt(m.group(1)) < Integer.parseInt(m.group(2)),
                "resumed inside a phase: " + m.group());
        return m.group();
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
    void aKilledDriverResubmittedWithResumeEndsWithTheUninterruptedAdapter() throws Exception {
        Path uninterrupted = tmp.resolve("cluster-w2");
        assumeTrue(Files.isDirectory(uninterrupted.resolve("adapter")), "needs the uninterrupted 2-rank run of test 1");
        Path out = copyOfBase("driver-killed");
        Path cfg = config(out, "executors", 2, 1, false);
        Path log1 = tmp.resolve("driver-killed-1.log");
        Process driver = cluster.submitClient(log1, List.of(), "train", "--cfg", cfg.toString());
        String at = awaitCheckpoint(out, "phase2-step", driver, log1);
        driver.destroyForcibly(); // SIGKILL: no shutdown hook runs, the lock and the partial outputs stay
        driver.waitFor(30, TimeUnit.SECONDS);
        assertTrue(!Files.isDirectory(out.resolve("adapter")), "killed before the final adapter");
        // The master removes the application and its executors (their ranks die with them) before anything resumes.
        cluster.awaitNoExecutors();
        // A killed run leaves its lock; the refusal message tells the user to delete it (OutputDirGuard).
        Files.deleteIfExists(out.resolve(io.tracedistill.run.OutputLayout.LOCK));
        Path log2 = tmp.resolve("driver-killed-2.log");
        finish(cluster.submitClient(log2, List.of(), "train", "--cfg", cfg.toString(), "--resume"), log2);
        String resumed = assertResumedMidPhase(cluster.executorLogs(), out);
        double dw = maxDiff(uninterrupted, out);
        double dl = maxLossDiff(uninterrupted, out);
        System.out.printf(Locale.ROOT, "driver killed at checkpoint %s, resubmitted with --resume (%s): max |dW| %.2e, max |dloss| %.2e"
                + " vs the uninterrupted run%n", at, resumed, dw, dl);
        assertEquals(0.0, dw, "a resumed run is bit-identical to an uninterrupted one");
        assertEquals(0.0, dl);
    }

    @Test
    @Order(3)
    void clusterDeployModeRunsTheDriverOnAWorkerAndEndsWithTheSameAdapter() throws Exception {
        Path uninterrupted = tmp.resolve("cluster-w2");
        assumeTrue(Files.isDirectory(uninterrupted.resolve("adapter")), "needs the uninterrupted 2-rank run of test 1");
        Path out = copyOfBase("cluster-mode");
        Path cfg = config(out, "executors", 2, 1, false);
        Path log = tmp.resolve("cluster-mode.log");
        long t0 = System.nanoTime();
        Process submit = cluster.submitCluster(log, "train", "--cfg", cfg.toString());
        boolean ended = submit.waitFor(RUN_TIMEOUT_S, TimeUnit.SECONDS);
        if (!ended) {
            submit.destroyForcibly();
        }
        String drivers = cluster.driverLogs();
        assertTrue(ended && submit.exitValue() == 0, "spark-submit --deploy-mode cluster failed:\n" + Files.readString(log)
                + "\ndriver logs:\n" + drivers);
        assertTrue(drivers.contains("[train] done"), drivers);
        double dw = maxDiff(uninterrupted, out);
        double dl = maxLossDiff(uninterrupted, out);
        System.out.printf(Locale.ROOT, "cluster deploy mode, 2 ranks: %.1f s; max |dW| %.2e, max |dloss| %.2e vs the client-mode run%n",
                seconds(t0), dw, dl);
        assertEquals(0.0, dw, "the same ranks, data and collective as the client-mode run");
        assertEquals(0.0, dl);
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
        String resumed = assertResumedMidPhase(executors, out);
        double dw = maxDiff(uninterrupted, out);
        double dl = maxLossDiff(uninterrupted, out);
        System.out.printf(Locale.ROOT, "worker %d (rank 1) killed after checkpoint %s: attempt 1 failed %.1f s later, attempt 2: %s;"
                + " max |dW| %.2e, max |dloss| %.2e vs the uninterrupted run%n", victim, at, failedAfter, resumed, dw, dl);
        assertEquals(0.0, dw, "a resumed run is bit-identical to an uninterrupted one");
        assertEquals(0.0, dl);
    }
}
