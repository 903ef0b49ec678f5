package io.tracedistill.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tracedistill.testdata.SampleDataGenerator;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code tracedistill experiment} on the bundled tiny model and a small generated input: the four arms land in their
 * folders, {@code trace_1phase} trains every training row exactly once (one phase, no phase-2 step),
 * {@code answer_only}'s assistant turns are {@code </think>\n\boxed{answer}} of the input rows, the side-by-side report
 * holds every arm with its held-out loss per type, and a second run skips every step.
 */
class ExperimentEndToEndTest {
    private static final Path TINY_MODEL = Path.of("..", "src", "embedded", "tiny-qwen2").toAbsolutePath().normalize();
    private static final long SEED = 21;
    private static final int ROWS = 120;

    @Test
    void fourArmsSideBySideAndARerunSkipsEverything(@TempDir Path dir) throws Exception {
        // JSON Lines shards, so this test reads the prepared rows with Jackson.
        Path cfg = EndToEndRuns.runFolder(dir, TINY_MODEL, SEED, ROWS, 6,
                "max_length: 512",
                "shard_format: jsonl",
                "phase1: {per_device_train_batch_size: 8, gradient_accumulation_steps: 1, learning_rate: 2.0e-3, logging_steps: 4}",
                "phase2: {per_device_train_batch_size: 8, gradient_accumulation_steps: 1, learning_rate: 2.0e-4, warmup_steps: 1, logging_steps: 2}",
                "holdout_fraction: 0.15",
                "eval_max_new_tokens: 6");
        Path out = dir.resolve("out");
        String first = EndToEndRuns.run(cfg, "experiment");

        // Every arm has its folder; the trained ones an adapter; one eval over all of them.
        for (String arm : List.of("zero_shot", "answer_only", "trace_1phase", "trace_2phase")) {
            assertTrue(Files.isDirectory(out.resolve("arms").resolve(arm)), arm);
        }
        for (String arm : List.of("answer_only", "trace_1phase", "trace_2phase")) {
            assertTrue(Files.isRegularFile(out.resolve("arms").resolve(arm).resolve("adapter/adapter_model.safetensors")), arm);
        }
        JsonNode eval = json(out.resolve("eval/eval_report.json"));
        List<String> evalArms = new ArrayList<>();
        eval.path("arms").forEach(a -> evalArms.add(a.path("name").asText()));
        assertEquals(List.of("base", "answer_only", "trace_1phase", "trace_2phase"), evalArms);

        // trace_1phase: every training row exactly once. Tokenize dropped nothing here, so the one-phase set is the
        // prepared kept rows (input - quarantined - held out), each once: phase 1's rows plus phase 2's easy rows.
        JsonNode prepared = json(out.resolve("data/prepared/manifest.json"));
        JsonNode dataTokens = json(out.resolve("data/tokens/manifest.json"));
        assertEquals(0, dataTokens.at("/quarantine/rows").asLong(), "tokenize dropped rows: " + dataTokens);
        long kept = prepared.at("/counts/kept").asLong();
        JsonNode onePhase = json(out.resolve("arms/trace_1phase/one_phase/tokens/manifest.json")).path("one_phase");
        assertEquals(kept, onePhase.path("rows").asLong(), onePhase.toString());
        assertEquals(kept, onePhase.path("from_phase1").asLong() + onePhase.path("from_phase2_easy").asLong());
        assertEquals(kept, lines(out.resolve("arms/trace_1phase/one_phase/tokens/phase1")).size());
        String trace1 = section(first, "arm trace_1phase");
        Matcher p1 = Pattern.compile("phase 1 Train: (\\d+) examples, (\\d+) steps").matcher(trace1);
        assertTrue(p1.find(), trace1);
        assertEquals(kept, Long.parseLong(p1.group(1)), trace1);
        assertEquals((kept + 7) / 8, Long.parseLong(p1.group(2)), "one epoch of batch 8: " + trace1);
        assertTrue(trace1.contains("phase 2 Nudge: 0 examples, 0 steps"), trace1);
        // trace_2phase trains phase 1 and phase 2 on the shared tokens (hard rows twice, by design).
        String trace2 = section(first, "arm trace_2phase");
        Matcher p2 = Pattern.compile("phase 2 Nudge: (\\d+) examples").matcher(trace2);
        assertTrue(p2.find() && Long.parseLong(p2.group(1)) > 0, trace2);

        // answer_only: the contract's rows (same rows, same order), each turn "</think>\n\boxed{answer}" of its input row.
        SampleDataGenerator gen = new SampleDataGenerator(SEED);
        List<SampleDataGenerator.Row> input = new ArrayList<>();
        for (int i = 0; i < ROWS; i++) {
            input.add(gen.next(i));
        }
        int checked = 0;
        for (String phase : List.of("phase1", "phase2")) {
            List<JsonNode> contract = lines(out.resolve("data/prepared").resolve(phase));
            List<JsonNode> answerOnly = lines(out.resolve("arms/answer_only/prepared").resolve(phase));
            assertEquals(contract.size(), answerOnly.size(), phase);
            for (int i = 0; i < contract.size(); i++) {
                JsonNode a = answerOnly.get(i);
                assertEquals(contract.get(i).path("source_row").asLong(), a.path("source_row").asLong());
                assertEquals(contract.get(i).path("prompt").asText(), a.path("prompt").asText());
                String answer = input.get((int) a.path("source_row").asLong()).answer();
                assertEquals("</think>\n\\boxed{" + answer + "}", a.path("completion").asText());
                checked++;
            }
        }
        assertTrue(checked > 50, "answer-only rows checked: " + checked);

        // The side-by-side report: every arm, accuracy and parse rate, held-out loss per type by arm.
        String report = Files.readString(out.resolve(ExperimentReport.MD));
        assertTrue(report.contains("| arm | boxed accuracy | parse rate | hard-type accuracy"), report);
        for (String label : List.of("| zero-shot (base, no training) |", "| answer-only SFT |", "| trace-distill, 1 phase |",
                "| trace-distill, 2 phase (Train→Nudge) |")) {
            assertEquals(2, report.lines().filter(l -> l.startsWith(label)).count(), label + "\n" + report);
        }
        assertTrue(report.contains("## Held-out loss per type by arm"), report);
        JsonNode rep = json(out.resolve(ExperimentReport.JSON_FILE));
        for (JsonNode a : rep.path("arms")) {
            assertTrue(a.path("heldout_loss").isNumber(), a.toString());
            assertTrue(a.path("accuracy").isNumber(), a.toString());
            assertFalse(a.path("heldout_loss_by_type").isEmpty(), a.toString());
        }
        // zero_shot's held-out loss is the base model's: the first evaluation, before any step, of every trained arm.
        double zero = rep.path("arms").get(0).path("heldout_loss").asDouble();
        double trained = rep.path("arms").get(3).path("heldout_loss").asDouble();
        assertTrue(trained < zero, "trace_2phase's held-out loss " + trained + " should be below the base's " + zero);

        // A second run: every step of every folder is up to date.
        String second = EndToEndRuns.run(cfg, "experiment");
        assertFalse(second.contains("] running"), second);
        assertEquals(10, second.lines().filter(l -> l.contains("] up to date")).count(), second);
        assertTrue(second.contains("| trace-distill, 1 phase |"), second);
    }

    /**
     * {@code heldout_source: eval_path} in an experiment: the held-out slice is the eval file's rows for every arm
     * (answer-only included, whose own training turns are answers only), no training row is set aside, and the report
     * gives each arm's held-out loss on those rows.
     */
    @Test
    void evalPathRowsAreEveryArmsHeldOutSlice(@TempDir Path dir) throws Exception {
        int evalRows = 8;
        Path cfg = EndToEndRuns.runFolder(dir, TINY_MODEL, SEED, 60, evalRows,
                "max_length: 512",
                "phase1: {per_device_train_batch_size: 8, gradient_accumulation_steps: 1, learning_rate: 2.0e-3, logging_steps: 4}",
                "phase2: {per_device_train_batch_size: 8, gradient_accumulation_steps: 1, learning_rate: 2.0e-4, logging_steps: 2}",
                "heldout_source: eval_path",
                "arms: [zero_shot, answer_only]",
                "eval_max_new_tokens: 4");
        Path out = dir.resolve("out");
        String run = EndToEndRuns.run(cfg, "experiment");

        JsonNode prepared = json(out.resolve("data/prepared/manifest.json"));
        assertEquals("eval_path", prepared.at("/heldout/source").asText(), prepared.toString());
        assertEquals(evalRows, prepared.at("/heldout/rows").asLong(), prepared.get("heldout").toString());
        assertEquals(60, prepared.at("/counts/kept").asLong() + prepared.at("/counts/quarantined").asLong(),
                "no training row is held out");
        // answer_only trains every kept training row once; the eval rows are not among them.
        JsonNode onePhase = json(out.resolve("arms/answer_only/one_phase/tokens/manifest.json")).path("one_phase");
        assertEquals(prepared.at("/counts/kept").asLong(), onePhase.path("rows").asLong(), onePhase.toString());
        String shared = section(run, "shared data");
        assertTrue(shared.contains("held out: " + evalRows + " eval_path rows"), shared);
        String answerOnly = section(run, "arm answer_only");
        assertTrue(answerOnly.contains("held-out tokens copied from"), answerOnly);

        JsonNode rep = json(out.resolve(ExperimentReport.JSON_FILE));
        assertEquals(2, rep.path("arms").size(), rep.toString());
        for (JsonNode a : rep.path("arms")) {
            assertTrue(a.path("heldout_loss").isNumber(), a.toString());
            assertFalse(a.path("heldout_loss_by_type").isEmpty(), a.toString());
        }
        String report = Files.readString(out.resolve(ExperimentReport.MD));
        assertTrue(report.contains("## Held-out loss per type by arm"), report);
    }

    /** The lines of one arm's part of the output: from "== <what>" to the next "== ". */
    private static String section(String output, String what) {
        int from = output.indexOf("== " + what);
        assertTrue(from >= 0, what + "\n" + output);
        int to = output.indexOf("\n== ", from + 3);
        return output.substring(from, to < 0 ? output.length() : to);
    }

    private static JsonNode json(Path file) throws IOException {
        return new ObjectMapper().readTree(file.toFile());
    }

    /** Every JSON line of a JSON Lines shard folder, files in name order. */
    private static List<JsonNode> lines(Path dir) throws IOException {
        ObjectMapper m = new ObjectMapper();
        List<JsonNode> out = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.filter(p -> !p.getFileName().toString().startsWith(".")).sorted().toList()) {
                for (String l : Files.readAllLines(f)) {
                    if (!l.isBlank()) {
                        out.add(m.readTree(l));
                    }
                }
            }
        }
        return out;
    }
}
