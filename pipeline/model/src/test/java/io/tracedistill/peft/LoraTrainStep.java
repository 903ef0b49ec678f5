package io.tracedistill.peft;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import com.fasterxml.jackson.databind.JsonNode;
import io.tracedistill.model.Fixtures;
import io.tracedistill.model.FullLogitsLoss;
import io.tracedistill.model.SafeTensors;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * One LoRA training step on a fixture's {@code lora/train_step.json} with its {@code lora/} adapter (HF
 * {@code ForCausalLMLoss}, the mean over the supervised tokens), and what the families' train-step golden tests
 * compare with the reference: the loss, every LoRA gradient ({@code train_step_grads.safetensors}), the global
 * gradient norm, and the loss after one SGD and one AdamW update.
 */
final class LoraTrainStep {
    /** The fixture folder, e.g. {@code tiny-qwen2}. */
    final String fixture;
    /** The step's mean loss. */
    final double loss;
    /** Every LoRA tensor's gradient by PEFT saved name, in the model's order. */
    final Map<String, float[]> grads;

    private LoraTrainStep(String fixture, double loss, Map<String, float[]> grads) {
        this.fixture = fixture;
        this.loss = loss;
        this.grads = Collections.unmodifiableMap(grads);
    }

    /** The train-step record ({@code lora/train_step.json}). */
    static JsonNode record(String fixture) {
        return Fixtures.json(fixture + "/lora/train_step.json");
    }

    /** Runs the step on a fresh copy of the adapted model (checks the supervised-token count against the record). */
    static LoraTrainStep run(String fixture) {
        JsonNode s = record(fixture);
        Map<String, float[]> grads = new LinkedHashMap<>();
        try (NDManager local = NDManager.newBaseManager(); NDManager step = local.newSubManager()) {
            LoraModel lora = AdapterFixtures.adapted(fixture, local);
            lora.setTrainable(true);
            double loss;
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray logits = lora.model().forward(Fixtures.ints2d(s.get("input_ids"), step),
                        Fixtures.ints2d(s.get("attention_mask"), step), null, null, true);
                FullLogitsLoss.LossSum sum = FullLogitsLoss.sum(logits, Fixtures.ints2d(s.get("labels"), step));
                assertEquals(s.get("num_loss_tokens").asLong(), sum.count());
                NDArray mean = sum.mean();
                loss = mean.getFloat();
                gc.backward(mean);
            }
            lora.trainableParameters().forEach((k, v) -> grads.put(k, v.getGradient().toFloatArray()));
            return new LoraTrainStep(fixture, loss, grads);
        }
    }

    /** The reference gradient names ({@code train_step_grads.safetensors}). */
    static List<String> gradNames(String fixture) {
        return List.copyOf(SafeTensors.open(Fixtures.dir(fixture + "/lora/train_step_grads.safetensors")).entries().keySet());
    }

    /** L2 norm of all gradients together. */
    double globalGradNorm() {
        double sq = 0;
        for (float[] g : grads.values()) {
            for (float x : g) {
                sq += (double) x * x;
            }
        }
        return Math.sqrt(sq);
    }

    /** {@code {relative L2 difference, largest absolute difference}} of tensor {@code name}'s gradient vs the reference. */
    double[] gradDiff(String name) {
        float[] want = SafeTensors.open(Fixtures.dir(fixture + "/lora/train_step_grads.safetensors")).readFloats(name);
        float[] got = grads.get(name);
        double diffSq = 0;
        double refSq = 0;
        double maxAbs = 0;
        for (int i = 0; i < want.length; i++) {
            double d = got[i] - want[i];
            diffSq += d * d;
            refSq += (double) want[i] * want[i];
            maxAbs = Math.max(maxAbs, Math.abs(d));
        }
        return new double[] {Math.sqrt(diffSq / refSq), maxAbs};
    }

    /** SGD: {@code p -= lr · g}, lr from the record's {@code sgd_step}. */
    Function<float[], float[]> sgd() {
        float lr = (float) record(fixture).get("sgd_step").get("lr").asDouble();
        return g -> {
            float[] d = new float[g.length];
            for (int i = 0; i < g.length; i++) {
                d[i] = lr * g[i];
            }
            return d;
        };
    }

    /**
     * The first torch.optim.AdamW step (the record's {@code adamw_step}, no weight decay): the bias-corrected moments
     * are m̂ = g and v̂ = g², so {@code p -= lr · g / (|g| + eps)}.
     */
    Function<float[], float[]> adamwFirstStep() {
        JsonNode a = record(fixture).get("adamw_step");
        assertEquals(0.0, a.get("weight_decay").asDouble());
        double lr = a.get("lr").asDouble();
        double eps = a.get("eps").asDouble();
        return g -> {
            float[] d = new float[g.length];
            for (int i = 0; i < g.length; i++) {
                d[i] = (float) (lr * g[i] / (Math.abs((double) g[i]) + eps));
            }
            return d;
        };
    }

    /** Applies {@code p -= delta(grad)} to a fresh copy of the adapter and returns the new mean loss. */
    double lossAfterUpdate(Function<float[], float[]> delta) {
        JsonNode s = record(fixture);
        try (NDManager local = NDManager.newBaseManager(); NDManager step = local.newSubManager()) {
            LoraModel fresh = AdapterFixtures.adapted(fixture, local);
            for (Map.Entry<String, NDArray> p : fresh.trainableParameters().entrySet()) {
                float[] w = p.getValue().toFloatArray();
                float[] d = delta.apply(grads.get(p.getKey()));
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
