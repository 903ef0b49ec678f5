package io.tracedistill.jobs;


import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.tracedistill.run.Phase;
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
        Path cfg = EndToEndRuns.runFolder(dir, TINY_MODEL, 11, 120, 6,
                "max_length: 512",
                EndToEndRuns.phase(Phase.PHASE1, 8, "2.0e-3", "neftune_noise_alpha: 5.0"),
                EndToEndRuns.phase(Phase.PHASE2, 8, "2.0e-4", "warmup_steps: 1"),
                "base_model_name_for_submission: tiny-qwen2",
                "eval_max_new_tokens: 6");
        Path out = dir.resolve("out");

        EndToEndRuns.runAllSteps(cfg);
        for (String f : List.of("prepared/manifest.json", "tokens/manifest.json", "metrics.jsonl", "report.md",
                "training_curves.png", "phase1_adapter/adapter_model.safetensors", "adapter/adapter_config.json",
                "eval/eval_report.json", "eval/eval_report.md", "eval/accuracy_by_type.png", "resolved_config.yaml")) {
            assertTrue(Files.exists(out.resolve(f)), "missing output " + f);
        }
        assertEquals(List.of("adapter_config.json", "adapter_model.safetensors"), zipEntries(out.resolve("submission.zip")));

        // The adapter loads back with the model loader and changes the model's outputs.
        EndToEndRuns.AdapterEffect effect = EndToEndRuns.adapterEffect(TINY_MODEL, out.resolve("adapter"));
        System.out.printf("adapter vs base: largest logit difference %.4g%n", effect.maxLogitDiff());

        String second = EndToEndRuns.run(cfg);
        for (String step : List.of("prepare", "tokenize", "train", "eval")) {
            assertTrue(second.contains("[" + step + "] up to date"), "re-run should skip " + step + ":\n" + second);
        }

        // Issue 17 #4: a resume under a changed phase-1 setting refuses to reuse the finished phase, naming --force;
        // with --force it retrains from the start.
        byte[] adapterBefore = Files.readAllBytes(out.resolve("adapter/adapter_model.safetensors"));
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        String[] changed = {"train", "--cfg", cfg.toString(), "--resume", "--set", "phase1.learning_rate=3.0e-3"};
        int code = Cli.run(changed, new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        String refused = err.toString(StandardCharsets.UTF_8);
        assertEquals(1, code, refused);
        assertTrue(refused.contains("phase1 already finished") && refused.contains("--resume --force"), refused);
        String forced = EndToEndRuns.run(cfg, "train", "--resume", "--force", "--set", "phase1.learning_rate=3.0e-3");
        assertTrue(forced.contains("[train] --force: phase1 finished under other settings") && forced.contains("[train] done"),
                forced);
        assertTrue(!java.util.Arrays.equals(adapterBefore, Files.readAllBytes(out.resolve("adapter/adapter_model.safetensors"))),
                "retrained under the new learning rate");
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
