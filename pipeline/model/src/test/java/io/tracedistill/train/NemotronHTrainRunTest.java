package io.tracedistill.train;

import io.tracedistill.run.Phase;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tracedistill.config.ConfigLoader;
import io.tracedistill.config.RunConfig;
import io.tracedistill.model.FullLogitsLoss;
import io.tracedistill.model.LanguageModel;
import io.tracedistill.model.families.ModelFamilies;
import io.tracedistill.peft.LoraModel;
import io.tracedistill.peft.PeftAdapter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Both training phases on tiny-nemotron-h through the job entry point ({@link TrainRun}), with architecture-aware
 * targets (attention, Mamba in/out, dense MLP, shared and routed experts): the loss falls over phase 1, and the
 * saved phase-1 adapter, reloaded into a fresh model, reproduces the loss the trainer computed with the live
 * model on phase 2's first step (that forward runs on the phase-1 weights, before the step's update).
 */
class NemotronHTrainRunTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The first {@code n} tokenized examples of the recorded trajectory's phase {@code phase} (positions 0..n-1). */
    static List<TokenExample> examples(int phase, int n) throws Exception {
        JsonNode tok = JSON.readTree(TrajectoryParityGoldenTest.resource("train_trajectory/tokenized_phase" + phase
                + ".json").toFile());
        List<TokenExample> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            JsonNode e = tok.path("examples").get(i);
            int[] ids = JSON.convertValue(e.path("input_ids"), int[].class);
            int[] labels = JSON.convertValue(e.path("labels"), int[].class);
            out.add(new TokenExample(i, e.path("type").asText(), ids, labels));
        }
        return out;
    }

    @Test
    void lossFallsAndTheSavedAdapterReproducesTrainingTimeLoss(@TempDir Path tmp) throws Exception {
        Path model = TrajectoryParityGoldenTest.resource("tiny-nemotron-h");
        Path out = tmp.resolve("out");
        String yaml = "base_model: tiny-nemotron-h\n"
                + "data_path: data.csv\n"
                + "hard_types: [cipher]\n"
                + "output_dir: " + out + "\n"
                + "lora_rank: 4\nlora_alpha: 8\nmax_length: 256\nbf16: false\nthreads: 1\n"
                + "phase1: {per_device_train_batch_size: 2, gradient_accumulation_steps: 1, learning_rate: 0.01, num_train_epochs: 3, logging_steps: 1,"
                + " neftune_noise_alpha: 0}\n"
                + "phase2: {per_device_train_batch_size: 1, gradient_accumulation_steps: 1, learning_rate: 0.001, warmup_steps: 0, logging_steps: 1,"
                + " neftune_noise_alpha: 0}\n";
        RunConfig cfg = ConfigLoader.parse(yaml, "config.yaml");
        List<TokenExample> phase1 = examples(1, 4);
        List<TokenExample> phase2 = examples(2, 2);
        List<StepRecord> steps = new ArrayList<>();
        TrainRun.run(TrainRun.Settings.of(cfg), new InMemoryTokenShardReader(phase1), new InMemoryTokenShardReader(phase2), out, model, 256,
                false, Map.of(), Map.of(), steps::add);
        List<Double> p1 = steps.stream().filter(s -> s.phase() == Phase.PHASE1).map(StepRecord::loss).toList();
        assertEquals(6, p1.size(), "4 examples, batch 2, 3 epochs");
        System.out.printf("nemotron-h phase-1 losses %s%n", p1);
        assertTrue(p1.get(4) + p1.get(5) < p1.get(0) + p1.get(1) - 0.5,
                "the loss should fall over phase 1 (same 4 examples, 3 epochs): " + p1);

        StepRecord first2 = steps.stream().filter(s -> s.phase() == Phase.PHASE2).findFirst().orElseThrow();
        TokenExample example = phase2.get((int) (long) first2.positions().get(0).get(0));
        try (NDManager m = NDManager.newBaseManager()) {
            LanguageModel lm = ModelFamilies.load(model, m);
            LoraModel lora = PeftAdapter.load(lm, out.resolve("phase1_adapter"), m);
            assertEquals(46, lora.layers().size(), "autodetect: q/k/v/o, in/out_proj, up/down of MLP and experts");
            NDArray ids = m.create(toLong(example.inputIds()), new Shape(1, example.length()));
            NDArray labels = m.create(toLong(example.labels()), new Shape(1, example.length()));
            double reloaded = FullLogitsLoss.mean(lora.model().forward(ids, null, null, null, false), labels).getFloat();
            System.out.printf("phase-2 step-1 loss: trainer %.7f, reloaded phase-1 adapter %.7f (diff %.2e, tol 1e-5)%n",
                    first2.loss(), reloaded, Math.abs(first2.loss() - reloaded));
            assertEquals(first2.loss(), reloaded, 1e-5);
        }
        Map<String, Long> files = new HashMap<>();
        for (String f : List.of("adapter/adapter_model.safetensors", "adapter/adapter_config.json", "submission.zip")) {
            files.put(f, Files.size(out.resolve(f)));
        }
        assertTrue(files.values().stream().allMatch(s -> s > 0), files.toString());
    }

    private static long[] toLong(int[] v) {
        long[] out = new long[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = v[i];
        }
        return out;
    }
}
