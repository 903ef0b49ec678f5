package io.tracedistill.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tracedistill.config.DeviceSpec;
import io.tracedistill.config.LrSchedulerType;
import io.tracedistill.config.PhaseConfig;
import io.tracedistill.config.TrainSection;
import io.tracedistill.model.CausalLm;
import io.tracedistill.model.FullLogitsLoss;
import io.tracedistill.peft.LoraModel;
import io.tracedistill.peft.PeftAdapter;
import io.tracedistill.peft.PeftAdapterWriter;
import io.tracedistill.run.OutputLayout;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Held-out evaluation during training on tiny-qwen2 (trajectory examples: 2 per type held out, the rest trained in two
 * phases). The held-out records are where the schedule puts them; every phase-end loss equals a recomputation from the
 * saved adapter through the full-logits oracle ({@link FullLogitsLoss}, one example at a time) per type and overall;
 * {@code best_adapter/} holds the weights of the best record's step; and the evaluations do not change training (the
 * adapters are byte-identical to a run without them).
 */
class HeldOutTrainingTest {
    static final double TOL = 1e-5;
    static final int MAX_LENGTH = 256;
    static final int PAD = 256;
    static final int EVAL_STEPS = 3;

    static List<TokenExample> phase1 = new ArrayList<>();
    static List<TokenExample> phase2 = new ArrayList<>();
    static List<TokenExample> heldOut = new ArrayList<>();

    @BeforeAll
    static void examples() throws Exception {
        JsonNode tok = new ObjectMapper().readTree(TrajectoryParityGoldenTest.resource("train_trajectory/tokenized_phase1.json").toFile());
        Map<String, Integer> held = new HashMap<>();
        for (JsonNode e : tok.path("examples")) {
            int[] ids = new ObjectMapper().convertValue(e.path("input_ids"), int[].class);
            int[] labels = new ObjectMapper().convertValue(e.path("labels"), int[].class);
            String type = e.path("type").asText();
            if (held.merge(type, 1, Integer::sum) <= 2) {
                heldOut.add(new TokenExample(heldOut.size(), type, ids, labels));
            } else if (phase1.size() < 40) {
                phase1.add(new TokenExample(phase1.size(), type, ids, labels));
            } else if (phase2.size() < 16) {
                phase2.add(new TokenExample(phase2.size(), type, ids, labels));
            }
        }
    }

    static TrainSettings settings() {
        PhaseConfig p1 = new PhaseConfig(5e-3, LrSchedulerType.LINEAR, 0, 1, 4, 1, 1e9, 0.0, 2);
        PhaseConfig p2 = new PhaseConfig(1e-3, LrSchedulerType.COSINE, 1, 1, 4, 1, 1.0, 0.0, 2);
        return new TrainSettings(new TrainSection(p1, p2, 1, 0), MAX_LENGTH, 42, false, DeviceSpec.cpu(), PAD, 1);
    }

    /** Trains from the trajectory's initial adapter into {@code out}, with or without the held-out tracker. */
    static TrainResult train(Path out, boolean withHeldOut) throws Exception {
        try (NDManager m = NDManager.newBaseManager()) {
            LoraModel lora = PeftAdapter.load(CausalLm.load(TrajectoryParityGoldenTest.resource("tiny-qwen2"), m),
                    TrajectoryParityGoldenTest.resource("train_trajectory/initial_adapter"), m);
            HeldOutTracker tracker = withHeldOut
                    ? new HeldOutTracker(new HeldOutEvaluator(new InMemoryTokenShardReader(heldOut), 3, MAX_LENGTH, PAD), EVAL_STEPS)
                    : null;
            return new TwoPhaseTrainer(settings(), new LoraTrainableModel(lora),
                    new PeftAdapterWriter(PeftAdapter.configJson(lora.config(), "tiny-qwen2")), null)
                    .train(new InMemoryTokenShardReader(phase1), new InMemoryTokenShardReader(phase2), out, false, tracker);
        }
    }

    /** Per type {CE sum, targets} of the held-out slice under {@code adapter}, one example at a time, full logits. */
    static HeldOutLoss oracle(Path adapter) throws Exception {
        Map<String, double[]> sums = new TreeMap<>();
        double total = 0;
        long count = 0;
        try (NDManager m = NDManager.newBaseManager()) {
            LoraModel lora = PeftAdapter.load(CausalLm.load(TrajectoryParityGoldenTest.resource("tiny-qwen2"), m), adapter, m);
            for (TokenExample e0 : heldOut) {
                TokenExample e = e0.truncated(MAX_LENGTH);
                try (NDManager s = m.newSubManager()) {
                    long[] ids = new long[e.length()];
                    long[] labels = new long[e.length()];
                    for (int i = 0; i < ids.length; i++) {
                        ids[i] = e.inputIds()[i];
                        labels[i] = e.labels()[i];
                    }
                    NDArray logits = lora.model().forward(s.create(ids, new ai.djl.ndarray.types.Shape(1, ids.length))); // [1, T, V]
                    FullLogitsLoss.LossSum ls = FullLogitsLoss.sum(logits, s.create(labels, new ai.djl.ndarray.types.Shape(1, ids.length)));
                    double ce = ls.sum().getFloat();
                    double[] t = sums.computeIfAbsent(e.type(), k -> new double[3]);
                    t[0] += ce;
                    t[1] += ls.count();
                    t[2]++;
                    total += ce;
                    count += ls.count();
                }
            }
        }
        Map<String, HeldOutLoss.TypeLoss> byType = new HashMap<>();
        sums.forEach((k, v) -> byType.put(k, new HeldOutLoss.TypeLoss(v[0] / v[1], (long) v[1], (int) v[2])));
        return new HeldOutLoss(total / count, count, byType);
    }

    /** Largest |difference| of overall and per-type losses; targets and examples must be equal. */
    static double maxDiff(HeldOutLoss a, HeldOutLoss b) {
        assertEquals(a.targets(), b.targets());
        assertEquals(a.byType().keySet(), b.byType().keySet());
        double d = Math.abs(a.loss() - b.loss());
        for (String t : a.byType().keySet()) {
            assertEquals(a.byType().get(t).targets(), b.byType().get(t).targets(), t);
            assertEquals(a.byType().get(t).examples(), b.byType().get(t).examples(), t);
            d = Math.max(d, Math.abs(a.byType().get(t).loss() - b.byType().get(t).loss()));
        }
        return d;
    }

    /** The training records without their wall times. */
    static List<String> trainingRecords(Path out) throws IOException {
        return MetricsLog.read(out.resolve(OutputLayout.METRICS)).stream()
                .map(e -> e.phase() + " " + e.step() + " " + e.loss() + " " + e.lr() + " " + e.gradNorm() + " " + e.tokens()).toList();
    }

    @Test
    void heldOutLossIsScheduledRecomputableAndKeepsTheBestAdapterWithoutChangingTraining(@TempDir Path tmp) throws Exception {
        Path with = tmp.resolve("with");
        Path without = tmp.resolve("without");
        TrainResult r = train(with, true);
        train(without, false);
        // 1. Training is unchanged by the evaluations: both adapters byte-identical, same training records.
        for (String dir : List.of(OutputLayout.PHASE1_ADAPTER, OutputLayout.ADAPTER)) {
            assertArrayEquals(Files.readAllBytes(without.resolve(dir).resolve(PeftAdapter.WEIGHTS_FILE)),
                    Files.readAllBytes(with.resolve(dir).resolve(PeftAdapter.WEIGHTS_FILE)), dir);
        }
        assertEquals(trainingRecords(without), trainingRecords(with));
        // 2. Schedule: phase 1 step 0, every 3 steps, each phase's last step (10 and 4 steps).
        List<MetricsLog.HeldOutEntry> records = MetricsLog.readHeldOut(r.metrics());
        List<String> at = records.stream().map(e -> e.phase() + ":" + e.step()).toList();
        assertEquals(List.of("phase1:0", "phase1:3", "phase1:6", "phase1:9", "phase1:10", "phase2:3", "phase2:4"), at);
        assertEquals(6, records.get(0).loss().byType().size(), "every type of the slice");
        // 3. Phase ends equal the oracle on the saved adapters.
        double d1 = maxDiff(records.get(4).loss(), oracle(with.resolve(OutputLayout.PHASE1_ADAPTER)));
        double d2 = maxDiff(records.get(6).loss(), oracle(with.resolve(OutputLayout.ADAPTER)));
        System.out.printf("held-out loss vs full-logits recomputation from the saved adapter: phase 1 end %.3e, phase 2 end %.3e"
                + " (tol %.0e); overall %.4f -> %.4f -> %.4f%n", d1, d2, TOL, records.get(0).loss().loss(),
                records.get(4).loss().loss(), records.get(6).loss().loss());
        assertTrue(d1 <= TOL && d2 <= TOL, d1 + " / " + d2);
        assertTrue(records.get(4).loss().loss() < records.get(0).loss().loss(), "phase 1 lowers the held-out loss");
        // 4. best_adapter/ holds the best record's weights: the lowest loss, marked best, recomputed from the folder.
        MetricsLog.HeldOutEntry best = records.stream().min((a, b) -> Double.compare(a.loss().loss(), b.loss().loss())).orElseThrow();
        assertTrue(best.best());
        assertEquals(best, records.stream().filter(MetricsLog.HeldOutEntry::best).reduce((a, b) -> b).orElseThrow(),
                "the last record marked best is the lowest");
        Path bestDir = with.resolve(OutputLayout.BEST_ADAPTER);
        double db = maxDiff(best.loss(), oracle(bestDir));
        System.out.printf("best_adapter/ = %s step %d: held-out loss %.6f, recomputed from the folder: max diff %.3e%n",
                best.phase(), best.step(), best.loss().loss(), db);
        assertTrue(db <= TOL, "best_adapter/ is not the best step's weights: " + db);
        JsonNode bestStep = new ObjectMapper().readTree(bestDir.resolve(TwoPhaseTrainer.BEST_STEP_FILE).toFile());
        assertEquals(best.phase().folderName(), bestStep.get("phase").asText());
        assertEquals(best.step(), bestStep.get("step").asInt());
    }
}
