package io.tracedistill.train;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
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

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Child-JVM trainer for {@link CheckpointResumeTest}, checkpointing every 2 steps and sleeping
 * {@code sleepMs} after each step so the parent can kill it. Args: {@code outputDir resume sleepMs model}
 * with model {@code toy} ({@link ToyLoraLm}, NEFTune in phase 1) or {@code tiny-qwen2} (fresh LoRA with
 * dropout 0.1 on q/v, NEFTune in phase 2: both draw random numbers).
 */
public final class ResumeChildMain {

    private ResumeChildMain() {
    }

    static TrainSettings toySettings() {
        // phase 1: 14 examples, bs 2 x gas 2, 2 epochs -> 4 steps/epoch (last one short) = 8 steps; phase 2: 6 steps.
        PhaseConfig p1 = new PhaseConfig(0.05, LrSchedulerType.LINEAR, 1, 2, 2, 2, 1e9, 3.0, 3); // logs at 3, 6, 8
        PhaseConfig p2 = new PhaseConfig(0.01, LrSchedulerType.COSINE, 2, 1, 1, 2, 0.5, 0.0, 2);
        return new TrainSettings(new TrainSection(p1, p2, 1, 2), 64, 11, false, DeviceSpec.cpu(), 0, 2);
    }

    static TrainSettings qwenSettings() {
        // phase 1: 8 examples, bs 2 x gas 1 -> 4 steps; phase 2: 6 examples -> 3 steps.
        PhaseConfig p1 = new PhaseConfig(2e-3, LrSchedulerType.LINEAR, 0, 1, 2, 1, 1e9, 0.0, 1);
        PhaseConfig p2 = new PhaseConfig(5e-4, LrSchedulerType.COSINE, 1, 1, 2, 1, 1.0, 5.0, 1);
        return new TrainSettings(new TrainSection(p1, p2, 1, 2), 256, 5, false, DeviceSpec.cpu(), 256, 2);
    }

    static List<TokenExample> trajectoryExamples(int phase, int n) throws Exception {
        JsonNode tok = new ObjectMapper().readTree(TrajectoryParityGoldenTest.resource("train_trajectory/tokenized_phase" + phase + ".json").toFile());
        List<TokenExample> out = new ArrayList<>();
        ObjectMapper json = new ObjectMapper();
        for (int i = 0; i < n; i++) {
            JsonNode e = tok.path("examples").get(i);
            out.add(new TokenExample(i, e.path("type").asText(), json.convertValue(e.path("input_ids"), int[].class),
                    json.convertValue(e.path("labels"), int[].class)));
        }
        return out;
    }

    public static void main(String[] args) throws Exception {
        Path out = Path.of(args[0]);
        boolean resume = Boolean.parseBoolean(args[1]);
        long sleepMs = Long.parseLong(args[2]);
        String model = args[3];
        StepListener slow = r -> {
            try {
                Thread.sleep(sleepMs);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        };
        try (NDManager m = NDManager.newBaseManager()) {
            if (model.equals("toy")) {
                new TwoPhaseTrainer(toySettings(), new ToyLoraLm(m, 21), TwoPhaseTrainerTest.writer(), slow)
                        .train(new InMemoryTokenShardReader(TwoPhaseTrainerTest.toyExamples(14)),
                                new InMemoryTokenShardReader(TwoPhaseTrainerTest.toyExamples(12)), out, resume);
            } else {
                CausalLm base = CausalLm.load(TrajectoryParityGoldenTest.resource("tiny-qwen2"), m);
                LoraModel lora = LoraModel.inject(base, new LoraConfig(4, 8, 0.1, List.of("q_proj", "v_proj"), false), 3, m);
                new TwoPhaseTrainer(qwenSettings(), new LoraTrainableModel(lora),
                        new PeftAdapterWriter(PeftAdapter.configJson(lora.config(), "tiny-qwen2")), slow)
                        .train(new InMemoryTokenShardReader(trajectoryExamples(1, 8)),
                                new InMemoryTokenShardReader(trajectoryExamples(2, 6)), out, resume);
            }
        }
        System.out.println("CHILD DONE");
    }
}
