package io.tracedistill.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tracedistill.run.OutputLayout;
import io.tracedistill.testdata.SampleDataGenerator;
import io.tracedistill.tokens.MaskedSpanPrinter;
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
 * Issue 14 through the CLI on a small generated input: {@code holdout_fraction} makes prepare and tokenize write the
 * held-out slice, train evaluates it (metrics.jsonl, best_adapter/, the report's per-type table, sentence and chart),
 * {@code inspect-tokens} prints examples with their trained spans, and {@code export} writes a merged model of the run's
 * adapter that loads.
 */
class HeldOutRunEndToEndTest {
    private static final Path TINY_MODEL = Path.of("..", "src", "embedded", "tiny-qwen2").toAbsolutePath().normalize();

    @Test
    void heldOutLossInspectTokensAndExport(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("out");
        Path cfg = config(dir, out);
        String first = cli("run", "--cfg", cfg.toString());
        assertTrue(first.contains("held-out: loss "), first);
        // prepare and tokenize wrote the slice; the manifest adds up.
        JsonNode prepared = new ObjectMapper().readTree(out.resolve("prepared/manifest.json").toFile());
        assertEquals(prepared.at("/counts/input").asLong(), prepared.at("/counts/kept").asLong()
                + prepared.at("/counts/quarantined").asLong() + prepared.at("/counts/heldout").asLong());
        assertTrue(prepared.at("/counts/heldout").asLong() > 0);
        JsonNode tokens = new ObjectMapper().readTree(out.resolve("tokens/manifest.json").toFile());
        assertEquals(prepared.at("/counts/heldout").asLong(), tokens.at("/heldout/input_rows").asLong());
        // train: held-out records at phase 1's start, ends of both phases; best_adapter/; the report.
        List<MetricsLog.HeldOutEntry> records = MetricsLog.readHeldOut(out.resolve(OutputLayout.METRICS));
        assertEquals(io.tracedistill.run.Phase.PHASE1, records.get(0).phase());
        assertEquals(0, records.get(0).step());
        assertEquals(io.tracedistill.run.Phase.PHASE2, records.get(records.size() - 1).phase());
        assertTrue(Files.isRegularFile(out.resolve("best_adapter/adapter_model.safetensors")));
        assertTrue(Files.isRegularFile(out.resolve(OutputLayout.HELD_OUT_CURVES)));
        String report = Files.readString(out.resolve("report.md"));
        assertTrue(report.contains("## Held-out loss per type"), report);
        assertTrue(report.contains("Phase 2 (Nudge) "), report);
        assertTrue(report.contains("| **bit_manipulation** (hard) |"), report);
        assertTrue(report.contains("| overall |"), report);

        // inspect-tokens: phase 1 examples with trained spans; the held-out slice filtered by type, with ids.
        String inspect = cli("inspect-tokens", "--cfg", cfg.toString(), "--n", "2");
        assertEquals(2, inspect.lines().filter(l -> l.startsWith("=== phase1 position ")).count(), inspect);
        assertTrue(inspect.contains(MaskedSpanPrinter.TRAINED_OPEN + "<think>") || inspect.contains(MaskedSpanPrinter.TRAINED_OPEN),
                inspect);
        assertTrue(inspect.contains("whole phase1 (tokens/manifest.json)"), inspect);
        String held = cli("inspect-tokens", "--cfg", cfg.toString(), "--phase", "heldout", "--type", "bit_manipulation",
                "--n", "1", "--ids");
        assertTrue(held.contains("=== heldout position ") && held.contains("type bit_manipulation"), held);
        assertTrue(held.contains("[bracketed = masked]"), held);

        // export: the run's adapter merged into the base; the merged folder loads and is complete.
        Path merged = dir.resolve("merged");
        String export = cli("export", "--adapter", out.resolve("adapter").toString(), "--model", TINY_MODEL.toString(),
                "--out", merged.toString(), "--dtype", "bfloat16");
        assertTrue(export.contains("merged"), export);
        assertTrue(Files.isRegularFile(merged.resolve("model.safetensors.index.json")));
        assertTrue(Files.isRegularFile(merged.resolve("tokenizer.json")));
        String gen = cli("generate", "--model", merged.toString(), "--input-ids", "1,2,3", "--max-new-tokens", "2");
        assertTrue(gen.startsWith("["), gen);
    }

    /**
     * {@code eval_generate_limit} through the CLI: the rows come from {@code prepared/heldout} (their answers read back
     * from the completions), every held-out record carries the greedy counts, the report has the accuracy table, and
     * with {@code metric_for_best: accuracy} and patience 1 an accuracy that does not improve (the tiny model never
     * writes a box) ends phase 1 at its first evaluation after step 0; phase 2 still runs.
     */
    @Test
    void greedyAccuracyAndEarlyStopping(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("out");
        Path cfg = config(dir, out, "eval_generate_limit: 6", "eval_max_new_tokens: 8", "eval_batch_size: 3",
                "metric_for_best: accuracy", "early_stopping_patience: 1");
        String run = cli("run", "--cfg", cfg.toString());
        assertTrue(run.contains("Greedy accuracy ") && run.contains("phase1 stopped early at step 4"), run);
        List<MetricsLog.HeldOutEntry> records = MetricsLog.readHeldOut(out.resolve(OutputLayout.METRICS));
        for (MetricsLog.HeldOutEntry e : records) {
            assertEquals(6, e.accuracy().orElseThrow().overall().rows(), e.toString());
        }
        assertEquals("phase1:0", records.get(0).phase().folderName() + ":" + records.get(0).step());
        MetricsLog.HeldOutEntry stop = records.get(1);
        assertTrue(stop.stoppedEarly() && stop.step() == 4 && stop.phase() == io.tracedistill.run.Phase.PHASE1, stop.toString());
        assertEquals(io.tracedistill.run.Phase.PHASE2, records.get(2).phase(), "phase 2 runs after phase 1 stopped");
        String report = Files.readString(out.resolve("report.md"));
        assertTrue(report.contains("Greedy decoding of 6 held-out prompts"), report);
        assertTrue(report.contains("phase1 stopped early at step 4: held-out accuracy did not improve for 1 evaluation(s)"), report);
        assertTrue(report.contains("(metric_for_best: accuracy)"), report);
    }

    /**
     * {@code heldout_source: eval_path}: the held-out slice is the eval file's rows (formatted and tokenized like
     * training rows, from a JSON Lines file with other columns than the CSV training file; its row without a trace is
     * quarantined with its reason), no training row is set aside, and the
     * trainer reports the held-out loss per type of the eval file's types.
     */
    @Test
    void evalPathRowsAreTheHeldOutSlice(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("out");
        // JSON Lines without the training file's id column: the same reader and contract, its own passthrough columns.
        Path eval = dir.resolve("eval.jsonl");
        SampleDataGenerator g = new SampleDataGenerator(12);
        ObjectMapper json = new ObjectMapper();
        StringBuilder lines = new StringBuilder();
        for (int i = 0; i < 20; i++) {
            SampleDataGenerator.Row r = g.next(i);
            lines.append(json.writeValueAsString(java.util.Map.of("prompt", r.prompt(), "generated_cot", r.cot(),
                    "answer", r.answer(), "type", r.type()))).append('\n');
        }
        lines.append("{\"prompt\": \"Which gravity constant?\", \"generated_cot\": \"\", \"answer\": \"3.2\", \"type\": \"gravity\"}\n");
        Files.writeString(eval, lines);
        Path cfg = config(dir, out, List.of("heldout_source: eval_path", "eval_path: " + eval));
        String run = cli("run", "--cfg", cfg.toString());
        assertTrue(run.contains("held-out: loss ") && run.contains("held out: 20 eval_path rows"), run);
        JsonNode prepared = new ObjectMapper().readTree(out.resolve("prepared/manifest.json").toFile());
        assertEquals(160, prepared.at("/counts/input").asLong());
        assertEquals(160, prepared.at("/counts/kept").asLong() + prepared.at("/counts/quarantined").asLong(),
                "no training row is held out");
        assertEquals("eval_path", prepared.at("/heldout/source").asText());
        assertEquals(21, prepared.at("/heldout/input").asLong());
        assertEquals(20, prepared.at("/heldout/rows").asLong());
        assertEquals(1, prepared.at("/heldout/quarantined").asLong(), prepared.get("heldout").toString());
        JsonNode tokens = new ObjectMapper().readTree(out.resolve("tokens/manifest.json").toFile());
        assertEquals(20, tokens.at("/heldout/input_rows").asLong());
        // The loss per type covers exactly the eval file's types.
        java.util.Set<String> evalTypes = new java.util.TreeSet<>();
        prepared.at("/heldout/rows_per_type").fieldNames().forEachRemaining(evalTypes::add);
        List<MetricsLog.HeldOutEntry> records = MetricsLog.readHeldOut(out.resolve(OutputLayout.METRICS));
        assertEquals(io.tracedistill.run.Phase.PHASE2, records.get(records.size() - 1).phase());
        for (MetricsLog.HeldOutEntry e : records) {
            assertEquals(evalTypes, new java.util.TreeSet<>(e.loss().byType().keySet()), e.toString());
            assertTrue(Double.isFinite(e.loss().loss()), e.toString());
        }
        assertTrue(Files.readString(out.resolve("report.md")).contains("## Held-out loss per type"));
    }

    /**
     * A run config over 160 generated rows (seed 11) in {@code dir}, 15% held out, evaluated every 4 steps, plus
     * {@code extra} lines.
     */
    private static Path config(Path dir, Path out, String... extra) throws Exception {
        List<String> lines = new java.util.ArrayList<>(List.of("holdout_fraction: 0.15"));
        lines.addAll(List.of(extra));
        return config(dir, out, lines);
    }

    /** The same run config with {@code heldOut} (the held-out keys) instead of {@code holdout_fraction: 0.15}. */
    private static Path config(Path dir, Path out, List<String> heldOut) throws Exception {
        Path data = dir.resolve("train.csv");
        SampleDataGenerator.writeFile(11, 160, data);
        Path cfg = dir.resolve("run.yaml");
        List<String> lines = new java.util.ArrayList<>(List.of(
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
                "phase1: {per_device_train_batch_size: 8, gradient_accumulation_steps: 1, learning_rate: 2.0e-3, logging_steps: 2}",
                "phase2: {per_device_train_batch_size: 8, gradient_accumulation_steps: 1, learning_rate: 2.0e-4, warmup_steps: 1, logging_steps: 2}",
                "chat_date: '2025-07-10'",
                "eval_steps: 4"));
        lines.addAll(heldOut);
        Files.writeString(cfg, String.join("\n", lines) + "\n");
        return cfg;
    }

    private static String cli(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Cli.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        String text = out.toString(StandardCharsets.UTF_8);
        assertEquals(0, code, String.join(" ", args) + ": exit code; stdout:\n" + text + "\nstderr:\n" + err.toString(StandardCharsets.UTF_8));
        return text;
    }
}
