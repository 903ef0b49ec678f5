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
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tracedistill.eval.ArmSpec;
import io.tracedistill.eval.BatchPlan;
import io.tracedistill.eval.EvalBatch;
import io.tracedistill.model.GenerationConfig;
import java.util.LinkedHashMap;
import java.util.Map;
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
 * report), on a model directory and one adapter. Both paths are warmed up first (models loaded, JIT, native kernels)
 * on the first {@value #WARMUP_ROWS} rows, so the figures compare steady-state decoding. Prompts are synthetic, of
 * varied lengths; the predictions of both paths are checked to be identical. The stage's driver heap is measured by
 * {@link DriverHeapBench}, with the executors in JVMs of their own ({@code local} masters run them in the driver's).
 *
 * <p>With {@code plan_out}, the decode plan (every batch's token ids in decode order, max_new_tokens, eos and pad ids,
 * and this process's output text per arm and row) is written there as JSON for {@code scripts/bench/generate_reference.py},
 * which decodes the same batches with transformers' {@code generate}. Lines starting with {@code result} are the
 * figures {@code scripts/bench-eval} tabulates.
 *
 * <p>Usage: {@code EvalBench <model_dir> <adapter_dir> <work_dir> [rows=480] [max_new_tokens=64] [batch_size=8]
 * [masters=local[1],local[2]] [plan_out]}
 */
public final class EvalBench {
    /** Rows of the untimed warm-up passes (one process and each Spark master). */
    static final int WARMUP_ROWS = 48;

    private EvalBench() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length < 3) {
            System.err.println("usage: EvalBench <model_dir> <adapter_dir> <work_dir> [rows=480] [max_new_tokens=64] "
                    + "[batch_size=8] [masters=local[1],local[2]] [plan_out]");
            System.exit(2);
        }
        Path model = Path.of(args[0]).toAbsolutePath();
        Path adapter = Path.of(args[1]).toAbsolutePath();
        Path work = Path.of(args[2]).toAbsolutePath();
        int rows = args.length > 3 ? Integer.parseInt(args[3]) : 480;
        int maxNew = args.length > 4 ? Integer.parseInt(args[4]) : 64;
        int batch = args.length > 5 ? Integer.parseInt(args[5]) : 8;
        String mastersArg = args.length > 6 ? args[6] : "local[1],local[2]";
        String[] masters = mastersArg.isBlank() ? new String[0] : mastersArg.split(",(?=local)");
        Path planOut = args.length > 7 ? Path.of(args[7]) : null;
        Files.createDirectories(work);

        RunConfig cfg = config(model, adapter, work, "bench", rows, maxNew, batch);
        RunConfig warmCfg = config(model, adapter, work, "warm", Math.min(rows, WARMUP_ROWS), maxNew, batch);
        EvalSettings settings = EvalSettings.of(cfg, cfg.output().outputDir());
        List<EvalExample> examples = examples(rows);

        System.out.printf(Locale.ROOT, "eval bench: %d rows x %d arms, max_new_tokens %d, batch %d, cores %d%n",
                rows, settings.arms().size(), maxNew, batch, Runtime.getRuntime().availableProcessors());
        // PyTorch intra-op threads (a global setting): the default is one per core; 1 is also measured because on
        // a busy machine OpenMP's spinning worker threads make tiny per-token ops far slower on the calling thread.
        ai.djl.engine.Engine.getEngine("PyTorch"); // loads the native library JniUtils calls into
        int defaultThreads = JniUtils.getNumThreads();
        JniUtils.setNumThreads(1);
        long w0 = System.nanoTime();
        LocalEval.run(examples(Math.min(rows, WARMUP_ROWS)), EvalSettings.of(warmCfg, warmCfg.output().outputDir()));
        System.out.printf(Locale.ROOT, "warm-up (one process, cold JVM, %d rows): %.2f s%n", Math.min(rows, WARMUP_ROWS),
                (System.nanoTime() - w0) / 1e9);
        List<Prediction> local = null;
        for (int threads : defaultThreads == 1 ? new int[] {1} : new int[] {1, defaultThreads}) {
            JniUtils.setNumThreads(threads);
            long t0 = System.nanoTime();
            List<Prediction> run = LocalEval.run(examples, settings);
            double sec = (System.nanoTime() - t0) / 1e9;
            long tokens = run.stream().mapToLong(Prediction::newTokens).sum();
            System.out.printf(Locale.ROOT, "result one-process threads=%d tokens=%d seconds=%.3f tokens_per_s=%.1f%s%n",
                    threads, tokens, sec, tokens / sec,
                    local == null ? "" : " identical_to_1_thread=" + run.equals(local));
            local = local == null ? run : local;
        }
        JniUtils.setNumThreads(defaultThreads);
        if (planOut != null) {
            writePlan(planOut, model, adapter, examples, settings, local);
        }

        for (String master : masters) {
            SparkSession spark = SparkSessions.builder(master, "eval-bench").config("spark.ui.enabled", "false")
                    .getOrCreate();
            try {
                EvalStage.run(spark, warmCfg, warmCfg.output().outputDir());
                long t1 = System.nanoTime();
                EvalResult r = EvalStage.run(spark, cfg, cfg.output().outputDir());
                double sec = (System.nanoTime() - t1) / 1e9;
                List<Prediction> spk = EvalStage.readPredictions(spark, r.predictionsDir(),
                        io.tracedistill.config.ShardFormat.PARQUET, PredictionColumns.schema(
                                new org.apache.spark.sql.types.StructType().add("id",
                                        org.apache.spark.sql.types.DataTypes.StringType)));
                spk.sort(LocalEval.order(settings.arms()));
                long t = spk.stream().mapToLong(Prediction::newTokens).sum();
                System.out.printf(Locale.ROOT, "result spark master=%s tokens=%d seconds=%.3f tokens_per_s=%.1f "
                        + "identical_to_one_process=%s (end to end: staging, planning, decoding, table, report)%n",
                        master, t, sec, t / sec, spk.equals(local));
            } finally {
                spark.stop();
            }
        }
    }

    /** {@code rows} synthetic prompts of varied lengths and three types. */
    static List<EvalExample> examples(int rows) {
        List<EvalExample> examples = new ArrayList<>();
        for (int i = 0; i < rows; i++) {
            examples.add(new EvalExample(i, type(i), String.valueOf(i + i % 7), prompt(i)));
        }
        return examples;
    }

    private static String prompt(int i) {
        return "Q" + i + ": what is " + i + " plus " + (i % 7) + "?" + " think".repeat(i % 3);
    }

    private static String type(int i) {
        return "t" + (i % 3);
    }

    /** The eval CSV of {@link #examples} under {@code work/name.csv} and a run config that evaluates it. */
    static RunConfig config(Path model, Path adapter, Path work, String name, int rows, int maxNew, int batch)
            throws IOException {
        StringBuilder csv = new StringBuilder("id,prompt,answer,type\n");
        for (int i = 0; i < rows; i++) {
            csv.append("q").append(i).append(",\"").append(prompt(i)).append("\",").append(i + i % 7).append(',')
                    .append(type(i)).append('\n');
        }
        Path evalFile = work.resolve(name + ".csv");
        Files.writeString(evalFile, csv.toString(), StandardCharsets.UTF_8);
        return ConfigLoader.parse("base_model: " + model + "\ndata_path: unused.csv\nhard_types: [t0]\n"
                + "output_dir: " + work.resolve("out-" + name) + "\nprompt_suffix: ''\nmax_length: 4096\n"
                + "eval_path: " + evalFile + "\neval_adapters: [" + adapter + "]\n"
                + "eval_max_new_tokens: " + maxNew + "\neval_batch_size: " + batch + "\n", name + ".yaml");
    }

    /** The decode plan for {@code generate_reference.py} (shape in its docstring). */
    private static void writePlan(Path out, Path model, Path adapter, List<EvalExample> examples,
            EvalSettings settings, List<Prediction> predictions) throws IOException {
        Map<String, Object> plan = new LinkedHashMap<>();
        plan.put("model", model.toString());
        plan.put("adapter", adapter.toString());
        plan.put("max_new_tokens", settings.maxNewTokens());
        GenerationConfig gc = GenerationConfig.load(settings.modelPath(),
                io.tracedistill.model.HfConfig.load(settings.modelPath()));
        plan.put("eos", gc.eosTokenIds());
        plan.put("pad", gc.padTokenId());
        List<List<Map<String, Object>>> batches = new ArrayList<>();
        for (EvalBatch b : BatchPlan.plan(LocalEval.encode(examples, settings), settings.batchSize())) {
            List<Map<String, Object>> rowsOut = new ArrayList<>();
            for (var p : b.prompts()) {
                rowsOut.add(Map.of("row", p.example().rowIndex(), "ids", p.ids()));
            }
            batches.add(rowsOut);
        }
        plan.put("batches", batches);
        Map<String, Map<String, String>> outputs = new LinkedHashMap<>();
        for (ArmSpec arm : settings.arms()) {
            outputs.put(arm.name(), new LinkedHashMap<>());
        }
        for (Prediction p : predictions) {
            outputs.get(p.arm()).put(Long.toString(p.rowIndex()), p.output());
        }
        plan.put("outputs", outputs);
        new ObjectMapper().writeValue(out.toFile(), plan);
    }
}
