package io.tracedistill.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.tracedistill.model.LanguageModel;
import io.tracedistill.model.families.ModelFamilies;
import io.tracedistill.peft.LoraModel;
import io.tracedistill.peft.PeftAdapter;
import io.tracedistill.run.Phase;
import io.tracedistill.testdata.SampleDataGenerator;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The end-to-end command's tests on a tiny model: a run folder (sample train and eval CSVs, a run config with the
 * settings every such run shares), {@code tracedistill --cfg FILE} itself, and what a trained adapter does to the
 * logits when it is loaded back with the model loader.
 */
final class EndToEndRuns {
    /** "[prepare] done" … "[eval] done": what a full run prints. */
    private static final List<String> STEPS_DONE = List.of("[prepare] done", "[tokenize] done", "[train] done", "[eval] done");

    private EndToEndRuns() {
    }

    /**
     * Writes {@code dir/train.csv} ({@code trainRows} sample rows, seed {@code seed}), {@code dir/eval.csv}
     * ({@code evalRows}, seed {@code seed + 1}) and {@code dir/run.yaml} on {@code model} with output_dir
     * {@code dir/out}, LoRA r 4 α 8, float32, local[2] Spark, one thread, a fixed chat date and eval batch 4, plus
     * {@code runLines} (max_length, the phases, …); returns the config file.
     */
    static Path runFolder(Path dir, Path model, long seed, int trainRows, int evalRows, String... runLines) throws Exception {
        Path data = dir.resolve("train.csv");
        Path eval = dir.resolve("eval.csv");
        SampleDataGenerator.writeFile(seed, trainRows, data);
        SampleDataGenerator.writeFile(seed + 1, evalRows, eval);
        List<String> lines = new ArrayList<>(List.of(
                "base_model: " + model,
                "data_path: " + data,
                "hard_types: [bit_manipulation, cryptarithm_deduce]",
                "output_dir: " + dir.resolve("out"),
                "lora_rank: 4",
                "lora_alpha: 8",
                "bf16: false",
                "spark_master: local[2]",
                "threads: 1",
                "chat_date: '2025-07-10'",
                "eval_path: " + eval,
                "eval_batch_size: 4"));
        lines.addAll(List.of(runLines));
        lines.add("");
        Path cfg = dir.resolve("run.yaml");
        Files.writeString(cfg, String.join("\n", lines));
        return cfg;
    }

    /**
     * One phase's run-config line, e.g. {@code phase1: {per_device_train_batch_size: 8, gradient_accumulation_steps: 1,
     * learning_rate: 2.0e-3, logging_steps: 1, warmup_steps: 1}}: no accumulation, a log line every step, plus
     * {@code extra} ({@code "key: value"}).
     */
    static String phase(Phase phase, int batch, String learningRate, String... extra) {
        List<String> entries = new ArrayList<>(List.of("per_device_train_batch_size: " + batch,
                "gradient_accumulation_steps: 1", "learning_rate: " + learningRate, "logging_steps: 1"));
        entries.addAll(List.of(extra));
        return phase.folderName() + ": {" + String.join(", ", entries) + "}";
    }

    /** {@code tracedistill --cfg cfg}: must exit 0; returns what it printed. */
    static String run(Path cfg) {
        return run(new String[] {"--cfg", cfg.toString()});
    }

    /** {@link #run(Path)}, which must also run every step ("[prepare] done" … "[eval] done"). */
    static String runAllSteps(Path cfg) {
        String text = run(cfg);
        for (String step : STEPS_DONE) {
            assertTrue(text.contains(step), "missing '" + step + "' in:\n" + text);
        }
        return text;
    }

    /** {@code tracedistill <command> --cfg cfg <options>}: must exit 0; returns what it printed. */
    static String run(Path cfg, String command, String... options) {
        List<String> args = new ArrayList<>(List.of(command, "--cfg", cfg.toString()));
        args.addAll(List.of(options));
        return run(args.toArray(new String[0]));
    }

    private static String run(String[] args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Cli.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        String text = out.toString(StandardCharsets.UTF_8);
        assertEquals(0, code, "exit code; stdout:\n" + text + "\nstderr:\n" + err.toString(StandardCharsets.UTF_8));
        return text;
    }

    /** What a trained adapter does to one prompt's logits: its adapted Linears and the largest logit change. */
    record AdapterEffect(int adaptedLayers, double maxLogitDiff) {
    }

    /** Loads {@code adapter} onto {@code model} with the model loader and compares the logits of 8 tokens with the base's. */
    static AdapterEffect adapterEffect(Path model, Path adapter) {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray ids = m.create(new long[] {257, 117, 115, 101, 114, 10, 72, 105}, new Shape(1, 8));
            float[] base = ModelFamilies.load(model, m).forward(ids).toFloatArray();
            LanguageModel lm = ModelFamilies.load(model, m);
            LoraModel lora = PeftAdapter.load(lm, adapter, m);
            float[] adapted = lm.forward(ids).toFloatArray();
            double maxDiff = 0;
            for (int i = 0; i < base.length; i++) {
                maxDiff = Math.max(maxDiff, Math.abs(base[i] - adapted[i]));
            }
            assertTrue(maxDiff > 1e-3, "the trained adapter should change the logits, max diff " + maxDiff);
            return new AdapterEffect(lora.layers().size(), maxDiff);
        }
    }
}
