package io.tracedistill.tools;

import ai.djl.pytorch.jni.JniUtils;
import io.tracedistill.config.ConfigLoader;
import io.tracedistill.config.RunConfig;
import io.tracedistill.eval.EvalExample;
import io.tracedistill.eval.EvalSettings;
import io.tracedistill.eval.LocalEval;
import io.tracedistill.eval.Prediction;
import io.tracedistill.spark.SparkSessions;
import io.tracedistill.spark.eval.EvalResult;
import io.tracedistill.spark.eval.EvalStage;
import io.tracedistill.spark.eval.PredictionColumns;
import org.apache.spark.sql.SparkSession;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * {@code scripts/bench-eval}: generated tokens per second of the eval decode, one process ({@link LocalEval}) vs a
 * Spark {@code local[N]} run of {@link EvalStage} (end to end: staging, planning, decoding, writing the table and
 * report), on a model directory and one adapter. Both paths are warmed up first with the same rows (models loaded,
 * JIT, the native kernels of every tensor shape), so the figures compare steady-state decoding. Prompts are synthetic,
 * of varied lengths; the predictions of both paths are checked to be identical.
 *
 * <p>Usage: {@code EvalBench <model_dir> <adapter_dir> <work_dir> [rows=48] [max_new_tokens=64] [batch_size=8]
 * [masters=local[1],local[2]]}
 */
public final class EvalBench {
    private EvalBench() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length < 3) {
            System.err.println("usage: EvalBench <model_dir> <adapter_dir> <work_dir> [rows=48] [max_new_tokens=64] "
                    + "[batch_size=8] [masters=local[1],local[2]]");
            System.exit(2);
        }
        Path model = Path.of(args[0]).toAbsolutePath();
        Path adapter = Path.of(args[1]).toAbsolutePath();
        Path work = Path.of(args[2]).toAbsolutePath();
        int rows = args.length > 3 ? Integer.parseInt(args[3]) : 48;
        int maxNew = args.length > 4 ? Integer.parseInt(args[4]) : 64;
        int batch = args.length > 5 ? Integer.parseInt(args[5]) : 8;
        String[] masters = (args.length > 6 ? args[6] : "local[1],local[2]").split(",(?=local)");
        Files.createDirectories(work);

        List<EvalExample> examples = new ArrayList<>();
        StringBuilder csv = new StringBuilder("id,prompt,answer,type\n");
        for (int i = 0; i < rows; i++) {
            String prompt = "Q" + i + ": what is " + i + " plus " + (i % 7) + "?" + " think".repeat(i % 3);
            String type = "t" + (i % 3);
            examples.add(new EvalExample(i, type, String.valueOf(i + i % 7), prompt));
            csv.append("q").append(i).append(",\"").append(prompt).append("\",").append(i + i % 7).append(',')
                    .append(type).append('\n');
        }
        Path evalFile = work.resolve("bench_eval.csv");
        Files.writeString(evalFile, csv.toString(), StandardCharsets.UTF_8);

        RunConfig cfg = ConfigLoader.parse("base_model: " + model + "\ndata_path: unused.csv\nhard_types: [t0]\n"
                + "output_dir: " + work.resolve("out") + "\nprompt_suffix: ''\nmax_length: 4096\n"
                + "eval_path: " + evalFile + "\neval_adapters: [" + adapter + "]\n"
                + "eval_max_new_tokens: " + maxNew + "\neval_batch_size: " + batch + "\n", "bench.yaml");
        EvalSettings settings = EvalSettings.of(cfg, cfg.output().outputDir());

        System.out.printf(Locale.ROOT, "eval bench: %d rows x %d arms, max_new_tokens %d, batch %d, cores %d%n",
                rows, settings.arms().size(), maxNew, batch, Runtime.getRuntime().availableProcessors());
        // PyTorch intra-op threads (a global setting): the default is one per core; 1 is also measured because on
        // a busy machine OpenMP's spinning worker threads make tiny per-token ops far slower on the calling thread.
        ai.djl.engine.Engine.getEngine("PyTorch"); // loads the native library JniUtils calls into
        int defaultThreads = JniUtils.getNumThreads();
        JniUtils.setNumThreads(1);
        long w0 = System.nanoTime();
        LocalEval.run(examples, settings); // warm-up: load models, JIT, first use of every tensor shape
        System.out.printf(Locale.ROOT, "warm-up (one process, cold JVM): %.2f s%n", (System.nanoTime() - w0) / 1e9);
        List<Prediction> local = null;
        for (int threads : new int[] {1, defaultThreads}) {
            JniUtils.setNumThreads(threads);
            long t0 = System.nanoTime();
            List<Prediction> run = LocalEval.run(examples, settings);
            double sec = (System.nanoTime() - t0) / 1e9;
            long tokens = run.stream().mapToLong(Prediction::newTokens).sum();
            System.out.printf(Locale.ROOT, "one process, %d intra-op thread(s): %6d tokens in %7.2f s = %8.1f tokens/s"
                    + "%s%n", threads, tokens, sec, tokens / sec,
                    local == null ? "" : " (predictions identical: " + run.equals(local) + ")");
            local = local == null ? run : local;
        }
        JniUtils.setNumThreads(defaultThreads);

        for (String master : masters) {
            SparkSession spark = SparkSessions.builder(master, "eval-bench").config("spark.ui.enabled", "false")
                    .getOrCreate();
            try {
                EvalStage.run(spark, cfg, work.resolve("warm-" + master.replaceAll("\\W", "")).toString());
                long t1 = System.nanoTime();
                EvalResult r = EvalStage.run(spark, cfg, cfg.output().outputDir());
                double sec = (System.nanoTime() - t1) / 1e9;
                List<Prediction> spk = EvalStage.readPredictions(spark, r.predictionsDir(),
                        io.tracedistill.config.ShardFormat.PARQUET, PredictionColumns.schema(
                                new org.apache.spark.sql.types.StructType().add("id",
                                        org.apache.spark.sql.types.DataTypes.StringType)));
                spk.sort(LocalEval.order(settings.arms()));
                long t = spk.stream().mapToLong(Prediction::newTokens).sum();
                System.out.printf(Locale.ROOT, "spark %-21s : %6d tokens in %7.2f s = %8.1f tokens/s "
                        + "(end to end; predictions identical to one process: %s)%n", master, t, sec, t / sec,
                        spk.equals(local));
            } finally {
                spark.stop();
            }
        }
    }
}
