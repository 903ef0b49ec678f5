package io.tracedistill.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import com.fasterxml.jackson.databind.JsonNode;
import io.tracedistill.model.Fixtures;
import io.tracedistill.model.FullLogitsLoss;
import io.tracedistill.model.families.ModelFamilies;
import io.tracedistill.peft.LoraConfig;
import io.tracedistill.peft.LoraModel;
import io.tracedistill.peft.PeftAdapter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * {@code gradient_checkpointing: true}: the same loss and gradients as the recorded forward (within 1e-5) on
 * Nemotron-H and Qwen2 with their fixture adapters and train-step batches, and on Llama with fresh LoRA, and a measured lower peak memory for
 * one long LoRA step (each mode in its own JVM).
 */
class GradientCheckpointingTest {

    record Step(double loss, Map<String, float[]> grads) {
    }

    /**
     * LoRA on {@code fixture} in {@code m}: its fixture adapter, or (tiny-llama has none) fresh LoRA on the default
     * targets with lora_B drawn from N(0, 0.05), so that every LoRA tensor gets gradient.
     */
    static LoraModel lora(String fixture, NDManager m) {
        if (java.nio.file.Files.isDirectory(Fixtures.dir(fixture).resolve("lora"))) {
            return PeftAdapter.load(ModelFamilies.load(Fixtures.dir(fixture), m), Fixtures.dir(fixture + "/lora"), m);
        }
        LoraModel lora = LoraModel.inject(ModelFamilies.load(Fixtures.dir(fixture), m), new LoraConfig(4, 12, 0, null, false), 7, m);
        Engine.getInstance().setRandomSeed(7);
        lora.trainableParameters().forEach((k, v) -> {
            if (k.endsWith("lora_B.weight")) {
                v.addi(m.randomNormal(0f, 0.05f, v.getShape(), v.getDataType()));
            }
        });
        return lora;
    }

    /** The train-step batch of {@code fixture}'s adapter, or tiny-qwen2's (same byte-level vocabulary) when it has none. */
    static JsonNode trainStep(String fixture) {
        boolean hasAdapter = java.nio.file.Files.isDirectory(Fixtures.dir(fixture).resolve("lora"));
        return Fixtures.json((hasAdapter ? fixture : "tiny-qwen2") + "/lora/train_step.json");
    }

    /** One LoRA step on {@code fixture}'s train-step batch ({@link #lora}, {@link #trainStep}). */
    static Step step(String fixture, boolean checkpointed) {
        JsonNode s = trainStep(fixture);
        try (NDManager m = NDManager.newBaseManager(); NDManager step = m.newSubManager()) {
            LoraModel lora = lora(fixture, m);
            LoraTrainableModel replica = new LoraTrainableModel(lora, checkpointed);
            double loss;
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray hidden = replica.hiddenStates(Fixtures.ints2d(s.get("input_ids"), step),
                        Fixtures.ints2d(s.get("attention_mask"), step), null);
                NDArray mean = FullLogitsLoss.mean(replica.lmHead(hidden), Fixtures.ints2d(s.get("labels"), step));
                loss = mean.getFloat();
                replica.backward(gc, mean);
            }
            Map<String, float[]> grads = new LinkedHashMap<>();
            replica.trainableParameters().forEach((k, v) -> grads.put(k, v.getGradient().toFloatArray()));
            return new Step(loss, grads);
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"tiny-nemotron-h", "tiny-qwen2", "tiny-llama"})
    void sameLossAndGradientsAsTheRecordedForward(String fixture) {
        Step plain = step(fixture, false);
        Step ckpt = step(fixture, true);
        double worst = 0;
        for (Map.Entry<String, float[]> e : plain.grads().entrySet()) {
            float[] a = e.getValue();
            float[] b = ckpt.grads().get(e.getKey());
            for (int i = 0; i < a.length; i++) {
                worst = Math.max(worst, Math.abs(a[i] - b[i]));
            }
        }
        System.out.printf("%s gradient checkpointing: loss %.8f vs %.8f, max |grad diff| %.2e over %d tensors (tol 1e-5)%n",
                fixture, ckpt.loss(), plain.loss(), worst, plain.grads().size());
        assertEquals(plain.loss(), ckpt.loss(), 1e-5);
        assertTrue(worst <= 1e-5, "gradients differ by " + worst);
        assertTrue(plain.grads().values().stream().anyMatch(g -> g.length > 0 && g[0] != 0f), "premise: LoRA gets gradient");
    }

    @Test
    void refusedWithLoraDropout() {
        try (NDManager m = NDManager.newBaseManager()) {
            LoraModel lora = LoraModel.inject(ModelFamilies.load(Fixtures.dir("tiny-nemotron-h"), m),
                    new LoraConfig(4, 8, 0.1, List.of("q_proj"), false), 1, m);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new LoraTrainableModel(lora, true));
            assertTrue(e.getMessage().contains("lora_dropout"), e.getMessage());
        }
    }

    /** One LoRA step of 8 × 256 tokens on tiny-nemotron-h, each mode in a fresh JVM: checkpointing needs less. */
    @Test
    void lowerPeakMemory() throws Exception {
        long plain = childPeak("plain");
        long ckpt = childPeak("checkpointed");
        System.out.printf("tiny-nemotron-h step of 8 x 256 tokens, resident-set growth: %.1f MB recorded, %.1f MB "
                + "with gradient checkpointing (%.2f)%n", plain / 1e6, ckpt / 1e6, ckpt / (double) plain);
        assertTrue(ckpt < plain, "checkpointing should lower the step's peak memory: " + ckpt + " vs " + plain);
    }

    private static long childPeak(String mode) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(java, "-Xmx256m", "-Dai.djl.offline=true",
                "-Dai.djl.pytorch.num_threads=1", "-Dai.djl.pytorch.num_interop_threads=1",
                "-cp", System.getProperty("java.class.path"), GradientCheckpointingMemoryChild.class.getName(),
                Fixtures.dir("tiny-nemotron-h").toString(), mode, "8", "256"));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(5, TimeUnit.MINUTES), "child did not finish");
        assertEquals(0, p.exitValue(), out);
        for (String line : out.split("\n")) {
            if (line.startsWith("step_peak_bytes=")) {
                return Long.parseLong(line.substring("step_peak_bytes=".length()).trim());
            }
        }
        throw new AssertionError("no step_peak_bytes in child output:\n" + out);
    }
}
