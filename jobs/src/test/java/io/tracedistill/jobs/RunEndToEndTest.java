package io.tracedistill.jobs;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.tracedistill.model.CausalLm;
import io.tracedistill.peft.PeftAdapter;
import io.tracedistill.testdata.SampleDataGenerator;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The end-to-end command on a small bundled-style input: {@code tracedistill --cfg FILE} runs prepare,
 * tokenize, train (both phases, adapter, zip, report) and eval; the adapter loads back with the model
 * loader and changes the model's outputs; a re-run skips every step.
 */
class RunEndToEndTest {
    private static final Path TINY_MODEL = Path.of("..", "src", "embedded", "tiny-qwen2").toAbsolutePath().normalize();

    @Test
    void runsEveryStepThenSkipsThemOnRerun(@TempDir Path dir) throws Exception {
        Path data = dir.resolve("train.csv");
        Path eval = dir.resolve("eval.csv");
        SampleDataGenerator.writeFile(11, 120, data);
        SampleDataGenerator.writeFile(12, 6, eval);
        Path out = dir.resolve("out");
        Path cfg = dir.resolve("run.yaml");
        Files.writeString(cfg, String.join("\n",
                "base_model: " + TINY_MODEL,
                "data_path: " + data,
                "hard_types: [bit_manipulation, cryptarithm_deduce]",
                "output_dir: " + out,
                "lora_rank: 4",
                "lora_alpha: 8",
                "max_length: 512",
                "bf16: false",
                "spark_master: local[2]",
                "threads: 1",
                "phase1: {per_device_train_batch_size: 8, gradient_accumulation_steps: 1, learning_rate: 2.0e-3, logging_steps: 1, neftune_noise_alpha: 5.0}",
                "phase2: {per_device_train_batch_size: 8, gradient_accumulation_steps: 1, learning_rate: 2.0e-4, warmup_steps: 1, logging_steps: 1}",
                "base_model_name_for_submission: tiny-qwen2",
                "chat_date: '2025-07-10'",
                "eval_path: " + eval,
                "eval_max_new_tokens: 6",
                "eval_batch_size: 4",
                ""));

        String first = run(cfg);
        for (String step : List.of("[prepare] done", "[tokenize] done", "[train] done", "[eval] done")) {
            assertTrue(first.contains(step), "missing '" + step + "' in:\n" + first);
        }
        for (String f : List.of("prepared/manifest.json", "tokens/manifest.json", "metrics.jsonl", "report.md",
                "training_curves.png", "phase1_adapter/adapter_model.safetensors", "adapter/adapter_config.json",
                "eval/eval_report.json", "eval/eval_report.md", "eval/accuracy_by_type.png", "resolved_config.yaml")) {
            assertTrue(Files.exists(out.resolve(f)), "missing output " + f);
        }
        assertEquals(List.of("adapter_config.json", "adapter_model.safetensors"), zipEntries(out.resolve("submission.zip")));

        // The adapter loads back with the model loader and changes the model's outputs.
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray ids = m.create(new long[] {257, 117, 115, 101, 114, 10, 72, 105}, new Shape(1, 8));
            float[] base = CausalLm.load(TINY_MODEL, m).forward(ids).toFloatArray();
            CausalLm model = CausalLm.load(TINY_MODEL, m);
            PeftAdapter.load(model, out.resolve("adapter"), m);
            float[] adapted = model.forward(ids).toFloatArray();
            double maxDiff = 0;
            for (int i = 0; i < base.length; i++) {
                maxDiff = Math.max(maxDiff, Math.abs(base[i] - adapted[i]));
            }
            System.out.printf("adapter vs base: largest logit difference %.4g%n", maxDiff);
            assertTrue(maxDiff > 1e-3, "the trained adapter should change the logits, max diff " + maxDiff);
        }

        String second = run(cfg);
        for (String step : List.of("prepare", "tokenize", "train", "eval")) {
            assertTrue(second.contains("[" + step + "] up to date"), "re-run should skip " + step + ":\n" + second);
        }
    }

    private static String run(Path cfg) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Cli.run(new String[] {"--cfg", cfg.toString()}, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        String text = out.toString(StandardCharsets.UTF_8);
        assertEquals(0, code, "exit code; stdout:\n" + text + "\nstderr:\n" + err.toString(StandardCharsets.UTF_8));
        return text;
    }

    private static List<String> zipEntries(Path zip) throws Exception {
        List<String> names = new ArrayList<>();
        try (ZipInputStream in = new ZipInputStream(Files.newInputStream(zip))) {
            for (ZipEntry e; (e = in.getNextEntry()) != null; ) {
                names.add(e.getName());
            }
        }
        names.sort(null);
        return names;
    }
}
