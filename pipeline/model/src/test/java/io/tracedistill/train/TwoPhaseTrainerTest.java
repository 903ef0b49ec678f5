package io.tracedistill.train;

import io.tracedistill.run.Phase;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tracedistill.config.DeviceSpec;
import io.tracedistill.config.LrSchedulerType;
import io.tracedistill.config.PhaseConfig;
import io.tracedistill.config.TrainSection;
import io.tracedistill.model.SafeTensors;
import io.tracedistill.peft.PeftAdapterWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Trainer mechanics on {@link ToyLoraLm} (the tiny-qwen2 parity run is {@code TrajectoryParityGoldenTest}). */
class TwoPhaseTrainerTest {

    static PhaseConfig phase(double lr, String sched, int warmup, int epochs, int bs, int gas, double clip, double neft) {
        return new PhaseConfig(lr, LrSchedulerType.valueOf(sched.toUpperCase(java.util.Locale.ROOT)), warmup, epochs, bs, gas, clip, neft, 1);
    }

    static PeftAdapterWriter writer() {
        ObjectNode cfg = new ObjectMapper().createObjectNode().put("peft_type", "LORA").put("r", ToyLoraLm.R);
        return new PeftAdapterWriter(cfg);
    }

    /** Toy examples over vocab 11: a prompt of 2 tokens (masked) and a completion of 1..3 tokens. */
    static List<TokenExample> toyExamples(int n) {
        List<TokenExample> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int len = 3 + (i % 3);
            int[] ids = new int[len];
            int[] labels = new int[len];
            for (int t = 0; t < len; t++) {
                ids[t] = (i + 2 * t) % ToyLoraLm.V;
                labels[t] = t < 2 ? -100 : ids[t];
            }
            out.add(new TokenExample(i, "t", ids, labels));
        }
        return out;
    }

    @Test
    void lossGoesDownOnARepeatedBatch(@TempDir Path out) throws Exception {
        List<TokenExample> batch = toyExamples(4);
        TrainSettings s = new TrainSettings(new TrainSection(phase(0.05, "constant", 0, 30, 2, 2, 1e9, 0), phase(0.01, "cosine", 2, 2, 2, 2, 1.0, 0), 1, 0), 64, 42, false, DeviceSpec.cpu(), 0, 2);
        List<StepRecord> records = new ArrayList<>();
        try (NDManager m = NDManager.newBaseManager()) {
            TrainResult r = new TwoPhaseTrainer(s, new ToyLoraLm(m, 5), writer(), records::add)
                    .train(new InMemoryTokenShardReader(batch), new InMemoryTokenShardReader(batch), out, false);
            double first = records.get(0).loss();
            double last = r.phase1().finalLoss();
            System.out.printf("toy loss: first %.4f -> last %.4f after %d steps%n", first, last, r.phase1().totalSteps());
            assertEquals(30, r.phase1().totalSteps());
            assertTrue(last < 0.5 * first, "loss should at least halve: " + first + " -> " + last);
            assertEquals(2, r.phase2().totalSteps());
            // Outputs: metrics for every step, both adapters, phase-end checkpoints.
            List<MetricsLog.Entry> metrics = MetricsLog.read(out.resolve("metrics.jsonl"));
            assertEquals(32, metrics.size());
            assertEquals(Phase.PHASE2, metrics.get(31).phase());
            assertEquals(2, metrics.get(31).step());
            assertEquals(0.0, metrics.get(30).lr(), 0);  // warmup: phase 2 starts at LR 0
            assertTrue(Files.isRegularFile(out.resolve("phase1_adapter/adapter_model.safetensors")));
            assertTrue(Files.isRegularFile(out.resolve("adapter/adapter_config.json")));
            assertEquals(List.of("phase1-step000030", "phase2-step000002"),
                    Checkpoints.list(out.resolve("checkpoints")).stream().map(p -> p.getFileName().toString()).toList());
        }
    }

    /**
     * transformers #34191: with gradient accumulation each micro-batch's CE sum is divided by the label count
     * of the whole step, so bs=1 x gas=2 must give the same loss and update as bs=2 x gas=1, although the
     * two examples have different label counts (1 and 3).
     */
    @Test
    void accumulatedLossIsNormalisedByTheLabelCountOfTheWholeStep(@TempDir Path out) throws Exception {
        List<TokenExample> two = List.of(toyExamples(3).get(0), toyExamples(3).get(2)); // lengths 3 and 5 -> 1 and 3 targets
        assertEquals(1, two.get(0).numShiftedLabelTokens());
        assertEquals(3, two.get(1).numShiftedLabelTokens());
        double[] loss = new double[2];
        float[][] b = new float[2][];
        int[][] shapes = {{1, 2}, {2, 1}};
        for (int k = 0; k < 2; k++) {
            PhaseConfig p = phase(0.01, "constant", 0, 1, shapes[k][0], shapes[k][1], 1e9, 0);
            TrainSettings s = new TrainSettings(new TrainSection(p, p, 1, 0), 64, 42, false, DeviceSpec.cpu(), 0, 1);
            List<StepRecord> recs = new ArrayList<>();
            try (NDManager m = NDManager.newBaseManager()) {
                ToyLoraLm lm = new ToyLoraLm(m, 9);
                new TwoPhaseTrainer(s, lm, writer(), recs::add).train(new InMemoryTokenShardReader(two),
                        new InMemoryTokenShardReader(List.of()), out.resolve("run" + k), false);
                loss[k] = recs.get(0).loss();
                if (k == 0) {
                    // micro-batch losses are CE sums / 4 (the step's count), not per-micro-batch means
                    List<Double> mb = recs.get(0).microBatchLosses();
                    double ce0 = 4 * mb.get(0);
                    double ce1 = 4 * mb.get(1);
                    double naive = (ce0 / 1 + ce1 / 3) / 2; // mean of per-micro-batch means (the #34191 bug)
                    assertEquals((ce0 + ce1) / 4, loss[0], 1e-6);
                    assertTrue(Math.abs(naive - loss[0]) > 1e-2, "the example must tell the two normalisations apart");
                }
                assertEquals(4, recs.get(0).numItemsInBatch());
                b[k] = lm.trainableParameters().get("base_model.model.lm_head.lora_B.weight").toFloatArray();
            }
        }
        double maxDiff = 0;
        for (int i = 0; i < b[0].length; i++) {
            maxDiff = Math.max(maxDiff, Math.abs(b[0][i] - b[1][i]));
        }
        System.out.printf("bs1xgas2 vs bs2xgas1: |dloss| %.2e, max |dB| %.2e (tolerance 1e-6)%n", Math.abs(loss[0] - loss[1]), maxDiff);
        assertEquals(loss[1], loss[0], 1e-6);
        assertTrue(maxDiff <= 1e-6);
    }

    @Test
    void sameSeedGivesTheSameAdapterBitForBitEvenWithNeftune(@TempDir Path out) throws Exception {
        PhaseConfig p = phase(0.02, "linear", 1, 2, 2, 2, 1.0, 5.0);
        TrainSettings s = new TrainSettings(new TrainSection(p, p, 1, 0), 64, 7, true, DeviceSpec.cpu(), 0, 1);
        List<Map<String, SafeTensors.HostTensor>> adapters = new ArrayList<>();
        for (int k = 0; k < 2; k++) {
            try (NDManager m = NDManager.newBaseManager()) {
                TrainResult r = new TwoPhaseTrainer(s, new ToyLoraLm(m, 1), writer(), null)
                        .train(new InMemoryTokenShardReader(toyExamples(10)), new InMemoryTokenShardReader(toyExamples(6)),
                                out.resolve("run" + k), false);
                assertEquals("float32 (bf16 requested; on CPU float32 is used)", r.precision());
                adapters.add(TensorFiles.read(r.adapter().resolve("adapter_model.safetensors")));
            }
        }
        for (String k : adapters.get(0).keySet()) {
            assertArrayEquals(adapters.get(0).get(k).values(), adapters.get(1).get(k).values(), 0f, k);
        }
        // NEFTune is active: a different seed gives a different adapter.
        try (NDManager m = NDManager.newBaseManager()) {
            TrainSettings other = new TrainSettings(new TrainSection(p, p, 1, 0), 64, 8, true, DeviceSpec.cpu(), 0, 1);
            TrainResult r = new TwoPhaseTrainer(other, new ToyLoraLm(m, 1), writer(), null)
                    .train(new InMemoryTokenShardReader(toyExamples(10)), new InMemoryTokenShardReader(toyExamples(6)),
                            out.resolve("other"), false);
            float[] a = TensorFiles.read(r.adapter().resolve("adapter_model.safetensors")).get("base_model.model.lm_head.lora_B.weight").values();
            assertNotEquals(java.util.Arrays.toString(a),
                    java.util.Arrays.toString(adapters.get(0).get("base_model.model.lm_head.lora_B.weight").values()));
        }
    }

    /**
     * Issue 17 item 4: {@code --resume} after changing a finished phase's settings returned the old adapter
     * byte for byte. Now it refuses, naming the phase and both settings; the unchanged config still resumes.
     */
    @Test
    void resumeRefusesToReuseAFinishedPhaseUnderChangedSettings(@TempDir Path out) throws Exception {
        PhaseConfig p1 = phase(0.02, "linear", 0, 1, 2, 1, 1.0, 0);
        PhaseConfig p2 = phase(0.01, "constant", 0, 1, 2, 1, 1.0, 0);
        PhaseConfig p1Changed = phase(0.05, "linear", 0, 1, 2, 1, 1.0, 0);
        PhaseConfig p2Changed = phase(0.03, "constant", 0, 1, 2, 1, 1.0, 0);
        java.util.function.Function<TrainSection, TrainSettings> settings =
                t -> new TrainSettings(t, 64, 3, false, DeviceSpec.cpu(), 0, 1);
        try (NDManager m = NDManager.newBaseManager()) {
            new TwoPhaseTrainer(settings.apply(new TrainSection(p1, p2, 1, 0)), new ToyLoraLm(m, 1), writer(), null)
                    .train(new InMemoryTokenShardReader(toyExamples(4)), new InMemoryTokenShardReader(toyExamples(4)), out, false);
        }
        for (TrainSection changed : List.of(new TrainSection(p1Changed, p2, 1, 0), new TrainSection(p1, p2Changed, 1, 0))) {
            IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> {
                try (NDManager m = NDManager.newBaseManager()) {
                    new TwoPhaseTrainer(settings.apply(changed), new ToyLoraLm(m, 1), writer(), null)
                            .train(new InMemoryTokenShardReader(toyExamples(4)), new InMemoryTokenShardReader(toyExamples(4)), out, true);
                }
            });
            String phaseName = changed.phase1().equals(p1) ? "phase2" : "phase1";
            assertTrue(e.getMessage().startsWith(phaseName + " already finished") && e.getMessage().contains("without --resume"),
                    e.getMessage());
        }
        try (NDManager m = NDManager.newBaseManager()) {
            TrainResult r = new TwoPhaseTrainer(settings.apply(new TrainSection(p1, p2, 1, 0)), new ToyLoraLm(m, 1), writer(), null)
                    .train(new InMemoryTokenShardReader(toyExamples(4)), new InMemoryTokenShardReader(toyExamples(4)), out, true);
            assertTrue(r.resumedFrom().isPresent(), "the unchanged config still resumes");
        }
    }
}
