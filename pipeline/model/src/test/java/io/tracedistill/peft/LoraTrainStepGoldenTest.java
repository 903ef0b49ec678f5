package io.tracedistill.peft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import com.fasterxml.jackson.databind.JsonNode;
import io.tracedistill.model.CausalLm;
import io.tracedistill.model.Fixtures;
import io.tracedistill.model.FullLogitsLoss;
import io.tracedistill.model.SafeTensors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * One LoRA training step on {@code tiny-qwen2/lora/train_step.json}: HF {@code ForCausalLMLoss}, the
 * gradient of every LoRA tensor vs {@code train_step_grads.safetensors}, the global grad norm and the
 * loss after one SGD step and after one AdamW step (the first step written out in the test; the
 * production AdamW is {@code io.tracedistill.train.AdamW}).
 */
class LoraTrainStepGoldenTest {
    static final String STEP = "tiny-qwen2/lora/train_step.json";
    static final double GRAD_REL_TOL = 1e-4;

    static NDManager manager;
    static LoraModel lora;
    static double loss;
    static final Map<String, float[]> GRADS = new LinkedHashMap<>();

    @BeforeAll
    static void step() {
        manager = NDManager.newBaseManager();
        lora = PeftAdapter.load(CausalLm.load(Fixtures.dir("tiny-qwen2"), manager), Fixtures.dir("tiny-qwen2/lora"), manager);
        lora.setTrainable(true);
        JsonNode s = Fixtures.json(STEP);
        try (NDManager step = manager.newSubManager();
             GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            NDArray ids = Fixtures.ints2d(s.get("input_ids"), step);
            NDArray mask = Fixtures.ints2d(s.get("attention_mask"), step);
            NDArray labels = Fixtures.ints2d(s.get("labels"), step);
            NDArray logits = lora.model().forward(ids, mask, null, null, true);
            FullLogitsLoss.LossSum sum = FullLogitsLoss.sum(logits, labels);
            assertEquals(s.get("num_loss_tokens").asLong(), sum.count());
            NDArray mean = sum.mean();
            loss = mean.getFloat();
            gc.backward(mean);
            lora.trainableParameters().forEach((k, v) -> GRADS.put(k, v.getGradient().toFloatArray()));
        }
    }

    @AfterAll
    static void close() {
        manager.close();
    }

    static Stream<Arguments> tensors() {
        List<Arguments> out = new ArrayList<>();
        SafeTensors.open(Fixtures.dir("tiny-qwen2/lora/train_step_grads.safetensors")).entries().keySet()
                .forEach(k -> out.add(Arguments.of(k.replace("base_model.model.model.", ""), k)));
        return out.stream();
    }

    @Test
    void lossMatchesForCausalLmLoss() {
        double want = Fixtures.json(STEP).get("loss").asDouble();
        System.out.printf("train step loss %.8f vs %.8f (diff %.2e, tol 1e-5)%n", loss, want, Math.abs(loss - want));
        assertEquals(want, loss, 1e-5);
    }

    @Test
    void globalGradNorm() {
        double sq = 0;
        for (float[] g : GRADS.values()) {
            for (float x : g) {
                sq += (double) x * x;
            }
        }
        double want = Fixtures.json(STEP).get("lora_grad_global_l2_norm").asDouble();
        double got = Math.sqrt(sq);
        System.out.printf("global grad L2 %.8f vs %.8f (rel diff %.2e, tol %.0e)%n", got, want, Math.abs(got - want) / want,
                GRAD_REL_TOL);
        assertEquals(want, got, want * GRAD_REL_TOL);
        assertEquals(20, GRADS.size(), "10 adapted modules x (A, B)");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("tensors")
    void perTensorGradient(String id, String key) {
        float[] want = SafeTensors.open(Fixtures.dir("tiny-qwen2/lora/train_step_grads.safetensors")).readFloats(key);
        float[] got = GRADS.get(key);
        double diffSq = 0;
        double refSq = 0;
        double maxAbs = 0;
        for (int i = 0; i < want.length; i++) {
            double d = got[i] - want[i];
            diffSq += d * d;
            refSq += (double) want[i] * want[i];
            maxAbs = Math.max(maxAbs, Math.abs(d));
        }
        double rel = Math.sqrt(diffSq / refSq);
        System.out.printf("%s: grad rel L2 diff %.2e, max abs %.2e (tol rel %.0e)%n", id, rel, maxAbs, GRAD_REL_TOL);
        assertTrue(rel <= GRAD_REL_TOL, id + ": relative grad diff " + rel);
    }

    @Test
    void sgdStepLoss() {
        JsonNode s = Fixtures.json(STEP);
        float lr = (float) s.get("sgd_step").get("lr").asDouble();
        double after = lossAfterUpdate(g -> {
            float[] d = new float[g.length];
            for (int i = 0; i < g.length; i++) {
                d[i] = lr * g[i];
            }
            return d;
        });
        double want = s.get("sgd_step").get("loss_after").asDouble();
        System.out.printf("loss after SGD step %.8f vs %.8f (diff %.2e, tol 1e-4)%n", after, want, Math.abs(after - want));
        assertEquals(want, after, 1e-4);
        assertTrue(after < loss, "SGD step must lower the loss");
    }

    @Test
    void adamwFirstStepLoss() {
        JsonNode a = Fixtures.json(STEP).get("adamw_step");
        double lr = a.get("lr").asDouble();
        double b1 = a.get("betas").get(0).asDouble();
        double b2 = a.get("betas").get(1).asDouble();
        double eps = a.get("eps").asDouble();
        assertEquals(0.0, a.get("weight_decay").asDouble());
        // Step 1 of torch.optim.AdamW: m = (1-b1) g, v = (1-b2) g², m̂ = m/(1-b1), v̂ = v/(1-b2),
        // p -= lr · m̂ / (sqrt(v̂) + eps).
        double after = lossAfterUpdate(g -> {
            float[] d = new float[g.length];
            for (int i = 0; i < g.length; i++) {
                double mHat = (1 - b1) * g[i] / (1 - b1);
                double vHat = (1 - b2) * (double) g[i] * g[i] / (1 - b2);
                d[i] = (float) (lr * mHat / (Math.sqrt(vHat) + eps));
            }
            return d;
        });
        double want = a.get("loss_after").asDouble();
        System.out.printf("loss after AdamW step %.8f vs %.8f (diff %.2e, tol 1e-4)%n", after, want, Math.abs(after - want));
        assertEquals(want, after, 1e-4);
    }

    /** Applies {@code p -= delta(grad)} to a fresh copy of the adapter and returns the new loss. */
    static double lossAfterUpdate(java.util.function.Function<float[], float[]> delta) {
        JsonNode s = Fixtures.json(STEP);
        try (NDManager local = NDManager.newBaseManager(); NDManager step = local.newSubManager()) {
            LoraModel fresh = PeftAdapter.load(CausalLm.load(Fixtures.dir("tiny-qwen2"), local),
                    Fixtures.dir("tiny-qwen2/lora"), local);
            for (Map.Entry<String, NDArray> p : fresh.trainableParameters().entrySet()) {
                float[] w = p.getValue().toFloatArray();
                float[] d = delta.apply(GRADS.get(p.getKey()));
                for (int i = 0; i < w.length; i++) {
                    w[i] -= d[i];
                }
                p.getValue().set(w);
            }
            NDArray logits = fresh.model().forward(Fixtures.ints2d(s.get("input_ids"), step),
                    Fixtures.ints2d(s.get("attention_mask"), step), null, null, false);
            return FullLogitsLoss.mean(logits, Fixtures.ints2d(s.get("labels"), step)).getFloat();
        }
    }
}
