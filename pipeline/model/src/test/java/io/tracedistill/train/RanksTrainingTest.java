package io.tracedistill.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.tracedistill.config.DeviceSpec;
import io.tracedistill.config.LrSchedulerType;
import io.tracedistill.config.PhaseConfig;
import io.tracedistill.config.TrainSection;
import io.tracedistill.model.CausalLm;
import io.tracedistill.peft.LoraConfig;
import io.tracedistill.peft.LoraModel;
import io.tracedistill.peft.PeftAdapter;
import io.tracedistill.peft.PeftAdapterWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongPredicate;
import java.util.stream.LongStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * W ranks joined by a collective (threads here; Spark executors in production) against the in-process
 * {@code world_size: W} run on tiny-qwen2, NEFTune on and clipping engaged: the same steps within float
 * summation-order noise (the ranks sum their micro-batches' gradients in another order), every rank
 * holding bit-identical weights, and two runs bit-identical.
 */
class RanksTrainingTest {

    private static final double TOLERANCE = 1e-5;

    private record Run(List<StepRecord> steps, Map<String, float[]> adapter) {
    }

    private static TrainSettings settings(int worldSize) {
        PhaseConfig p1 = new PhaseConfig(2e-3, LrSchedulerType.LINEAR, 0, 1, 1, 2, 1e9, 5.0, 1);
        PhaseConfig p2 = new PhaseConfig(1e-3, LrSchedulerType.COSINE, 1, 1, 1, 2, 0.05, 5.0, 1);
        return new TrainSettings(new TrainSection(p1, p2, worldSize, 0), 256, 42, false, DeviceSpec.cpu(), 256, 1);
    }

    private static LoraModel lora(NDManager m) throws Exception {
        return LoraModel.inject(CausalLm.load(TrajectoryParityGoldenTest.resource("tiny-qwen2"), m),
                new LoraConfig(4, 8, 0.0, null, false), 7, m);
    }

    private static Map<String, float[]> weights(TrainableModel model) {
        Map<String, float[]> out = new LinkedHashMap<>();
        for (Map.Entry<String, NDArray> e : model.trainableParameters().entrySet()) {
            out.put(e.getKey(), e.getValue().toFloatArray());
        }
        return out;
    }

    /** world_size W emulated in one process (one replica accumulating gas × W micro-batches). */
    private static Run inProcess(Path out, int w) throws Exception {
        List<StepRecord> steps = new ArrayList<>();
        try (NDManager m = NDManager.newBaseManager()) {
            LoraModel lora = lora(m);
            LoraTrainableModel model = new LoraTrainableModel(lora);
            new TwoPhaseTrainer(settings(w), model, new PeftAdapterWriter(PeftAdapter.configJson(lora.config(), "tiny-qwen2")), steps::add)
                    .train(new InMemoryTokenShardReader(DataParallelTest.examples(11)), new InMemoryTokenShardReader(DataParallelTest.examples(5)),
                            out, false);
            return new Run(steps, weights(model));
        }
    }

    /**
     * A rank's view of a phase's examples that records which ones it read: {@link #open()} (the whole shard) fails,
     * {@link #open(LongPredicate)} records the indexes it hands out.
     */
    private static final class RecordingReader implements TokenShardReader {
        private final TokenShardReader all;
        final List<Long> read = new ArrayList<>();

        RecordingReader(List<TokenExample> examples) {
            this.all = new InMemoryTokenShardReader(examples);
        }

        @Override
        public java.util.Iterator<TokenExample> open() {
            throw new AssertionError("a rank opened the whole shard");
        }

        @Override
        public java.util.Iterator<IndexedExample> open(LongPredicate keep) {
            java.util.Iterator<IndexedExample> rows = all.open(keep);
            return new java.util.Iterator<>() {
                @Override
                public boolean hasNext() {
                    return rows.hasNext();
                }

                @Override
                public IndexedExample next() {
                    IndexedExample r = rows.next();
                    read.add(r.index());
                    return r;
                }
            };
        }

        @Override
        public long count() {
            return all.count();
        }
    }

    /**
     * W ranks on threads; rank 0's steps, and every rank's final weights (which must be identical). Each rank must
     * read exactly its own micro-batches' examples (micro-batches of 1 row here: example i is rank i mod W's).
     */
    private static Run ranks(Path out, int w) throws Exception {
        List<StepRecord> steps = new ArrayList<>();
        List<Map<String, float[]>> finals = RankThreads.run(w, c -> {
            try (NDManager m = NDManager.newBaseManager()) {
                LoraModel lora = lora(m);
                LoraTrainableModel model = new LoraTrainableModel(lora);
                RecordingReader p1 = new RecordingReader(DataParallelTest.examples(11));
                RecordingReader p2 = new RecordingReader(DataParallelTest.examples(5));
                new TwoPhaseTrainer(settings(w), model, new PeftAdapterWriter(PeftAdapter.configJson(lora.config(), "tiny-qwen2")),
                        c.rank() == 0 ? steps::add : null, c)
                        .train(p1, p2, out, false);
                assertEquals(LongStream.range(0, 11).filter(i -> i % w == c.rank()).boxed().toList(), p1.read,
                        "phase 1: rank " + c.rank() + " of " + w + " read exactly its own micro-batches' examples");
                assertEquals(LongStream.range(0, 5).filter(i -> i % w == c.rank()).boxed().toList(), p2.read,
                        "phase 2: rank " + c.rank() + " of " + w + " read exactly its own micro-batches' examples");
                return weights(model);
            }
        });
        for (int r = 1; r < w; r++) {
            for (Map.Entry<String, float[]> e : finals.get(0).entrySet()) {
                assertArrayEquals(e.getValue(), finals.get(r).get(e.getKey()), 0f, "rank " + r + " " + e.getKey() + " differs from rank 0");
            }
        }
        return new Run(steps, finals.get(0));
    }

    @ParameterizedTest(name = "W = {0}")
    @ValueSource(ints = {2, 3})
    void ranksEqualTheInProcessRun(int w, @TempDir Path tmp) throws Exception {
        Run single = inProcess(tmp.resolve("in-process"), w);
        Run ranks = ranks(tmp.resolve("ranks"), w);
        assertEquals(single.steps().size(), ranks.steps().size());
        double maxLoss = 0;
        double maxNorm = 0;
        for (int i = 0; i < single.steps().size(); i++) {
            StepRecord a = single.steps().get(i);
            StepRecord b = ranks.steps().get(i);
            assertEquals(a.positions(), b.positions(), "every micro-batch's positions, gathered from the ranks");
            assertEquals(a.paddedLengths(), b.paddedLengths());
            assertEquals(a.stepTokens(), b.stepTokens(), "the token count summed over the ranks");
            assertEquals(a.numItemsInBatch(), b.numItemsInBatch(), "the label-token count summed over the ranks");
            assertEquals(a.lr(), b.lr(), 0);
            assertEquals(a.clipped(), b.clipped());
            for (int k = 0; k < a.microBatchLosses().size(); k++) {
                maxLoss = Math.max(maxLoss, Math.abs(a.microBatchLosses().get(k) - b.microBatchLosses().get(k)));
            }
            maxLoss = Math.max(maxLoss, Math.abs(a.loss() - b.loss()));
            maxNorm = Math.max(maxNorm, Math.abs(a.gradNorm() - b.gradNorm()) / a.gradNorm());
        }
        assertTrue(single.steps().stream().anyMatch(StepRecord::clipped), "phase 2's clip at 0.05 must engage");
        double maxW = 0;
        for (Map.Entry<String, float[]> e : single.adapter().entrySet()) {
            float[] p = ranks.adapter().get(e.getKey());
            for (int j = 0; j < p.length; j++) {
                maxW = Math.max(maxW, Math.abs(p[j] - e.getValue()[j]));
            }
        }
        System.out.printf("%d ranks vs in-process world_size %d: max |dloss| %.2e, max rel dnorm %.2e, max |dW| %.2e (tolerance %.0e)%n",
                w, w, maxLoss, maxNorm, maxW, TOLERANCE);
        assertTrue(maxLoss <= TOLERANCE && maxNorm <= TOLERANCE && maxW <= TOLERANCE);
        assertTrue(Files.isRegularFile(tmp.resolve("ranks").resolve("adapter").resolve("adapter_model.safetensors")), "rank 0 wrote the adapter");
        assertEquals(MetricsLog.read(io.tracedistill.run.OutputLayout.ofLocal(tmp.resolve("in-process")).metrics().toLocalPath()).size(),
                MetricsLog.read(io.tracedistill.run.OutputLayout.ofLocal(tmp.resolve("ranks")).metrics().toLocalPath()).size(), "one metrics line per logged step, written once");
    }

    @Test
    void twoRunsOfTheRanksAreBitIdentical(@TempDir Path tmp) throws Exception {
        Run a = ranks(tmp.resolve("a"), 2);
        Run b = ranks(tmp.resolve("b"), 2);
        for (int i = 0; i < a.steps().size(); i++) {
            assertEquals(a.steps().get(i).loss(), b.steps().get(i).loss(), 0, "step " + i);
            assertEquals(a.steps().get(i).gradNorm(), b.steps().get(i).gradNorm(), 0, "step " + i);
        }
        for (Map.Entry<String, float[]> e : a.adapter().entrySet()) {
            assertArrayEquals(e.getValue(), b.adapter().get(e.getKey()), 0f, e.getKey());
        }
    }

    @Test
    void divergedRanksStopWithAClearMessage(@TempDir Path tmp) throws Exception {
        List<String> errors = RankThreads.run(2, c -> {
            try (NDManager m = NDManager.newBaseManager()) {
                LoraModel lora = lora(m);
                ai.djl.pytorch.jni.JniUtils.setGradMode(false);
                if (c.rank() == 1) {
                    lora.trainableParameters().values().iterator().next().addi(1e-3f); // a replica that is not rank 0's
                }
                try {
                    new TwoPhaseTrainer(settings(2), new LoraTrainableModel(lora), new PeftAdapterWriter(PeftAdapter.configJson(lora.config(), "t")),
                            null, c).train(new InMemoryTokenShardReader(DataParallelTest.examples(4)),
                            new InMemoryTokenShardReader(DataParallelTest.examples(4)), tmp, false);
                    return "trained";
                } catch (IllegalStateException e) {
                    return e.getMessage();
                }
            }
        });
        for (String e : errors) {
            assertTrue(e.contains("phase1 step 1: the ranks' LoRA weights diverged"), e);
        }
        assertFalse(Files.exists(tmp.resolve("adapter")));
    }
}
