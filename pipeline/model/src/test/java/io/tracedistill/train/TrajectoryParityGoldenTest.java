package io.tracedistill.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tracedistill.config.DeviceSpec;
import io.tracedistill.config.LrSchedulerType;
import io.tracedistill.config.PhaseConfig;
import io.tracedistill.config.TrainSection;
import io.tracedistill.model.CausalLm;
import io.tracedistill.model.SafeTensors;
import io.tracedistill.peft.LoraModel;
import io.tracedistill.peft.PeftAdapter;
import io.tracedistill.peft.PeftAdapterWriter;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Trajectory parity with the Python reference (fixtures/train_trajectory, recorded with TRL's
 * SFTTrainer on tiny-qwen2, CPU float32): starting from {@code initial_adapter/}, both phases are
 * trained once (in {@link #trainBothPhases}), then every recorded optimizer step and both phase
 * adapters are a case.
 *
 * <p>Exact: examples and order, micro-batch composition and padded lengths, num_items_in_batch, clip
 * decisions, cumulative token count; LR within 1e-12 relative. Tolerances (the README's suggestions for a float32 port):
 * loss |Δ| ≤ 1e-4; grad_norm, update_l2 and adapter_l2_after relative ≤ 1e-4; adapter tensors
 * max |Δ| ≤ 1e-5 after each phase.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TrajectoryParityGoldenTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final double LOSS_TOL = 1e-4;
    private static final double REL_TOL = 1e-4;
    private static final double ADAPTER_TOL = 1e-5;

    private JsonNode trajectory;
    private final Map<Integer, int[]> orderByPhase = new HashMap<>();     // training position -> dataset index
    private final Map<String, StepRecord> steps = new LinkedHashMap<>();  // "phase1 step 3" -> record
    private final Map<String, double[]> l2 = new HashMap<>();             // -> {update_l2, adapter_l2_after}
    private Path output;
    private final double[] worst = new double[5]; // loss, grad rel, update rel, adapter-l2 rel, adapter abs

    static Path resource(String path) throws Exception {
        return Path.of(TrajectoryParityGoldenTest.class.getResource("/fixtures/" + path).toURI());
    }

    /** The phase's examples in training (stratified) order; position = index in that order. */
    private List<TokenExample> examples(int phase) throws Exception {
        JsonNode tok = JSON.readTree(resource("train_trajectory/tokenized_phase" + phase + ".json").toFile());
        JsonNode order = trajectory.path("phases").path("phase" + phase).path("stratified_order");
        int[] ord = new int[order.size()];
        List<TokenExample> out = new ArrayList<>();
        for (int k = 0; k < ord.length; k++) {
            ord[k] = order.get(k).asInt();
            JsonNode e = tok.path("examples").get(ord[k]);
            assertEquals(ord[k], e.path("index").asInt());
            out.add(new TokenExample(k, e.path("type").asText(), ints(e.path("input_ids")), ints(e.path("labels"))));
        }
        orderByPhase.put(phase, ord);
        return out;
    }

    private static int[] ints(JsonNode a) {
        int[] out = new int[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.get(i).asInt();
        }
        return out;
    }

    private static PhaseConfig phase(JsonNode p) {
        return new PhaseConfig(p.path("learning_rate").asDouble(), LrSchedulerType.valueOf(p.path("lr_scheduler_type").asText().toUpperCase(java.util.Locale.ROOT)),
                p.path("warmup_steps").asInt(), p.path("num_train_epochs").asInt(), p.path("per_device_train_batch_size").asInt(),
                p.path("gradient_accumulation_steps").asInt(), p.path("max_grad_norm").asDouble(),
                p.path("neftune_noise_alpha").asDouble(), p.path("logging_steps").asInt());
    }

    @BeforeAll
    void trainBothPhases() throws Exception {
        trajectory = JSON.readTree(resource("train_trajectory/trajectory.json").toFile());
        JsonNode cfg = trajectory.path("two_phase_config");
        List<TokenExample> p1 = examples(1);
        List<TokenExample> p2 = examples(2);
        output = Files.createTempDirectory("trajectory-parity");
        train(cfg, p1, p2, output);
    }

    /** The recorded run's settings with {@code worldSize} ranks of {@code gradAccum} micro-batches each. */
    TrainSettings settings(JsonNode cfg, int worldSize, int gradAccum) {
        PhaseConfig a = phase(cfg.path("phase1"));
        PhaseConfig b = phase(cfg.path("phase2"));
        if (gradAccum > 0) {
            a = new PhaseConfig(a.learningRate(), a.lrSchedulerType(), a.warmupSteps(), a.numTrainEpochs(), a.perDeviceTrainBatchSize(),
                    gradAccum, a.maxGradNorm(), a.neftuneNoiseAlpha(), a.loggingSteps());
            b = new PhaseConfig(b.learningRate(), b.lrSchedulerType(), b.warmupSteps(), b.numTrainEpochs(), b.perDeviceTrainBatchSize(),
                    gradAccum, b.maxGradNorm(), b.neftuneNoiseAlpha(), b.loggingSteps());
        }
        return new TrainSettings(new TrainSection(a, b, worldSize, 0),
                cfg.path("max_length").asInt(), cfg.path("seed").asLong(), cfg.path("bf16").asBoolean(), DeviceSpec.cpu(),
                trajectory.path("tokenizer").path("pad_token_id").asInt(), 2);
    }

    /** Trains both phases as the reference did (one process, batch 1 x accumulation 3); a subclass may lay them out otherwise. */
    void train(JsonNode cfg, List<TokenExample> p1, List<TokenExample> p2, Path out) throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            LoraTrainableModel model = new LoraTrainableModel(initialAdapter(manager));
            new TwoPhaseTrainer(settings(cfg, 1, 0), model, adapterWriter(), recorder(model))
                    .train(new InMemoryTokenShardReader(p1), new InMemoryTokenShardReader(p2), out, false);
        }
    }

    static LoraModel initialAdapter(NDManager manager) throws Exception {
        CausalLm base = CausalLm.load(resource("tiny-qwen2"), manager);
        return PeftAdapter.load(base, resource("train_trajectory/initial_adapter"), manager);
    }

    static PeftAdapterWriter adapterWriter() throws Exception {
        try (NDManager m = NDManager.newBaseManager()) {
            return new PeftAdapterWriter(PeftAdapter.configJson(initialAdapter(m).config(), "tiny-qwen2"));
        }
    }

    /** Records each step and the L2 norms of the update and of the adapter after it. */
    StepListener recorder(TrainableModel model) {
        float[][] before = {snapshot(model)};
        return r -> {
            float[] now = snapshot(model);
            double du = 0;
            double a = 0;
            for (int i = 0; i < now.length; i++) {
                double d = (double) now[i] - before[0][i];
                du += d * d;
                a += (double) now[i] * now[i];
            }
            before[0] = now;
            String id = r.phaseName() + " step " + r.step();
            steps.put(id, r);
            l2.put(id, new double[] {Math.sqrt(du), Math.sqrt(a)});
        };
    }

    private static float[] snapshot(TrainableModel m) {
        List<float[]> parts = new ArrayList<>();
        int n = 0;
        for (NDArray p : m.trainableParameters().values()) {
            float[] v = p.toFloatArray();
            parts.add(v);
            n += v.length;
        }
        float[] out = new float[n];
        int off = 0;
        for (float[] v : parts) {
            System.arraycopy(v, 0, out, off, v.length);
            off += v.length;
        }
        return out;
    }

    Stream<Arguments> recordedSteps() {
        List<Arguments> out = new ArrayList<>();
        for (int phase = 1; phase <= 2; phase++) {
            for (JsonNode s : trajectory.path("phases").path("phase" + phase).path("steps")) {
                String id = "phase" + phase + " step " + s.path("step").asInt();
                out.add(Arguments.of(org.junit.jupiter.api.Named.of(id, id), phase, s));
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("recordedSteps")
    void stepMatchesTheReference(String id, int phase, JsonNode expected) {
        StepRecord got = steps.get(id);
        assertTrue(got != null, id + " was not trained; steps trained: " + steps.keySet());
        int[] order = orderByPhase.get(phase);
        // Exact: which examples, how they were cut into micro-batches, padding, the loss denominator.
        List<List<Integer>> mbs = new ArrayList<>();
        for (List<Long> mb : got.positions()) {
            mbs.add(mb.stream().map(pos -> order[Math.toIntExact(pos)]).toList());
        }
        List<List<Integer>> expMbs = new ArrayList<>();
        for (JsonNode mb : expected.path("micro_batches")) {
            List<Integer> rows = new ArrayList<>();
            mb.forEach(x -> rows.add(x.asInt()));
            expMbs.add(rows);
        }
        assertEquals(expMbs, mbs, id + " micro-batches (dataset indices)");
        List<Integer> expLens = new ArrayList<>();
        expected.path("micro_batch_padded_len").forEach(x -> expLens.add(x.asInt()));
        assertEquals(expLens, got.paddedLengths(), id + " padded lengths");
        assertEquals(expected.path("num_items_in_batch").asInt(), got.numItemsInBatch(), id + " num_items_in_batch");
        assertEquals(expected.path("clipped").asBoolean(), got.clipped(), id + " clip decision");
        assertEquals(expected.path("num_tokens").asLong(), got.cumulativeTokens(), id + " cumulative non-pad tokens (TRL num_tokens)");
        double lr = expected.path("learning_rate").asDouble();
        assertEquals(lr, got.lr(), Math.abs(lr) * 1e-12, id + " learning rate");
        // Within tolerance: loss, pre-clip grad norm, update size, adapter size.
        double dLoss = Math.abs(got.loss() - expected.path("loss").asDouble());
        double dGrad = rel(got.gradNorm(), expected.path("grad_norm").asDouble());
        double[] norms = l2.get(id);
        double expUpdate = expected.path("update_l2").asDouble();
        double dUpdate = expUpdate == 0 ? norms[0] : rel(norms[0], expUpdate);
        double dAdapter = rel(norms[1], expected.path("adapter_l2_after").asDouble());
        for (int k = 0; k < got.microBatchLosses().size(); k++) {
            assertEquals(expected.path("micro_batch_losses").get(k).asDouble(), got.microBatchLosses().get(k), LOSS_TOL,
                    id + " micro-batch " + k + " loss");
        }
        synchronized (worst) {
            worst[0] = Math.max(worst[0], dLoss);
            worst[1] = Math.max(worst[1], dGrad);
            worst[2] = Math.max(worst[2], dUpdate);
            worst[3] = Math.max(worst[3], dAdapter);
        }
        System.out.printf("%s: loss %.6f (|d| %.2e)  grad_norm %.6f (rel %.2e)  lr %.6e  update_l2 rel %.2e  adapter_l2 rel %.2e%n",
                id, got.loss(), dLoss, got.gradNorm(), dGrad, got.lr(), dUpdate, dAdapter);
        assertTrue(dLoss <= LOSS_TOL, id + " loss " + got.loss() + " vs " + expected.path("loss").asDouble());
        assertTrue(dGrad <= REL_TOL, id + " grad_norm " + got.gradNorm() + " vs " + expected.path("grad_norm").asDouble());
        assertTrue(dUpdate <= (expUpdate == 0 ? 0 : REL_TOL), id + " update_l2 " + norms[0] + " vs " + expUpdate);
        assertTrue(dAdapter <= REL_TOL, id + " adapter_l2_after " + norms[1] + " vs " + expected.path("adapter_l2_after").asDouble());
    }

    Stream<Arguments> recordedAdapters() {
        return Stream.of(Arguments.of(org.junit.jupiter.api.Named.of("adapter after phase1", "phase1_adapter"), "adapter_after_phase1"),
                Arguments.of(org.junit.jupiter.api.Named.of("adapter after phase2", "adapter"), "adapter_after_phase2"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("recordedAdapters")
    void adapterMatchesTheReference(String ours, String reference) throws Exception {
        Map<String, SafeTensors.HostTensor> got = TensorFiles.read(output.resolve(ours).resolve("adapter_model.safetensors"));
        Map<String, SafeTensors.HostTensor> exp = TensorFiles.read(resource("train_trajectory/" + reference + "/adapter_model.safetensors"));
        assertEquals(new java.util.TreeSet<>(exp.keySet()), new java.util.TreeSet<>(got.keySet()), "tensor names");
        double max = 0;
        String where = "";
        for (String k : exp.keySet()) {
            float[] a = exp.get(k).values();
            float[] b = got.get(k).values();
            assertEquals(a.length, b.length, k);
            for (int i = 0; i < a.length; i++) {
                double d = Math.abs(a[i] - b[i]);
                if (d > max) {
                    max = d;
                    where = k + "[" + i + "]";
                }
            }
        }
        System.out.printf("%s vs %s: max |d| %.3e at %s (tolerance %.0e)%n", ours, reference, max, where, ADAPTER_TOL);
        worst[4] = Math.max(worst[4], max);
        assertTrue(max <= ADAPTER_TOL, ours + " differs from " + reference + " by " + max + " at " + where);
    }

    @AfterAll
    void printLargestDifferencesAndCleanUp() throws Exception {
        if (output != null) {
            Checkpoints.deleteTree(output);
        }
        System.out.printf("largest differences: loss %.2e, grad_norm rel %.2e, update_l2 rel %.2e, adapter_l2 rel %.2e, adapter max |d| %.2e%n",
                worst[0], worst[1], worst[2], worst[3], worst[4]);
    }

    private static double rel(double got, double exp) {
        return Math.abs(got - exp) / Math.max(Math.abs(exp), 1e-30);
    }
}
