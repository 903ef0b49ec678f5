package io.tracedistill.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tracedistill.config.ConfigLoader;
import io.tracedistill.config.RunConfig;
import io.tracedistill.model.SafeTensors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The job entry point end to end on tiny-qwen2: a YAML config, JSON-Lines token shards (the first
 * examples of the recorded trajectory), fresh LoRA (PEFT init), then submission.zip and report.md.
 */
class TrainRunTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** Writes the first {@code n} examples of a tokenized phase as a JSON-Lines shard. */
    private static Path shard(Path dir, int phase, int n) throws Exception {
        JsonNode tok = JSON.readTree(TrajectoryParityGoldenTest.resource("train_trajectory/tokenized_phase" + phase + ".json").toFile());
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            JsonNode e = tok.path("examples").get(i);
            lines.add(JSON.writeValueAsString(Map.of("position", i, "type", e.path("type").asText(), "input_ids", e.path("input_ids"),
                    "labels", e.path("labels"), "id", e.path("id").asText())));
        }
        Path f = dir.resolve("phase" + phase + ".jsonl");
        Files.write(f, lines);
        return f;
    }

    @Test
    void trainsPacksAndReports(@TempDir Path tmp) throws Exception {
        trainPackAndReport(tmp);
    }

    /**
     * PyTorch's grad mode is per thread and on by default on a new thread; DJL turns it off only on the thread
     * that initialised the engine. Training on another thread (a Spark driver thread, a notebook REPL) must
     * still work: found when the engine was first used by another test's thread.
     */
    @Test
    void trainsOnAThreadThatDidNotInitialiseTheEngine(@TempDir Path tmp) throws Exception {
        ai.djl.engine.Engine.getInstance(); // initialised here, on the test thread
        java.util.concurrent.atomic.AtomicReference<Throwable> failure = new java.util.concurrent.atomic.AtomicReference<>();
        boolean[] gradModeOnAtStart = new boolean[1];
        Thread t = new Thread(() -> {
            try {
                gradModeOnAtStart[0] = ai.djl.pytorch.jni.JniUtils.isGradMode();
                trainPackAndReport(tmp);
            } catch (Throwable e) {
                failure.set(e);
            }
        });
        t.start();
        t.join();
        assertTrue(gradModeOnAtStart[0], "premise: a new thread starts with PyTorch grad mode on");
        if (failure.get() != null) {
            throw new AssertionError("training on a fresh thread failed", failure.get());
        }
    }

    private static void trainPackAndReport(Path tmp) throws Exception {
        Path out = tmp.resolve("out");
        String yaml = "base_model: tiny-qwen2\n"
                + "data_path: data.csv\n"
                + "hard_types: [cipher]\n"
                + "output_dir: " + out + "\n"
                + "lora_rank: 4\nlora_alpha: 8\nmax_length: 256\nbf16: true\n"
                + "target_modules: [q_proj, v_proj]\n"
                + "base_model_name_for_submission: org/some-base\n"
                + "phase1: {per_device_train_batch_size: 2, gradient_accumulation_steps: 1, learning_rate: 0.001, logging_steps: 1}\n"
                + "phase2: {per_device_train_batch_size: 2, gradient_accumulation_steps: 1, learning_rate: 0.0001, logging_steps: 1}\n";
        RunConfig cfg = ConfigLoader.parse(yaml, "config.yaml");
        TrainRun.Outputs o = TrainRun.run(TrainRun.Settings.of(cfg), new JsonlTokenShardReader(shard(tmp, 1, 4)), new JsonlTokenShardReader(shard(tmp, 2, 2)),
                out, TrajectoryParityGoldenTest.resource("tiny-qwen2"), 256, false, Map.of("phase1_rows", 4),
                Map.of("phase1_examples", 4), null);
        assertEquals(2, o.training().phase1().totalSteps());
        assertEquals(1, o.training().phase2().totalSteps());
        // submission.zip: exactly the two plain entries, config patched.
        List<String> names = new ArrayList<>();
        JsonNode cfgInZip = null;
        try (ZipInputStream z = new ZipInputStream(Files.newInputStream(o.submissionZip().orElseThrow()))) {
            for (ZipEntry e; (e = z.getNextEntry()) != null; ) {
                names.add(e.getName());
                if (e.getName().equals("adapter_config.json")) {
                    cfgInZip = JSON.readTree(z.readAllBytes());
                }
            }
        }
        assertEquals(List.of("adapter_config.json", "adapter_model.safetensors"), names);
        assertEquals("org/some-base", cfgInZip.path("base_model_name_or_path").asText());
        assertTrue(cfgInZip.path("inference_mode").asBoolean());
        assertEquals(0.0, cfgInZip.path("lora_dropout").asDouble());
        assertEquals(4, cfgInZip.path("r").asInt());
        // The final adapter has the 2 layers x 2 modules x (A, B) tensors; B moved away from 0.
        Map<String, SafeTensors.HostTensor> w = TensorFiles.read(out.resolve("adapter/adapter_model.safetensors"));
        assertEquals(8, w.size());
        float maxB = 0;
        for (float v : w.get("base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight").values()) {
            maxB = Math.max(maxB, Math.abs(v));
        }
        assertTrue(maxB > 0, "lora_B should have been trained away from its zero init");
        // report.md and the chart.
        String report = Files.readString(o.report());
        assertTrue(report.contains("| 1 (train) | 4 | 2 |"), report);
        assertTrue(report.contains("precision: float32 (bf16 requested; on CPU float32 is used)"), report);
        assertTrue(report.contains("\"phase1_rows\" : 4"), report);
        assertTrue(report.contains("base_model: \"tiny-qwen2\""), report);
        assertTrue(Files.size(o.chart()) > 1000, "chart PNG should not be empty");
        byte[] png = Files.readAllBytes(o.chart());
        assertEquals((byte) 0x89, png[0]);
        assertEquals('P', png[1]);
        assertEquals(3, MetricsLog.read(out.resolve("metrics.jsonl")).size());
    }

    /**
     * A run whose memory plan exceeds device_memory_gb stops before loading any weight: the model directory
     * holds only config.json, so reaching the loader would fail differently.
     */
    @Test
    void tooSmallDeviceStopsBeforeLoadingWeights(@TempDir Path tmp) throws Exception {
        Path model = Files.createDirectories(tmp.resolve("config-only"));
        Files.copy(TrajectoryParityGoldenTest.resource("tiny-qwen2/config.json"), model.resolve("config.json"));
        RunConfig cfg = ConfigLoader.parse("base_model: " + model + "\ndata_path: d.csv\nhard_types: [a]\n"
                + "lora_rank: 4\nmax_length: 256\ndevice_memory_gb: 0.001\n", "config.yaml");
        io.tracedistill.memory.DeviceMemoryException e = org.junit.jupiter.api.Assertions.assertThrows(
                io.tracedistill.memory.DeviceMemoryException.class, () -> TrainRun.run(TrainRun.Settings.of(cfg), null, null, tmp.resolve("out"),
                        model, 0, false, Map.of(), Map.of(), null));
        String msg = e.getMessage();
        assertTrue(msg.startsWith("LoRA training does not fit one device of 0.001 GB (device_memory_gb): it needs about "), msg);
        assertTrue(msg.contains("Stopped before loading any weight"), msg);
        assertTrue(msg.contains("nothing fits, even with base_dtype: float16 + gradient_checkpointing: true + "), msg);
        assertTrue(msg.contains("| attention | 2 |") && msg.contains("| **total** |"), "the plan table: " + msg);
        assertTrue(Files.notExists(tmp.resolve("out")), "nothing written");
    }
}
