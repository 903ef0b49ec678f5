package io.tracedistill.peft;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import com.fasterxml.jackson.databind.JsonNode;
import io.tracedistill.model.CausalLmGoldenTestSupport;
import io.tracedistill.model.Fixtures;
import io.tracedistill.model.FullLogitsLoss;
import io.tracedistill.model.GreedyGenerator;
import io.tracedistill.model.LanguageModel;
import io.tracedistill.model.SafeTensors;
import io.tracedistill.model.families.ModelFamilies;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.IntStream;
import java.util.stream.Stream;

/**
 * LoRA on Nemotron-H with {@code tiny-nemotron-h/lora/} (PEFT 0.21 on NVIDIA's model code, deployed key layout
 * {@code base_model.model.backbone.layers.{i}.mixer.experts.{e}.up_proj.lora_A.weight}, r 4, α 12, 46 adapted
 * Linears incl. every routed expert, Mamba in_proj/out_proj, shared expert, attention, dense MLP):
 * logits/argmax/greedy with the adapter, padded batches, merge = {@code merged_changed_tensors}, unmerge,
 * save = the file's tensors, one training step (loss, every gradient, global norm, SGD and AdamW losses),
 * and the architecture-aware autodetect on this model.
 */
class NemotronHLoraGoldenTest {
    static final String DIR = "tiny-nemotron-h";
    static final String EXPECTED = DIR + "/lora/expected_with_adapter.json";
    static final String STEP = DIR + "/lora/train_step.json";
    static final double LOGIT_TOL = 1e-4;
    static final double GRAD_REL_TOL = 1e-4;

    static NDManager manager;
    static LoraModel adapted;
    static LoraTrainStep step;

    @BeforeAll
    static void load() {
        manager = NDManager.newBaseManager();
        adapted = AdapterFixtures.adapted(DIR, manager);
        // One training step on a second copy (the shared one stays gradient-free for the inference tests).
        step = LoraTrainStep.run(DIR);
    }

    @AfterAll
    static void close() {
        manager.close();
    }

    static LoraModel freshAdapted(NDManager m) {
        return AdapterFixtures.adapted(DIR, m);
    }

    static IntStream cases() {
        return IntStream.range(0, Fixtures.json(EXPECTED).get("cases").size());
    }

    @Test
    void adaptedModulesAreTheDeployedOnes() {
        List<String> want = new ArrayList<>();
        Fixtures.json(EXPECTED).get("adapted_modules").forEach(n -> want.add(n.asText()));
        assertEquals(46, want.size());
        assertEquals(new TreeSet<>(want), new TreeSet<>(adapted.layers().keySet()));
        assertEquals(3.0, adapted.config().scaling(), 0.0);
    }

    @ParameterizedTest(name = "case {0}")
    @MethodSource("cases")
    void adapterLogitsArgmaxAndGreedy(int k) {
        JsonNode c = Fixtures.json(EXPECTED).get("cases").get(k);
        int[] ids = Fixtures.ints(c.get("input_ids"));
        try (NDManager step = manager.newSubManager()) {
            float[][] got = Fixtures.logitsRow(adapted.model().forward(Fixtures.row(ids, step)), 0);
            double diff = Fixtures.maxAbsDiff(got, 0, ids.length, Fixtures.matrix(c.get("logits")), 0);
            System.out.printf("nemotron-h lora case %d: max |logit diff| with adapter = %.3e (tol %.0e)%n", k, diff,
                    LOGIT_TOL);
            assertTrue(diff <= LOGIT_TOL, "case " + k + ": " + diff);
            int[] argmax = new int[ids.length];
            for (int t = 0; t < ids.length; t++) {
                argmax[t] = CausalLmGoldenTestSupport.argmax(got[t]);
            }
            assertArrayEquals(Fixtures.ints(c.get("argmax_per_position")), argmax, "argmax case " + k);
        }
        int[] greedy = Fixtures.ints(c.get("greedy_new_tokens"));
        GreedyGenerator.Options opts = new GreedyGenerator.Options(greedy.length, List.of(), 0);
        assertArrayEquals(greedy, GreedyGenerator.generate(adapted.model(), List.of(ids), opts, manager).get(0),
                "greedy with cache, case " + k);
    }

    @Test
    void adapterPaddedBatches() {
        JsonNode root = Fixtures.json(EXPECTED);
        for (int k = 0; k < root.get("padded_batches").size(); k++) {
            double worst = CausalLmGoldenTestSupport.paddedBatchMaxDiff(adapted.model(), root, k, manager);
            System.out.printf("nemotron-h lora %s: max |logit diff| at real tokens = %.3e (tol %.0e)%n",
                    root.get("padded_batches").get(k).get("kind").asText(), worst, LOGIT_TOL);
            assertTrue(worst <= LOGIT_TOL, "padded batch " + k + ": " + worst);
        }
    }

    @Test
    void mergeMatchesPeftAndUnmergeRestoresBase() {
        try (NDManager local = NDManager.newBaseManager()) {
            LoraModel lora = freshAdapted(local);
            LanguageModel lm = lora.model();
            Map<String, float[]> before = new HashMap<>();
            lm.parameters().forEach((k, v) -> before.put(k, v.toFloatArray()));
            lora.merge();
            double worst = AdapterFixtures.mergedWeightsMaxDiff(lora, DIR, 46);
            System.out.printf("nemotron-h merge: max |W' diff| over 46 tensors = %.3e (tol 1e-5)%n", worst);
            assertTrue(worst <= 1e-5, "merged weights differ by " + worst);
            JsonNode c = Fixtures.json(EXPECTED).get("cases").get(3);
            int[] ids = Fixtures.ints(c.get("input_ids"));
            try (NDManager step = local.newSubManager()) {
                float[][] got = Fixtures.logitsRow(lm.forward(Fixtures.row(ids, step)), 0);
                double diff = Fixtures.maxAbsDiff(got, 0, ids.length, Fixtures.matrix(c.get("logits")), 0);
                System.out.printf("nemotron-h merged forward: max |logit diff| = %.3e (tol %.0e)%n", diff, LOGIT_TOL);
                assertTrue(diff <= LOGIT_TOL, "merged forward " + diff);
            }
            lora.unmerge();
            lora.layers().forEach((module, layer) -> assertArrayEquals(before.get(module + ".weight"),
                    layer.baseLayer().weight().toFloatArray(), 0f, "unmerge must restore " + module));
        }
    }

    @Test
    void saveWritesTheDeployedKeysAndValues(@TempDir Path tmp) throws Exception {
        PeftAdapter.save(adapted, tmp, DIR);
        SafeTensors.Reader want = SafeTensors.open(Fixtures.dir(DIR + "/lora/adapter_model.safetensors"));
        SafeTensors.Reader got = SafeTensors.open(tmp.resolve(PeftAdapter.WEIGHTS_FILE));
        assertEquals(92, want.entries().size());
        assertEquals(want.entries().keySet(), got.entries().keySet());
        for (String key : want.entries().keySet()) {
            assertArrayEquals(want.readFloats(key), got.readFloats(key), 0f, key);
        }
        assertTrue(got.entries().containsKey(
                "base_model.model.backbone.layers.1.mixer.experts.7.up_proj.lora_A.weight"));
        assertEquals(PeftAdapter.readConfig(Fixtures.dir(DIR + "/lora")).targetModules(),
                PeftAdapter.readConfig(tmp).targetModules());
        assertArrayEquals(Files.readAllBytes(Fixtures.dir(DIR + "/lora/adapter_model.safetensors")),
                Files.readAllBytes(tmp.resolve(PeftAdapter.WEIGHTS_FILE)), "adapter_model.safetensors bytes");
    }

    /** An adapter saved from transformers' native class ({@code model.layers...}) loads into the same slots. */
    @Test
    void nativeModelPrefixLoadsIntoTheSameSlots(@TempDir Path tmp) throws Exception {
        Path src = Fixtures.dir(DIR + "/lora");
        Files.copy(src.resolve(PeftAdapter.CONFIG_FILE), tmp.resolve(PeftAdapter.CONFIG_FILE));
        SafeTensors.Reader reader = SafeTensors.open(src.resolve(PeftAdapter.WEIGHTS_FILE));
        Map<String, SafeTensors.HostTensor> renamed = new LinkedHashMap<>();
        for (String key : reader.entries().keySet()) {
            renamed.put(key.replace("base_model.model.backbone.", "base_model.model.model."),
                    new SafeTensors.HostTensor(reader.entries().get(key).shape(), reader.readFloats(key)));
        }
        SafeTensors.write(tmp.resolve(PeftAdapter.WEIGHTS_FILE), renamed, Map.of("format", "pt"));
        try (NDManager local = NDManager.newBaseManager()) {
            LoraModel lora = PeftAdapter.load(ModelFamilies.load(Fixtures.dir(DIR), local), tmp, local);
            assertEquals(adapted.layers().keySet(), lora.layers().keySet());
            assertArrayEquals(adapted.trainableParameters().get(
                            "base_model.model.backbone.layers.5.mixer.experts.6.down_proj.lora_B.weight").toFloatArray(),
                    lora.trainableParameters().get(
                            "base_model.model.backbone.layers.5.mixer.experts.6.down_proj.lora_B.weight").toFloatArray());
        }
    }

    /** Autodetect on Nemotron-H: attention + Mamba in/out + MLP, reaching routed and shared experts. */
    @Test
    void architectureAwareTargetsOnNemotronH() {
        try (NDManager local = NDManager.newBaseManager()) {
            LanguageModel lm = ModelFamilies.load(Fixtures.dir(DIR), local);
            LoraConfig auto = new LoraConfig(4, 8, 0, null, false);
            List<String> targets = LoraModel.resolveTargets(lm, auto);
            assertEquals(List.of("q_proj", "k_proj", "v_proj", "o_proj", "in_proj", "out_proj", "up_proj", "down_proj"),
                    targets);
            LoraModel lora = LoraModel.inject(lm, auto, 7, local);
            assertEquals(46, lora.layers().size());
            for (String m : lora.layers().keySet()) {
                assertFalse(m.contains("conv1d") || m.endsWith(".gate") || m.equals("lm_head"), m);
            }
            assertTrue(lora.layers().containsKey("backbone.layers.5.mixer.experts.7.down_proj"));
            assertTrue(lora.layers().containsKey("backbone.layers.1.mixer.shared_experts.up_proj"));
            assertTrue(lora.layers().containsKey("backbone.layers.3.mixer.up_proj"));
            assertTrue(lora.layers().containsKey("backbone.layers.4.mixer.out_proj"));
        }
    }

    /**
     * PEFT refuses out_proj on Mamba models (its fused CUDA kernel would bypass the LoRA); this port has no
     * fused kernel, so out_proj's lora_B trains: a fresh adapter (B = 0) gets a non-zero gradient there.
     */
    @Test
    void outProjLoraBGetsGradient() {
        try (NDManager local = NDManager.newBaseManager(); NDManager step = local.newSubManager()) {
            LoraModel lora = LoraModel.inject(ModelFamilies.load(Fixtures.dir(DIR), local),
                    new LoraConfig(4, 8, 0, List.of("out_proj"), false), 3, local);
            lora.setTrainable(true);
            JsonNode s = Fixtures.json(STEP);
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray logits = lora.model().forward(Fixtures.ints2d(s.get("input_ids"), step),
                        Fixtures.ints2d(s.get("attention_mask"), step), null, null, true);
                gc.backward(FullLogitsLoss.mean(logits, Fixtures.ints2d(s.get("labels"), step)));
            }
            for (String layer : List.of("backbone.layers.0.mixer.out_proj", "backbone.layers.4.mixer.out_proj")) {
                float[] g = lora.layers().get(layer).loraB().getGradient().toFloatArray();
                double norm = 0;
                for (float x : g) {
                    norm += (double) x * x;
                }
                System.out.printf("%s lora_B grad L2 = %.4e%n", layer, Math.sqrt(norm));
                assertTrue(Math.sqrt(norm) > 1e-3, layer + " lora_B gets no gradient");
            }
        }
    }

    @Test
    void trainStepLossAndGlobalGradNorm() {
        JsonNode s = LoraTrainStep.record(DIR);
        double want = s.get("loss").asDouble();
        System.out.printf("nemotron-h train step loss %.8f vs %.8f (diff %.2e, tol 1e-5)%n", step.loss, want,
                Math.abs(step.loss - want));
        assertEquals(want, step.loss, 1e-5);
        double norm = step.globalGradNorm();
        double wantNorm = s.get("lora_grad_global_l2_norm").asDouble();
        System.out.printf("nemotron-h global grad L2 %.8f vs %.8f (rel diff %.2e, tol %.0e)%n", norm, wantNorm,
                Math.abs(norm - wantNorm) / wantNorm, GRAD_REL_TOL);
        assertEquals(wantNorm, norm, wantNorm * GRAD_REL_TOL);
        assertEquals(92, step.grads.size());
    }

    static Stream<String> gradKeys() {
        return LoraTrainStep.gradNames(DIR).stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("gradKeys")
    void perTensorGradient(String key) {
        double[] d = step.gradDiff(key);
        System.out.printf("nemotron-h %s: grad rel L2 diff %.2e, max abs %.2e (tol rel %.0e)%n",
                key.replace("base_model.model.backbone.", ""), d[0], d[1], GRAD_REL_TOL);
        assertTrue(d[0] <= GRAD_REL_TOL, key + ": relative grad diff " + d[0]);
    }

    @Test
    void sgdAndAdamwStepLosses() {
        JsonNode s = LoraTrainStep.record(DIR);
        double sgd = step.lossAfterUpdate(step.sgd());
        double wantSgd = s.get("sgd_step").get("loss_after").asDouble();
        System.out.printf("nemotron-h loss after SGD %.8f vs %.8f (diff %.2e, tol 1e-4)%n", sgd, wantSgd,
                Math.abs(sgd - wantSgd));
        assertEquals(wantSgd, sgd, 1e-4);
        double adamw = step.lossAfterUpdate(step.adamwFirstStep());
        double wantAdamw = s.get("adamw_step").get("loss_after").asDouble();
        System.out.printf("nemotron-h loss after AdamW %.8f vs %.8f (diff %.2e, tol 1e-4)%n", adamw, wantAdamw,
                Math.abs(adamw - wantAdamw));
        assertEquals(wantAdamw, adamw, 1e-4);
    }

}
