package io.tracedistill.tools;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tracedistill.config.DeviceSpec;
import io.tracedistill.config.LrSchedulerType;
import io.tracedistill.config.PhaseConfig;
import io.tracedistill.config.TrainSection;
import io.tracedistill.model.CausalLm;
import io.tracedistill.peft.LoraConfig;
import io.tracedistill.peft.LoraModel;
import io.tracedistill.peft.PeftAdapter;
import io.tracedistill.peft.PeftAdapterWriter;
import io.tracedistill.tokens.MaskedExample;
import io.tracedistill.train.InMemoryTokenShardReader;
import io.tracedistill.train.LoraTrainableModel;
import io.tracedistill.train.StepListener;
import io.tracedistill.train.TokenExample;
import io.tracedistill.train.TrainResult;
import io.tracedistill.train.TrainSettings;
import io.tracedistill.train.TwoPhaseTrainer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;

/**
 * Throughput of the whole trainer (batching, forward/backward per micro-batch, clip, AdamW, logging)
 * on a local HF model directory with synthetic examples: prints one JSON line with ms/step (median
 * after warm-up), tokens/s and peak RSS. Used by {@code scripts/bench-train}; not part of the pipeline.
 *
 * <pre>
 *   TrainBenchmark MODEL_DIR [--steps 12] [--warmup 2] [--batch 2] [--gas 2] [--seq 160] [--rank 8]
 * </pre>
 */
public final class TrainBenchmark {

    private TrainBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        Path modelDir = Path.of(args[0]);
        Map<String, Integer> opt = new LinkedHashMap<>(Map.of("steps", 12, "warmup", 2, "batch", 2, "gas", 2, "seq", 160, "rank", 8));
        for (int i = 1; i + 1 < args.length; i += 2) {
            String key = args[i].replaceFirst("^--", "");
            if (!opt.containsKey(key)) {
                throw new IllegalArgumentException("unknown option " + args[i] + "; known: " + opt.keySet());
            }
            opt.put(key, Integer.parseInt(args[i + 1]));
        }
        int steps = opt.get("steps");
        int bs = opt.get("batch");
        int gas = opt.get("gas");
        int seq = opt.get("seq");
        // 1. Synthetic examples: random ids, the first half of each sequence is prompt (label -100).
        try (NDManager manager = NDManager.newBaseManager()) {
            CausalLm base = CausalLm.load(modelDir, manager);
            int vocab = base.config().vocabSize();
            SplittableRandom rnd = new SplittableRandom(1);
            List<TokenExample> examples = new ArrayList<>();
            for (int i = 0; i < steps * bs * gas; i++) {
                int len = seq - rnd.nextInt(Math.max(1, seq / 8));
                int[] ids = new int[len];
                int[] labels = new int[len];
                for (int t = 0; t < len; t++) {
                    ids[t] = rnd.nextInt(vocab);
                    labels[t] = t < len / 2 ? MaskedExample.IGNORE_INDEX : ids[t];
                }
                examples.add(new TokenExample(i, "bench", ids, labels));
            }
            // 2. Fresh LoRA on every projection; phase 1 only (phase 2 empty).
            LoraModel lora = LoraModel.inject(base, new LoraConfig(opt.get("rank"), 2.0 * opt.get("rank"), 0.0,
                    List.of("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"), false), 1, manager);
            PhaseConfig p1 = new PhaseConfig(1e-4, LrSchedulerType.CONSTANT, 0, 1, bs, gas, 1.0, 0.0, 1_000_000);
            TrainSettings s = new TrainSettings(new TrainSection(p1, p1, 1, 0), seq, 1, false, DeviceSpec.cpu(), 0, 1);
            List<Long> stepNanos = new ArrayList<>();
            long[] last = {System.nanoTime()};
            long[] tokens = {0};
            StepListener timer = r -> {
                long now = System.nanoTime();
                if (r.step() > opt.get("warmup")) {
                    stepNanos.add(now - last[0]);
                    tokens[0] += r.stepTokens();
                }
                last[0] = now;
            };
            Path out = Files.createTempDirectory("bench-train");
            TrainResult result = new TwoPhaseTrainer(s, new LoraTrainableModel(lora),
                    new PeftAdapterWriter(PeftAdapter.configJson(lora.config(), "bench")), timer)
                    .train(new InMemoryTokenShardReader(examples), new InMemoryTokenShardReader(List.of()), out, false);
            deleteTree(out);
            // 3. Report.
            double median = stepNanos.isEmpty() ? Double.NaN
                    : Median.of(stepNanos.stream().mapToDouble(n -> n / 1e6).toArray());
            double total = stepNanos.stream().mapToLong(Long::longValue).sum() / 1e9;
            Map<String, Object> res = new LinkedHashMap<>();
            res.put("model", modelDir.getFileName().toString());
            res.put("rows_per_step", bs * gas);
            res.put("seq", seq);
            res.put("timed_steps", stepNanos.size());
            res.put("ms_per_step_median", median);
            res.put("tokens_per_s", total > 0 ? tokens[0] / total : 0);
            res.put("peak_rss_mb", result.peakRssBytes() / 1048576.0);
            System.out.println(new ObjectMapper().writeValueAsString(res));
        }
    }

    /** Removes the run's scratch output (adapter, checkpoints), deepest entries first. */
    private static void deleteTree(Path root) throws IOException {
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
