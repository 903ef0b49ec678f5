package io.tracedistill.train;

import ai.djl.ndarray.NDArray;
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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Data parallelism ({@code world_size}) on tiny-qwen2, NEFTune on: two replicas (the multi-GPU code path:
 * micro-batches dealt round-robin, gradients summed into replica 0, weights copied back) must give the
 * same steps as one replica accumulating {@code gradient_accumulation_steps × world_size} micro-batches,
 * within float32 summation-order noise; the one-replica emulation of world_size 2 must be bit-identical to
 * plain accumulation over twice the micro-batches.
 */
class DataParallelTest {

    private static final double TOLERANCE = 1e-5;

    static List<TokenExample> examples(int n) throws Exception {
        JsonNode tok = new ObjectMapper().readTree(TrajectoryParityGoldenTest.resource("train_trajectory/tokenized_phase1.json").toFile());
        List<TokenExample> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            JsonNode e = tok.path("examples").get(i % tok.path("examples").size());
            int[] ids = new ObjectMapper().convertValue(e.path("input_ids"), int[].class);
            int[] labels = new ObjectMapper().convertValue(e.path("labels"), int[].class);
            out.add(new TokenExample(i, e.path("type").asText(), ids, labels));
        }
        return out;
    }

    private record Run(List<StepRecord> steps, Map<String, float[]> adapter) {
    }

    /** Trains phase 1 (10 rows, bs 1) and phase 2 (5 rows) with {@code replicas} replicas and the given gas / world size. */
    private static Run train(Path out, int replicas, int gas, int worldSize, long[] initSeeds) throws Exception {
        PhaseConfig p1 = new PhaseConfig(2e-3, LrSchedulerType.LINEAR, 0, 1, 1, gas, 1e9, 5.0, 1);
        PhaseConfig p2 = new PhaseConfig(1e-3, LrSchedulerType.COSINE, 1, 1, 1, gas, 0.05, 5.0, 1);
        TrainSettings s = new TrainSettings(new TrainSection(p1, p2, worldSize, 0), 256, 42, false, DeviceSpec.cpu(), 256, 1);
        List<NDManager> managers = new ArrayList<>();
        List<StepRecord> steps = new ArrayList<>();
        try {
            List<TrainableModel> models = new ArrayList<>();
            LoraModel first = null;
            for (int r = 0; r < replicas; r++) {
                NDManager m = NDManager.newBaseManager();
                managers.add(m);
                LoraModel lora = LoraModel.inject(CausalLm.load(TrajectoryParityGoldenTest.resource("tiny-qwen2"), m),
                        new LoraConfig(4, 8, 0.0, null, false), initSeeds[r], m);
                // B = 0 after a PEFT init; give it values so that the replicas really differ before the broadcast.
                ai.djl.pytorch.jni.JniUtils.setGradMode(false);
                for (Map.Entry<String, NDArray> e : lora.trainableParameters().entrySet()) {
                    if (e.getKey().endsWith("lora_B.weight")) {
                        e.getValue().addi(0.01f * (r + 1));
                    }
                }
                first = first == null ? lora : first;
                models.add(new LoraTrainableModel(lora));
            }
            new TwoPhaseTrainer(s, models, new PeftAdapterWriter(PeftAdapter.configJson(first.config(), "tiny-qwen2")), steps::add)
                    .train(new InMemoryTokenShardReader(examples(10)), new InMemoryTokenShardReader(examples(5)), out, false);
            Map<String, float[]> adapter = new LinkedHashMap<>();
            for (Map.Entry<String, NDArray> e : models.get(0).trainableParameters().entrySet()) {
                adapter.put(e.getKey(), e.getValue().toFloatArray());
            }
            for (int r = 1; r < replicas; r++) {
                for (Map.Entry<String, NDArray> e : models.get(r).trainableParameters().entrySet()) {
                    assertArrayEquals(adapter.get(e.getKey()), e.getValue().toFloatArray(), "replica " + r + " " + e.getKey()
                            + " must hold exactly replica 0's weights after every step");
                }
            }
            return new Run(steps, adapter);
        } finally {
            for (NDManager m : managers) {
                m.close();
            }
        }
    }

    @Test
    void twoReplicasEqualOneReplicaAccumulatingTwiceTheMicroBatches(@TempDir Path out) throws Exception {
        Run single = train(out.resolve("single"), 1, 4, 1, new long[] {7});
        Run emulated = train(out.resolve("emulated"), 1, 2, 2, new long[] {7});
        Run parallel = train(out.resolve("parallel"), 2, 2, 2, new long[] {7, 8});

        // Steps: 10 rows / (1 x 2 x 2) = 3 steps (the last one short), 5 rows -> 2 steps; same composition everywhere.
        assertEquals(5, single.steps().size());
        assertEquals(List.of(List.of(0L), List.of(1L), List.of(2L), List.of(3L)), single.steps().get(0).positions());
        assertEquals(List.of(List.of(8L), List.of(9L)), single.steps().get(2).positions(), "the last step is short, never padded");
        double maxLoss = 0;
        double maxNorm = 0;
        for (int i = 0; i < single.steps().size(); i++) {
            StepRecord a = single.steps().get(i);
            StepRecord b = emulated.steps().get(i);
            StepRecord c = parallel.steps().get(i);
            assertEquals(a.positions(), b.positions());
            assertEquals(a.positions(), c.positions());
            assertEquals(a.numItemsInBatch(), c.numItemsInBatch(), "one denominator for the whole step, over all ranks");
            assertEquals(a.lr(), c.lr(), 0);
            assertEquals(a.clipped(), c.clipped());
            assertEquals(a.loss(), b.loss(), 0, "emulation is plain accumulation: bit-identical");
            assertEquals(a.gradNorm(), b.gradNorm(), 0);
            maxLoss = Math.max(maxLoss, Math.abs(a.loss() - c.loss()));
            maxNorm = Math.max(maxNorm, Math.abs(a.gradNorm() - c.gradNorm()) / a.gradNorm());
        }
        assertTrue(single.steps().stream().anyMatch(StepRecord::clipped), "phase 2's clip at 0.05 must engage");
        double maxW = 0;
        for (Map.Entry<String, float[]> e : single.adapter().entrySet()) {
            assertArrayEquals(e.getValue(), emulated.adapter().get(e.getKey()), 0f, e.getKey());
            float[] p = parallel.adapter().get(e.getKey());
            for (int j = 0; j < p.length; j++) {
                maxW = Math.max(maxW, Math.abs(p[j] - e.getValue()[j]));
            }
        }
        System.out.printf("world_size 2, 2 replicas vs 1 replica gas x 2: max |dloss| %.2e, max rel dnorm %.2e, max |dW| %.2e"
                + " (tolerance %.0e)%n", maxLoss, maxNorm, maxW, TOLERANCE);
        assertTrue(maxLoss <= TOLERANCE && maxNorm <= TOLERANCE && maxW <= TOLERANCE);
    }

    @Test
    void moreReplicasThanWorldSizeIsRefused() {
        PhaseConfig p = new PhaseConfig(1e-3, LrSchedulerType.CONSTANT, 0, 1, 1, 1, 1e9, 0, 1);
        TrainSettings s = new TrainSettings(new TrainSection(p, p, 1, 0), 64, 1, false, DeviceSpec.cpu(), 0, 1);
        try (NDManager a = NDManager.newBaseManager(); NDManager b = NDManager.newBaseManager()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new TwoPhaseTrainer(s,
                    List.of(new ToyLoraLm(a, 1), new ToyLoraLm(b, 2)), TwoPhaseTrainerTest.writer(), null));
            assertEquals("2 model replicas but world_size is 1; use at most world_size replicas (one per device)", e.getMessage());
        }
    }
}
