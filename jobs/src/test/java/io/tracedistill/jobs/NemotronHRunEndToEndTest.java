package io.tracedistill.jobs;

import io.tracedistill.run.Phase;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.tracedistill.model.LanguageModel;
import io.tracedistill.model.families.ModelFamilies;
import io.tracedistill.peft.LoraModel;
import io.tracedistill.peft.PeftAdapter;
import io.tracedistill.testdata.SampleDataGenerator;
import io.tracedistill.run.OutputLayout;
import io.tracedistill.train.MetricsLog;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole pipeline (prepare → tokenize → train both phases → eval) on the tiny Nemotron-H checkpoint (hybrid
 * Mamba-2 + MoE + attention) with its byte-level tokenizer and architecture-aware LoRA targets: every step
 * finishes, the phase-1 loss falls, and the final adapter loads back with the model loader (46 adapted Linears:
 * attention, Mamba in/out_proj, dense MLP, shared and routed experts) and changes the logits.
 */
class NemotronHRunEndToEndTest {
    private static final Path TINY_NEMOTRON_H = GenerateCommandTest.fixture("tiny-nemotron-h"); // pipeline/testdata copy

    @Test
    void twoPhaseRunOnNemotronH(@TempDir Path dir) throws Exception {
        Path data = dir.resolve("train.csv");
        Path eval = dir.resolve("eval.csv");
        SampleDataGenerator.writeFile(21, 48, data);
        SampleDataGenerator.writeFile(22, 4, eval);
        Path out = dir.resolve("out");
        Path cfg = dir.resolve("run.yaml");
        Files.writeString(cfg, String.join("\n",
                "base_model: " + TINY_NEMOTRON_H,
                "data_path: " + data,
                "hard_types: [bit_manipulation, cryptarithm_deduce]",
                "output_dir: " + out,
                "lora_rank: 4",
                "lora_alpha: 8",
                "max_length: 256",
                "bf16: false",
                "spark_master: local[2]",
                "threads: 1",
                "phase1: {per_device_train_batch_size: 2, gradient_accumulation_steps: 1, learning_rate: 1.0e-2, num_train_epochs: 2, logging_steps: 1}",
                "phase2: {per_device_train_batch_size: 4, gradient_accumulation_steps: 1, learning_rate: 1.0e-4, warmup_steps: 1, logging_steps: 1}",
                "chat_date: '2025-07-10'",
                "eval_path: " + eval,
                "eval_max_new_tokens: 4",
                "eval_batch_size: 4",
                ""));
        ByteArrayOutputStream stdout = new ByteArrayOutputStream();
        ByteArrayOutputStream stderr = new ByteArrayOutputStream();
        int code = Cli.run(new String[] {"--cfg", cfg.toString()}, new PrintStream(stdout, true, StandardCharsets.UTF_8),
                new PrintStream(stderr, true, StandardCharsets.UTF_8));
        String text = stdout.toString(StandardCharsets.UTF_8);
        assertEquals(0, code, "stdout:\n" + text + "\nstderr:\n" + stderr.toString(StandardCharsets.UTF_8));
        for (String step : List.of("[prepare] done", "[tokenize] done", "[train] done", "[eval] done")) {
            assertTrue(text.contains(step), "missing '" + step + "' in:\n" + text);
        }
        assertTrue(Files.exists(out.resolve("eval/eval_report.json")));

        List<MetricsLog.Entry> log = MetricsLog.read(out.resolve(OutputLayout.METRICS));
        List<Double> phase1 = log.stream().filter(e -> e.phase() == Phase.PHASE1).map(MetricsLog.Entry::loss).toList();
        System.out.printf("nemotron-h end to end: phase-1 losses %s%n", phase1);
        assertTrue(phase1.size() >= 4, "phase-1 steps (2 epochs of batch 2): " + phase1);
        int n = phase1.size();
        assertTrue(phase1.get(n - 1) + phase1.get(n - 2) < phase1.get(0) + phase1.get(1),
                "the phase-1 loss should fall: " + phase1);

        try (NDManager m = NDManager.newBaseManager()) {
            NDArray ids = m.create(new long[] {257, 117, 115, 101, 114, 10, 72, 105}, new Shape(1, 8));
            float[] base = ModelFamilies.load(TINY_NEMOTRON_H, m).forward(ids).toFloatArray();
            LanguageModel model = ModelFamilies.load(TINY_NEMOTRON_H, m);
            LoraModel lora = PeftAdapter.load(model, out.resolve("adapter"), m);
            assertEquals(46, lora.layers().size());
            float[] adapted = model.forward(ids).toFloatArray();
            double maxDiff = 0;
            for (int i = 0; i < base.length; i++) {
                maxDiff = Math.max(maxDiff, Math.abs(base[i] - adapted[i]));
            }
            System.out.printf("nemotron-h end to end: adapter vs base largest logit difference %.4g%n", maxDiff);
            assertTrue(maxDiff > 1e-3, "the trained adapter should change the logits, max diff " + maxDiff);
        }
    }
}
