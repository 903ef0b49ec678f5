package io.tracedistill.jobs;

import io.tracedistill.run.Phase;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tracedistill.run.OutputLayout;
import io.tracedistill.train.MetricsLog;
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
        Path cfg = EndToEndRuns.runFolder(dir, TINY_NEMOTRON_H, 21, 48, 4,
                "max_length: 256",
                EndToEndRuns.phase(Phase.PHASE1, 2, "1.0e-2", "num_train_epochs: 2"),
                EndToEndRuns.phase(Phase.PHASE2, 4, "1.0e-4", "warmup_steps: 1"),
                "eval_max_new_tokens: 4");
        Path out = dir.resolve("out");
        EndToEndRuns.runAllSteps(cfg);
        assertTrue(Files.exists(out.resolve("eval/eval_report.json")));

        List<MetricsLog.Entry> log = MetricsLog.read(out.resolve(OutputLayout.METRICS));
        List<Double> phase1 = log.stream().filter(e -> e.phase() == Phase.PHASE1).map(MetricsLog.Entry::loss).toList();
        System.out.printf("nemotron-h end to end: phase-1 losses %s%n", phase1);
        assertTrue(phase1.size() >= 4, "phase-1 steps (2 epochs of batch 2): " + phase1);
        int n = phase1.size();
        assertTrue(phase1.get(n - 1) + phase1.get(n - 2) < phase1.get(0) + phase1.get(1),
                "the phase-1 loss should fall: " + phase1);

        EndToEndRuns.AdapterEffect effect = EndToEndRuns.adapterEffect(TINY_NEMOTRON_H, out.resolve("adapter"));
        System.out.printf("nemotron-h end to end: adapter vs base largest logit difference %.4g%n", effect.maxLogitDiff());
        assertEquals(46, effect.adaptedLayers());
    }
}
