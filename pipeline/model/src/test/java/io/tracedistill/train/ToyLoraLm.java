package io.tracedistill.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import java.util.LinkedHashMap;
import java.util.Random;
import java.util.function.UnaryOperator;

/**
 * A tiny causal "LM" for trainer tests (no transformer): hidden_t = mean(embed(x_0..x_t)) (causal),
 * logits = h·Wᵀ + 2·(h·Aᵀ)·Bᵀ with frozen W and trainable LoRA A [r, H], B [V, r].
 * Deterministic from {@code seed}; B starts non-zero so both A and B get gradients at step 1.
 */
final class ToyLoraLm implements TrainableModel {
    static final int V = 11;
    static final int H = 8;
    static final int R = 2;

    private final NDManager manager;
    private final NDArray embed;   // [V, H]
    private final NDArray w;       // [V, H]
    private final NDArray scaling; // scalar 2.0, held (never NDArray.mul(Number) in a training graph)
    private final LinkedHashMap<String, NDArray> lora = new LinkedHashMap<>();

    ToyLoraLm(NDManager manager, long seed) {
        this.manager = manager;
        Random rnd = new Random(seed);
        embed = manager.create(randoms(rnd, V * H, 1.0f), new Shape(V, H));
        w = manager.create(randoms(rnd, V * H, 0.5f), new Shape(V, H));
        scaling = manager.create(2.0f);
        NDArray a = manager.create(randoms(rnd, R * H, 0.3f), new Shape(R, H));
        NDArray b = manager.create(randoms(rnd, V * R, 0.1f), new Shape(V, R));
        a.setRequiresGradient(true);
        b.setRequiresGradient(true);
        lora.put("base_model.model.lm_head.lora_A.weight", a);
        lora.put("base_model.model.lm_head.lora_B.weight", b);
    }

    private static float[] randoms(Random rnd, int n, float scale) {
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            out[i] = (float) (rnd.nextGaussian() * scale);
        }
        return out;
    }

    @Override
    public NDArray hiddenStates(NDArray inputIds, NDArray attentionMask, UnaryOperator<NDArray> embeddingHook) {
        long t = inputIds.getShape().get(1);
        NDArray x = embed.get(new NDIndex("{}", inputIds.flatten())).reshape(inputIds.getShape().get(0), t, H); // [B, T, H]
        if (embeddingHook != null) {
            x = embeddingHook.apply(x);
        }
        NDArray counts = inputIds.getManager().arange(1, t + 1, 1, DataType.FLOAT32).reshape(1, t, 1);
        return x.cumSum(1).div(counts); // [B, T, H]
    }

    @Override
    public NDArray lmHead(NDArray rows) {
        NDArray a = lora.get("base_model.model.lm_head.lora_A.weight");
        NDArray b = lora.get("base_model.model.lm_head.lora_B.weight");
        return rows.matMul(w.transpose()).add(rows.matMul(a.transpose()).matMul(b.transpose()).mul(scaling));
    }

    @Override
    public LinkedHashMap<String, NDArray> trainableParameters() {
        return lora;
    }

    @Override
    public NDManager manager() {
        return manager;
    }

    @Override
    public int maxPositionEmbeddings() {
        return 6;
    }

    @Override
    public boolean rotaryPositions() {
        return true;
    }
}
