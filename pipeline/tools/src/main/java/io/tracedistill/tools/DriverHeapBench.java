package io.tracedistill.tools;

import io.tracedistill.config.RunConfig;
import io.tracedistill.spark.JobCounter;
import io.tracedistill.spark.SparkSessions;
import io.tracedistill.spark.eval.EvalStage;
import io.tracedistill.spark.tokenize.ChatTemplateTurnRenderer;
import io.tracedistill.spark.tokenize.TokenizeSettings;
import io.tracedistill.spark.tokenize.TokenizeStage;
import io.tracedistill.testdata.StandaloneCluster;
import org.apache.spark.sql.SparkSession;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.IntFunction;

/**
 * {@code scripts/bench-driver-heap}: the driver's own heap for the tokenize or the eval stage, with the executors in
 * JVMs of their own. In {@code local} mode the executors run inside the driver's JVM, so a heap figure there also
 * holds the rows the executors persist or decode; here this JVM is only the client-mode driver of a standalone
 * cluster on 127.0.0.1 ({@link StandaloneCluster}: a Master and {@value #WORKERS} Workers of one core, each its own
 * JVM, executors of 768 MB).
 *
 * <p>The stage first runs once, unmeasured, on the first size (executors started, classes loaded, JIT, Spark's and
 * the stage's first-use allocations). Then, per size, one run under {@link DriverHeap} (live heap right after a forced
 * GC, sampled every 100 ms: before, peak, and after the run), with the bytes the tasks returned to the driver
 * ({@link JobCounter#resultBytes}); then the growth per million input rows between the first and the last size. The
 * forced GCs slow the driver down, so these runs are not timed.
 *
 * <p>Usage: {@code DriverHeapBench tokenize MODEL_DIR CSV WORK_DIR COPIES} (COPIES e.g. {@code 1,10}: the CSV's
 * records that many times over, prepared on the cluster before each measured run) or
 * {@code DriverHeapBench eval MODEL_DIR ADAPTER_DIR WORK_DIR ROWS [MAX_NEW_TOKENS=64] [BATCH=8]} (ROWS e.g.
 * {@code 48,480,1920}: {@link EvalBench}'s synthetic prompts, two arms). Lines starting with {@code driver heap} are
 * the figures.
 */
public final class DriverHeapBench {
    /** One-core Workers: two executors, so the stage's tasks run outside the driver on two cores. */
    static final int WORKERS = 2;

    private DriverHeapBench() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 5 || !List.of("tokenize", "eval").contains(args[0])) {
            System.err.println("usage: DriverHeapBench tokenize MODEL_DIR CSV WORK_DIR COPIES (e.g. 1,10)\n"
                    + "       DriverHeapBench eval MODEL_DIR ADAPTER_DIR WORK_DIR ROWS (e.g. 48,480) [MAX_NEW_TOKENS=64] [BATCH=8]");
            System.exit(2);
        }
        String stage = args[0];
        Path model = Path.of(args[1]).toAbsolutePath();
        Path work = Files.createDirectories(Path.of(args[3]).toAbsolutePath());
        int[] sizes = Arrays.stream(args[4].split(",")).mapToInt(v -> Integer.parseInt(v.trim())).toArray();
        if (sizes.length < 2) {
            throw new IllegalArgumentException("give at least two sizes (e.g. 1,10 or 48,480), got '" + args[4] + "'");
        }
        long t0 = System.nanoTime();
        try (StandaloneCluster cluster = StandaloneCluster.start(work.resolve("cluster"), WORKERS, 1)) {
            // A benchmark stopped early (Ctrl-C, SIGTERM) does not leave the Master, Workers and executors running.
            Runtime.getRuntime().addShutdownHook(new Thread(cluster::close, "stop-standalone-cluster"));
            System.out.printf(Locale.ROOT, "standalone cluster %s: master + %d one-core workers up in %.1f s; this JVM is "
                    + "the client-mode driver, max heap %.0f MB%n", cluster.masterUrl(), WORKERS, (System.nanoTime() - t0) / 1e9,
                    Runtime.getRuntime().maxMemory() / 1e6);
            SparkSession.Builder b = SparkSessions.builder(cluster.masterUrl(), "driver-heap-" + stage)
                    .config("spark.sql.shuffle.partitions", "4");
            for (var e : cluster.clientDriverConf().entrySet()) {
                b = b.config(e.getKey(), e.getValue());
            }
            SparkSession spark = b.getOrCreate();
            try {
                IntFunction<RunOnce> run = stage.equals("tokenize")
                        ? tokenize(spark, model, args[2], work)
                        : eval(model, Path.of(args[2]).toAbsolutePath(), work,
                                args.length > 5 ? Integer.parseInt(args[5]) : 64, args.length > 6 ? Integer.parseInt(args[6]) : 8, spark);
                measure(spark, stage, sizes, run);
            } finally {
                spark.stop();
            }
        }
    }

    /** One run of the stage on one prepared input, returning the input rows it ran on. */
    interface RunOnce {
        long run();
    }

    /** Warm-up on the first size, then one measured run per size; prints each and the growth first → last. */
    static void measure(SparkSession spark, String stage, int[] sizes, IntFunction<RunOnce> inputOf) {
        long w0 = System.nanoTime();
        long warmRows = inputOf.apply(sizes[0]).run();
        System.out.printf(Locale.ROOT, "warm-up (unmeasured): %s stage on %,d rows, %.1f s%n", stage, warmRows,
                (System.nanoTime() - w0) / 1e9);
        List<DriverHeap.Peak> peaks = new ArrayList<>();
        List<Long> resultBytes = new ArrayList<>();
        for (int size : sizes) {
            RunOnce once = inputOf.apply(size); // input made (prepared) before the measurement starts
            DriverHeap.Peak p;
            try (JobCounter jobs = JobCounter.attach(spark.sparkContext())) {
                p = DriverHeap.measure(once::run);
                resultBytes.add(jobs.resultBytes());
                System.out.printf(Locale.ROOT, "driver heap, %s stage on the cluster: %s; tasks returned %,d bytes to the "
                        + "driver (%s)%n", stage, p, jobs.resultBytes(), jobs);
            }
            peaks.add(p);
        }
        DriverHeap.Peak first = peaks.get(0);
        DriverHeap.Peak last = peaks.get(peaks.size() - 1);
        // bytes per row = MB per million rows
        double resultPerRow = (resultBytes.get(resultBytes.size() - 1) - resultBytes.get(0)) / (double) (last.rows() - first.rows());
        System.out.printf(Locale.ROOT, "driver heap, %s stage on the cluster, %,d -> %,d rows: held heap grows %.1f MB per "
                + "million rows, task results %.1f MB per million rows%n", stage, first.rows(), last.rows(),
                DriverHeap.heldMbPerMillionRows(first, last), resultPerRow);
    }

    /** Tokenize inputs: the CSV's records {@code copies} times over, prepared on the cluster into a run folder each. */
    private static IntFunction<RunOnce> tokenize(SparkSession spark, Path modelDir, String csv, Path work) {
        TokenizeSettings settings = TokenizeBench.stageSettings(modelDir, 8192);
        return copies -> {
            Path out = work.resolve("tokenize-x" + copies);
            try {
                if (!Files.exists(out.resolve("prepared"))) {
                    Path input = TokenizeBench.repeatRecords(spark, csv, copies, work.resolve("x" + copies + ".csv"));
                    TokenizeBench.prepare(spark, input.toString(), out);
                }
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            return () -> TokenizeBench.inputRows(TokenizeStage.run(spark, settings, out.toString(),
                    ChatTemplateTurnRenderer.FACTORY));
        };
    }

    /** Eval inputs: {@link EvalBench}'s synthetic prompts, {@code rows} of them, the model and one adapter (two arms). */
    private static IntFunction<RunOnce> eval(Path model, Path adapter, Path work, int maxNew, int batch, SparkSession spark) {
        return rows -> {
            RunConfig cfg;
            try {
                cfg = EvalBench.config(model, adapter, work, "rows" + rows, rows, maxNew, batch);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            return () -> EvalStage.run(spark, cfg, cfg.output().outputDir()).inputRows();
        };
    }
}
