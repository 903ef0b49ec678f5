package io.tracedistill.train;

import io.tracedistill.run.Phase;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tracedistill.config.DeviceSpec;
import io.tracedistill.config.LrSchedulerType;
import io.tracedistill.config.PhaseConfig;
import io.tracedistill.config.TrainSection;
import io.tracedistill.model.CausalLm;
import io.tracedistill.peft.LoraModel;
import io.tracedistill.peft.PeftAdapter;
import io.tracedistill.peft.PeftAdapterWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The real model overfits one repeated batch: 4 trajectory examples, one step per epoch, 12 epochs. */
class TinyQwen2LossGoesDownTest {

    @Test
    void lossFallsOnARepeatedBatch(@TempDir Path out) throws Exception {
        JsonNode tok = new ObjectMapper().readTree(TrajectoryParityGoldenTest.resource("train_trajectory/tokenized_phase1.json").toFile());
        List<TokenExample> batch = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            JsonNode e = tok.path("examples").get(i);
            int[] ids = new ObjectMapper().convertValue(e.path("input_ids"), int[].class);
            int[] labels = new ObjectMapper().convertValue(e.path("labels"), int[].class);
            batch.add(new TokenExample(i, e.path("type").asText(), ids, labels));
        }
        PhaseConfig p1 = new PhaseConfig(5e-3, LrSchedulerType.CONSTANT, 0, 12, 2, 2, 1.0, 0.0, 4);
        PhaseConfig p2 = new PhaseConfig(5e-5, LrSchedulerType.COSINE, 0, 1, 2, 2, 1.0, 0.0, 1);
        TrainSettings s = new TrainSettings(new TrainSection(p1, p2, 1, 0), 256, 42, false, DeviceSpec.cpu(), 256, 1);
        List<Double> losses = new ArrayList<>();
        try (NDManager m = NDManager.newBaseManager()) {
            LoraModel lora = PeftAdapter.load(CausalLm.load(TrajectoryParityGoldenTest.resource("tiny-qwen2"), m),
                    TrajectoryParityGoldenTest.resource("train_trajectory/initial_adapter"), m);
            TrainResult r = new TwoPhaseTrainer(s, new LoraTrainableModel(lora), new PeftAdapterWriter(PeftAdapter.configJson(lora.config(), "tiny-qwen2")),
                    rec -> { if (rec.phase() == Phase.PHASE1) { losses.add(rec.loss()); } })
                    .train(new InMemoryTokenShardReader(batch), new InMemoryTokenShardReader(List.of()), out, false);
            assertEquals(12, losses.size());
            assertEquals(0, r.phase2().totalSteps());
            // logging_steps 4 -> records at steps 4, 8, 12, each the mean of its 4 step losses
            assertEquals(3, r.phase1().logged().size());
            assertEquals((losses.get(8) + losses.get(9) + losses.get(10) + losses.get(11)) / 4, r.phase1().logged().get(2).loss(), 1e-9);
        }
        System.out.printf("tiny-qwen2 repeated batch: loss %.4f -> %.4f over 12 steps%n", losses.get(0), losses.get(11));
        assertTrue(losses.get(11) < 0.7 * losses.get(0), "loss should fall by 30%: " + losses);
    }
}
