package io.tracedistill.tools;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tracedistill.model.CausalLm;
import io.tracedistill.model.HfConfig;
import io.tracedistill.model.LanguageModel;
import io.tracedistill.model.NativeExitGuard;
import io.tracedistill.model.families.ModelFamilies;
import io.tracedistill.peft.LoraConfig;
import io.tracedistill.peft.LoraModel;
import io.tracedistill.train.CausalLmLoss;
import io.tracedistill.train.LoraTrainableModel;
import io.tracedistill.train.TrainableModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Times one LoRA training step (forward + loss + backward; frozen base, fresh LoRA) for {@code scripts/bench-model},
 * through the trainer's own forward, loss and backward ({@link LoraTrainableModel},
 * {@link CausalLmLoss#backward}: {@code lm_head} on the supervised rows only). Either a random Qwen2-shaped model
 * with LoRA on all 7 projections ({@code scripts/bench/torch_reference.py} times the same model and step in plain
 * PyTorch eager: full logits, the same mean loss), or a checkpoint folder ({@code --model DIR}, e.g. tiny-nemotron-h)
 * with LoRA on {@code --targets} ({@code scripts/bench/nemotron_h_reference.py} times transformers' eager
 * {@code NemotronHForCausalLM} on the same folder). Prints one JSON line: the cold and the steady step
 * ({@link StepTimes}) of a process that runs {@code --run-steps} steps; {@code scripts/bench-model} times the process
 * itself from start to exit and prints the table ({@link ModelBenchmarkReport}).
 *
 * <pre>
 * ModelBenchmark --hidden 256 --ff 1280 --heads 4 --kv-heads 2 --layers 4 --vocab 259 --seq 128 --batch 4
 *                --rank 8 --steps 20 --warmup 3 --steady-from 40 --run-steps 100 --threads 2
 * ModelBenchmark --model pipeline/testdata/fixtures/tiny-nemotron-h --targets q_proj,k_proj,... --seq 128 --batch 4
 * </pre>
 * {@code --step-log true} prints every step's wall and CPU ms and the JIT compilers' time so far on stderr.
 *
 * Thread count must be set before the PyTorch engine starts, so this sets
 * {@code ai.djl.pytorch.num_threads} / {@code num_interop_threads} first thing in {@code main}.
 */
public final class ModelBenchmark {

    private ModelBenchmark() {
    }

    public static void main(String[] args) throws IOException {
        Map<String, String> a = new LinkedHashMap<>(Map.of("hidden", "256", "ff", "1280", "heads", "4", "kv-heads", "2",
                "layers", "4", "vocab", "259", "seq", "128", "batch", "4", "rank", "8", "steps", "20"));
        a.put("warmup", "3");
        a.put("threads", "2");
        a.put("seed", "0");
        a.put("profile", ""); // a file: PyTorch's profiler trace (chrome://tracing JSON) of the measured steps
        a.put("model", ""); // a HF checkpoint folder instead of the random Qwen2 model (its vocab replaces --vocab)
        a.put("targets", ""); // comma-separated LoRA targets with --model (PEFT suffix rule)
        a.put("step-log", "false"); // true: every step's wall and CPU ms on stderr (the JIT warm-up curve)
        a.put("steady-from", "40"); // first step of the steady window (StepTimes)
        a.put("run-steps", "0"); // steps the process runs in all; 0 = --warmup + --steps
        for (int i = 0; i + 1 < args.length; i += 2) {
            String key = args[i].replaceFirst("^--", "");
            if (!a.containsKey(key)) {
                throw new IllegalArgumentException("Unknown option --" + key + "; known: " + a.keySet());
            }
            a.put(key, args[i + 1]);
        }
        int threads = Integer.parseInt(a.get("threads"));
        System.setProperty("ai.djl.pytorch.num_threads", String.valueOf(threads));
        System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
        int hidden = Integer.parseInt(a.get("hidden"));
        int ff = Integer.parseInt(a.get("ff"));
        int heads = Integer.parseInt(a.get("heads"));
        int kvHeads = Integer.parseInt(a.get("kv-heads"));
        int layers = Integer.parseInt(a.get("layers"));
        int vocab = Integer.parseInt(a.get("vocab"));
        int seq = Integer.parseInt(a.get("seq"));
        int batch = Integer.parseInt(a.get("batch"));
        int rank = Integer.parseInt(a.get("rank"));
        int steps = Integer.parseInt(a.get("steps"));
        int warmup = Integer.parseInt(a.get("warmup"));
        long seed = Long.parseLong(a.get("seed"));
        StepTimes.Plan plan = StepTimes.Plan.of(warmup, steps, Integer.parseInt(a.get("steady-from")),
                Integer.parseInt(a.get("run-steps")));

        HfConfig cfg = qwen2(hidden, ff, layers, heads, kvHeads, vocab);
        Engine.getInstance().setRandomSeed((int) seed);
        try (NDManager manager = NDManager.newBaseManager()) {
            LoraModel lora;
            long baseParams;
            if (!a.get("model").isEmpty()) {
                if (a.get("targets").isEmpty()) {
                    throw new IllegalArgumentException("--model needs --targets (comma-separated LoRA target names)");
                }
                LanguageModel lm = ModelFamilies.load(Path.of(a.get("model")), manager);
                vocab = lm.vocabSize();
                baseParams = lm.parameters().values().stream().mapToLong(NDArray::size).sum();
                lora = LoraModel.inject(lm, new LoraConfig(rank, 2 * rank, 0.0, List.of(a.get("targets").split(",")), false),
                        seed, manager);
            } else {
                // 1. Random base weights (N(0, 0.02), norms = 1) under HF names, LoRA on all 7 projections.
                RandomLora random = randomLora(cfg, rank, seed, manager);
                lora = random.lora();
                baseParams = random.baseParams();
            }
            long loraParams = lora.trainableParameters().values().stream().mapToLong(NDArray::size).sum();

            TrainableModel model = new LoraTrainableModel(lora);

            // 2. Fixed random batch; labels = inputs (every position but the last is a target).
            Random rnd = new Random(seed);
            long[] ids = new long[batch * seq];
            int[] labels = new int[batch * seq];
            for (int i = 0; i < ids.length; i++) {
                ids[i] = rnd.nextInt(vocab);
                labels[i] = (int) ids[i];
            }
            CausalLmLoss.Targets targets = CausalLmLoss.targets(labels, batch, seq);
            StepTimes times = new StepTimes();
            com.sun.management.OperatingSystemMXBean os = (com.sun.management.OperatingSystemMXBean)
                    java.lang.management.ManagementFactory.getOperatingSystemMXBean();
            double lastLoss = 0;
            String profile = a.get("profile");
            boolean stepLog = Boolean.parseBoolean(a.get("step-log"));
            java.lang.management.CompilationMXBean jit = java.lang.management.ManagementFactory.getCompilationMXBean();
            for (int s = 0; s < plan.runSteps(); s++) {
                if (s == warmup && !profile.isEmpty()) {
                    ai.djl.pytorch.jni.JniUtils.startProfile(false, true, false);
                }
                long t0 = System.nanoTime();
                long c0 = os.getProcessCpuTime();
                // A section: a SIGTERM during the step (a killed benchmark) lets it finish before libtorch is torn down.
                try (NativeExitGuard.Section guard = NativeExitGuard.enter();
                     NDManager step = manager.newSubManager();
                     GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    // The trainer's loss path (TwoPhaseTrainer#trainStep): hidden states, lm_head on the
                    // supervised rows only, summed CE divided by the step's target count (here: the mean).
                    NDArray x = step.create(ids, new Shape(batch, seq));                     // [B, T]
                    NDArray mask = step.ones(new Shape(batch, seq), DataType.INT64);        // [B, T], no padding
                    NDArray states = model.hiddenStates(x, mask, null);                     // [B, T, H]
                    NDArray loss = CausalLmLoss.backward(model, gc, states, targets, targets.count(),
                            CausalLmLoss.CHUNK_ROWS); // scalar, back-propagated as the trainer does
                    lastLoss = loss.getFloat();
                }
                long t1 = System.nanoTime();
                long c1 = os.getProcessCpuTime();
                times.add((t1 - t0) / 1e6, (c1 - c0) / 1e6);
                if (stepLog) {
                    // jit: the JIT compilers' time so far (all compiler threads; what they take from libtorch's
                    // threads on a small machine while a run warms up)
                    System.err.printf("step %d wall %.1f cpu %.1f jit %d%n", s, (t1 - t0) / 1e6, (c1 - c0) / 1e6,
                            jit.getTotalCompilationTime());
                }
            }
            if (!profile.isEmpty()) {
                ai.djl.pytorch.jni.JniUtils.stopProfile(profile);
            }
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("impl", "djl");
            out.put("model", a.get("model").isEmpty() ? "random qwen2" : Path.of(a.get("model")).getFileName().toString());
            out.put("base_params", baseParams);
            out.put("lora_params", loraParams);
            out.put("batch", batch);
            out.put("seq", seq);
            out.put("threads", threads);
            putWindows(out, plan, times, batch * seq);
            // The whole process's CPU up to here: JVM start, class loading, JIT compiles, model set-up and every step.
            out.put("process_cpu_ms", round2(os.getProcessCpuTime() / 1e6));
            out.put("loss", Math.round(lastLoss * 1e5) / 1e5);
            out.put("peak_rss_mb", round2(peakRssMb()));
            System.out.println(new ObjectMapper().writeValueAsString(out));
        }
    }

    /**
     * The timing fields of the JSON line, the same names as {@code scripts/bench/step_timing.py} writes: the cold
     * window under the names the benchmark always had ({@code ms_per_step_median} ...), the steady window with a
     * {@code steady_} prefix (null when the process stops before it), and {@code run_steps} / {@code steps_wall_ms}
     * for the whole-process figure.
     */
    static void putWindows(Map<String, Object> out, StepTimes.Plan plan, StepTimes times, int tokensPerStep) {
        StepTimes.Window cold = times.window(plan.warmup(), plan.warmup() + plan.steps());
        out.put("warmup", plan.warmup());
        out.put("steps", cold.size());
        out.put("ms_per_step_median", round2(cold.wallMedian()));
        out.put("ms_per_step_mean", round2(cold.wallMean()));
        out.put("cpu_ms_per_step_median", round2(cold.cpuMedian()));
        out.put("tokens_per_s", Math.round(tokensPerStep / (cold.wallMedian() / 1000.0) * 10) / 10.0);
        StepTimes.Window steady = plan.hasSteadyWindow() ? times.window(plan.steadyFrom(), plan.runSteps()) : null;
        out.put("steady_from", plan.steadyFrom());
        out.put("steady_steps", steady == null ? 0 : steady.size());
        out.put("steady_ms_per_step_median", steady == null ? null : round2(steady.wallMedian()));
        out.put("steady_cpu_ms_per_step_median", steady == null ? null : round2(steady.cpuMedian()));
        out.put("run_steps", plan.runSteps());
        out.put("steps_wall_ms", round2(times.totalWallMs()));
    }

    private static double round2(double v) {
        return Math.round(v * 100) / 100.0;
    }

    /** The random Qwen2-shaped config of the benchmarks (tied embeddings off, qkv bias on). */
    static HfConfig qwen2(int hidden, int ff, int layers, int heads, int kvHeads, int vocab) {
        return new HfConfig("qwen2", hidden, ff, layers, heads, kvHeads, hidden / heads, 1e6, 1e-6, vocab,
                false, 32768, false, true, false, -1, List.of());
    }

    /** A random model with LoRA, and its base-parameter count. */
    record RandomLora(LoraModel lora, long baseParams) {
    }

    /**
     * A random Qwen2-shaped model (weights N(0, 0.02) under HF names, norms = 1, the engine seeded with {@code seed},
     * so every process that calls this with the same arguments holds the same weights) with LoRA r = {@code rank},
     * alpha 2r, on all 7 projections.
     */
    static RandomLora randomLora(HfConfig cfg, int rank, long seed, NDManager manager) {
        Engine.getInstance().setRandomSeed((int) seed);
        int hidden = cfg.hiddenSize();
        int vocab = cfg.vocabSize();
        int ff = cfg.intermediateSize();
        Map<String, NDArray> w = new LinkedHashMap<>();
        int qOut = cfg.numAttentionHeads() * cfg.headDim();
        int kvOut = cfg.numKeyValueHeads() * cfg.headDim();
        w.put("model.embed_tokens.weight", manager.randomNormal(0, 0.02f, new Shape(vocab, hidden), DataType.FLOAT32));
        for (int l = 0; l < cfg.numHiddenLayers(); l++) {
            String p = "model.layers." + l + ".";
            w.put(p + "input_layernorm.weight", manager.ones(new Shape(hidden)));
            w.put(p + "post_attention_layernorm.weight", manager.ones(new Shape(hidden)));
            put(w, manager, p + "self_attn.q_proj", qOut, hidden, true);
            put(w, manager, p + "self_attn.k_proj", kvOut, hidden, true);
            put(w, manager, p + "self_attn.v_proj", kvOut, hidden, true);
            put(w, manager, p + "self_attn.o_proj", hidden, qOut, false);
            put(w, manager, p + "mlp.gate_proj", ff, hidden, false);
            put(w, manager, p + "mlp.up_proj", ff, hidden, false);
            put(w, manager, p + "mlp.down_proj", hidden, ff, false);
        }
        w.put("model.norm.weight", manager.ones(new Shape(hidden)));
        w.put("lm_head.weight", manager.randomNormal(0, 0.02f, new Shape(vocab, hidden), DataType.FLOAT32));
        long baseParams = w.values().stream().mapToLong(NDArray::size).sum();
        CausalLm lm = CausalLm.fromWeights(cfg, w, manager, "random");
        return new RandomLora(LoraModel.inject(lm, new LoraConfig(rank, 2 * rank, 0.0,
                List.of("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"), false), seed, manager), baseParams);
    }

    private static void put(Map<String, NDArray> w, NDManager m, String name, int out, int in, boolean bias) {
        w.put(name + ".weight", m.randomNormal(0, 0.02f, new Shape(out, in), ai.djl.ndarray.types.DataType.FLOAT32));
        if (bias) {
            w.put(name + ".bias", m.zeros(new Shape(out)));
        }
    }

    /** VmHWM of this process from /proc (Linux), in MiB; -1 elsewhere. */
    static double peakRssMb() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0;
                }
            }
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }
}
