package io.tracedistill.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tracedistill.config.DeviceSpec;
import io.tracedistill.config.EvalScorer;
import io.tracedistill.config.LrSchedulerType;
import io.tracedistill.config.MetricForBest;
import io.tracedistill.config.PhaseConfig;
import io.tracedistill.config.TrainSection;
import io.tracedistill.eval.ArmModels;
import io.tracedistill.eval.ArmSpec;
import io.tracedistill.eval.ContextLimit;
import io.tracedistill.eval.EvalExample;
import io.tracedistill.eval.EvalSettings;
import io.tracedistill.eval.LocalEval;
import io.tracedistill.eval.LocalEvalTest;
import io.tracedistill.eval.Prediction;
import io.tracedistill.model.CausalLm;
import io.tracedistill.model.GenerationConfig;
import io.tracedistill.peft.LoraModel;
import io.tracedistill.peft.PeftAdapter;
import io.tracedistill.peft.PeftAdapterWriter;
import io.tracedistill.run.OutputLayout;
import io.tracedistill.run.Phase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Greedy held-out accuracy during training ({@code eval_generate_limit}), {@code metric_for_best: accuracy} and
 * {@code early_stopping_patience} on tiny-qwen2 with the {@link HeldOutTrainingTest} slice and schedule (10 + 4 steps,
 * held-out evaluations every 3 steps). The fixture's random weights never write a box, so the accuracy is 0 at every
 * evaluation: what is checked is that the decoding is the eval job's (the same outputs as the eval job on the saved
 * adapter), that it does not change training (adapters byte-identical to a run without it), and that an accuracy that
 * never improves ends phase 1 after {@code early_stopping_patience} evaluations, also after a resume.
 */
class HeldOutAccuracyTrainingTest {
    static final String SUFFIX = LocalEvalTest.SUFFIX;
    static final int MAX_NEW = 6;
    static final int LIMIT = 5;

    @BeforeAll
    static void examples() throws Exception {
        if (HeldOutTrainingTest.heldOut.isEmpty()) { // HeldOutTrainingTest may have filled them in this JVM
            HeldOutTrainingTest.examples();
        }
    }

    /** Seven held-out rows of two types (the eval tests' rows); row 6 is too long for tiny-qwen2's 128 positions. */
    static List<EvalExample> rows() {
        return LocalEvalTest.examples();
    }

    /** The greedy evaluation of the rows {@link HeldOutGreedy#select} keeps, on {@code lora}'s model (batch size 2). */
    static HeldOutGreedy greedy(LoraModel lora, List<EvalExample> selected) throws Exception {
        Path model = TrajectoryParityGoldenTest.resource("tiny-qwen2");
        return new HeldOutGreedy(selected, ArmModels.encoder(model, true, Optional.empty()),
                new ContextLimit(HeldOutTrainingTest.MAX_LENGTH, lora.model().maxPositionEmbeddings(), MAX_NEW), lora.model(),
                GenerationConfig.load(model, lora.model()), ArmModels.decoder(model), EvalScorer.COMPETITION, 2, MAX_NEW,
                InProcessCollective.single());
    }

    static List<EvalExample> selected() {
        return HeldOutGreedy.select(rows(), EvalExample::type, LIMIT);
    }

    /** What a training run is given. */
    record Run(boolean heldOut, boolean greedy, MetricForBest metric, Optional<Integer> patience, int checkpointSteps,
               int failAtPhase1Step) {
    }

    static TrainSettings settings(int checkpointSteps) {
        TrainSettings s = HeldOutTrainingTest.settings();
        return new TrainSettings(new TrainSection(s.train().phase1(), s.train().phase2(), 1, checkpointSteps, false),
                s.maxLength(), s.seed(), false, DeviceSpec.cpu(), s.padTokenId(), 1);
    }

    /**
     * Trains into {@code out} (resuming when {@code resume}); a listener throws at phase 1's step
     * {@code failAtPhase1Step} (0 = never), as a crash would. {@code afterTraining} sees the trained model.
     */
    static TrainResult train(Path out, Run run, boolean resume, java.util.function.Consumer<HeldOutGreedy> afterTraining)
            throws Exception {
        try (NDManager m = NDManager.newBaseManager()) {
            LoraModel lora = PeftAdapter.load(CausalLm.load(TrajectoryParityGoldenTest.resource("tiny-qwen2"), m),
                    TrajectoryParityGoldenTest.resource("train_trajectory/initial_adapter"), m);
            HeldOutGreedy greedy = run.greedy() ? greedy(lora, selected()) : null;
            HeldOutTracker tracker = run.heldOut() ? new HeldOutTracker(new HeldOutEvaluator(
                    new InMemoryTokenShardReader(HeldOutTrainingTest.heldOut), 3, HeldOutTrainingTest.MAX_LENGTH,
                    HeldOutTrainingTest.PAD), Optional.ofNullable(greedy), HeldOutTrainingTest.EVAL_STEPS, run.metric(),
                    run.patience()) : null;
            StepListener crash = r -> {
                if (r.phase() == Phase.PHASE1 && r.step() == run.failAtPhase1Step()) {
                    throw new IllegalStateException("simulated crash at phase 1 step " + r.step());
                }
            };
            TrainResult result = new TwoPhaseTrainer(settings(run.checkpointSteps()), new LoraTrainableModel(lora),
                    new PeftAdapterWriter(PeftAdapter.configJson(lora.config(), "tiny-qwen2")), crash)
                    .train(new InMemoryTokenShardReader(HeldOutTrainingTest.phase1),
                            new InMemoryTokenShardReader(HeldOutTrainingTest.phase2), out, resume, tracker);
            if (afterTraining != null) {
                afterTraining.accept(greedy);
            }
            return result;
        }
    }

    static void assertSameAdapters(Path a, Path b) throws Exception {
        for (String dir : List.of(OutputLayout.PHASE1_ADAPTER, OutputLayout.ADAPTER)) {
            assertArrayEquals(Files.readAllBytes(a.resolve(dir).resolve(PeftAdapter.WEIGHTS_FILE)),
                    Files.readAllBytes(b.resolve(dir).resolve(PeftAdapter.WEIGHTS_FILE)), dir);
        }
    }

    static List<String> at(Path out) throws Exception {
        return MetricsLog.readHeldOut(out.resolve(OutputLayout.METRICS)).stream().map(e -> e.phase().folderName() + ":" + e.step()
                + (e.best() ? " best" : "") + (e.sinceBest() > 0 ? " since " + e.sinceBest() : "") + (e.stoppedEarly() ? " STOP" : ""))
                .toList();
    }

    @Test
    void selectTakesTheTypesInTurn() {
        List<Long> picked = selected().stream().map(EvalExample::rowIndex).toList();
        assertEquals(List.of(0L, 1L, 3L, 2L, 5L), picked, "math, words, math, words, math");
        assertEquals(7, HeldOutGreedy.select(rows(), EvalExample::type, 100).size());
    }

    @Test
    void greedyAccuracyIsTheEvalJobsAndDoesNotChangeTraining(@TempDir Path tmp) throws Exception {
        Path with = tmp.resolve("with");
        Path without = tmp.resolve("without");
        List<List<Prediction>> inTraining = new ArrayList<>();
        train(with, new Run(true, true, MetricForBest.LOSS, Optional.empty(), 0, 0), false,
                g -> inTraining.add(g.predictions()));
        train(without, new Run(false, false, MetricForBest.LOSS, Optional.empty(), 0, 0), false, null);
        // 1. Decoding does not disturb training: adapters byte-identical to a run without any held-out evaluation.
        assertSameAdapters(without, with);
        assertEquals(HeldOutTrainingTest.trainingRecords(without), HeldOutTrainingTest.trainingRecords(with));
        // 2. Every held-out record carries the greedy counts of the 5 selected rows, per type.
        List<MetricsLog.HeldOutEntry> records = MetricsLog.readHeldOut(with.resolve(OutputLayout.METRICS));
        assertEquals(7, records.size());
        for (MetricsLog.HeldOutEntry e : records) {
            HeldOutAccuracy a = e.accuracy().orElseThrow(() -> new AssertionError("no greedy counts in " + e));
            assertEquals(LIMIT, a.overall().rows());
            assertEquals(3, a.byType().get("math").rows());
            assertEquals(2, a.byType().get("words").rows());
        }
        // 3. The in-training decoder on the final weights gives the eval job's predictions on the saved adapter.
        EvalSettings eval = new EvalSettings(TrajectoryParityGoldenTest.resource("tiny-qwen2").toString(),
                List.of(ArmSpec.base(), new ArmSpec("adapter", with.resolve(OutputLayout.ADAPTER).toString())), MAX_NEW, 2,
                HeldOutTrainingTest.MAX_LENGTH, true, null, SUFFIX, EvalScorer.COMPETITION);
        List<Prediction> job = LocalEval.run(selected(), eval).stream().filter(p -> p.arm().equals("adapter")).toList();
        List<Prediction> ours = inTraining.get(0);
        assertEquals(job.size(), ours.size());
        for (int i = 0; i < job.size(); i++) {
            assertEquals(job.get(i).rowIndex(), ours.get(i).rowIndex());
            assertEquals(job.get(i).output(), ours.get(i).output(), "row " + job.get(i).rowIndex() + " output");
            assertEquals(job.get(i).finish(), ours.get(i).finish());
            assertEquals(job.get(i).parsed(), ours.get(i).parsed());
            assertEquals(job.get(i).correct(), ours.get(i).correct());
        }
        assertEquals(HeldOutAccuracy.of(job), records.get(records.size() - 1).accuracy().orElseThrow(),
                "phase 2's last record = the eval job's counts on adapter/");
        System.out.printf("greedy held-out: %d rows, outputs equal to the eval job's on adapter/ (%s); accuracy %.3f, parse rate %.3f%n",
                ours.size(), ours.stream().map(Prediction::finish).toList(), records.get(6).accuracy().get().overall().accuracy(),
                records.get(6).accuracy().get().overall().parseRate());
    }

    @Test
    void accuracyThatNeverImprovesStopsPhase1AndAResumedRunStopsAtTheSameStep(@TempDir Path tmp) throws Exception {
        Run stopping = new Run(true, true, MetricForBest.ACCURACY, Optional.of(2), 2, 0);
        Path straight = tmp.resolve("straight");
        train(straight, stopping, false, null);
        // Accuracy 0 at step 0 is the best; steps 3 and 6 do not improve it: patience 2 ends phase 1 at step 6 of 10.
        // Phase 2 still runs from there; its reference is phase 1's last evaluation, and its end is never "early".
        List<String> expected = List.of("phase1:0 best", "phase1:3 since 1", "phase1:6 since 2 STOP", "phase2:3 since 1",
                "phase2:4 since 2");
        assertEquals(expected, at(straight));
        List<MetricsLog.Entry> logged = MetricsLog.read(straight.resolve(OutputLayout.METRICS));
        assertEquals(6, logged.stream().filter(e -> e.phase() == Phase.PHASE1).mapToInt(MetricsLog.Entry::step).max().orElseThrow(),
                "phase 1's last trained step");
        assertEquals(4, logged.stream().filter(e -> e.phase() == Phase.PHASE2).mapToInt(MetricsLog.Entry::step).max().orElseThrow(),
                "phase 2 trained all its steps");
        String bestStep = Files.readString(straight.resolve(OutputLayout.BEST_ADAPTER).resolve(TwoPhaseTrainer.BEST_STEP_FILE));
        assertEquals("accuracy", new ObjectMapper().readTree(bestStep).get("metric_for_best").asText(), bestStep);
        assertEquals(0, new ObjectMapper().readTree(bestStep).get("step").asInt(), bestStep);

        // Crash at phase 1 step 5 (last checkpoint: step 4, after the evaluations at 0 and 3), then resume: the
        // tracker state comes back from the kept records, so phase 1 stops at step 6 again.
        Path crashed = tmp.resolve("crashed");
        assertThrows(IllegalStateException.class, () -> train(crashed, new Run(true, true, MetricForBest.ACCURACY,
                Optional.of(2), 2, 5), false, null));
        train(crashed, stopping, true, null);
        assertEquals(expected, at(crashed));
        assertSameAdapters(straight, crashed);
        System.out.println("early stopping (accuracy, patience 2): " + at(crashed) + "; identical after a crash at phase 1 step 5 + resume");
    }

    @Test
    void lossEarlyStoppingCountsFromThePhasesOwnBest() {
        HeldOutTracker t = new HeldOutTracker(new HeldOutEvaluator(new InMemoryTokenShardReader(List.of()), 1, 8, 0),
                Optional.empty(), 1, MetricForBest.LOSS, Optional.of(2));
        t.restore(List.of(entry(Phase.PHASE1, 0, 5.0), entry(Phase.PHASE1, 1, 4.0), entry(Phase.PHASE1, 2, 4.5)));
        assertEquals(1, t.evaluationsWithoutImprovement());
        // Phase 2 starts from phase 1's last value 4.5: 4.4 improves on it although phase 1's best was 4.0.
        t.restore(List.of(entry(Phase.PHASE2, 1, 4.4), entry(Phase.PHASE2, 2, 4.4)));
        assertEquals(1, t.evaluationsWithoutImprovement());
        t.restore(List.of(entry(Phase.PHASE2, 3, Double.NaN)));
        assertEquals(2, t.evaluationsWithoutImprovement(), "a NaN loss never improves");
        assertFalse(MetricForBest.LOSS.improves(4.4, 4.4));
    }

    private static MetricsLog.HeldOutEntry entry(Phase phase, int step, double loss) {
        return new MetricsLog.HeldOutEntry(phase, step, new HeldOutLoss(loss, 10, java.util.Map.of()), false);
    }

    @Test
    void accuracyCountsPerType() {
        List<Prediction> ps = List.of(pred(0, "a", true, true), pred(1, "a", true, false), pred(2, "b", false, false),
                pred(3, "b", true, true));
        HeldOutAccuracy a = HeldOutAccuracy.of(ps);
        assertEquals(new HeldOutAccuracy.Counts(4, 3, 2), a.overall());
        assertEquals(0.5, a.overall().accuracy());
        assertEquals(0.75, a.overall().parseRate());
        assertEquals(new HeldOutAccuracy.Counts(2, 2, 1), a.byType().get("a"));
        assertEquals(new HeldOutAccuracy.Counts(2, 1, 1), a.byType().get("b"));
        assertTrue(Double.isNaN(new HeldOutAccuracy.Counts(0, 0, 0).accuracy()));
        // metrics.jsonl round trip
        MetricsLog.HeldOutEntry e = new MetricsLog.HeldOutEntry(Phase.PHASE2, 4, new HeldOutLoss(1.5, 3, java.util.Map.of(
                "a", new HeldOutLoss.TypeLoss(1.5, 3, 2))), true, Optional.of(a), 2, true);
        assertEquals(e, MetricsLog.HeldOutEntry.fromJson(e.toJson()));
    }

    private static Prediction pred(long row, String type, boolean parsed, boolean correct) {
        return new Prediction(row, "training", type, "4", parsed ? "\\boxed{" + (correct ? 4 : 5) + "}" : "x",
                parsed ? (correct ? "4" : "5") : "", parsed, correct, 3, 2, Prediction.FINISH_EOS, Optional.empty());
    }
}
