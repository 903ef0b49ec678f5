package io.tracedistill.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;

import java.util.LinkedHashMap;
import java.util.function.UnaryOperator;

/**
 * What the trainer needs from a causal LM with LoRA adapters: a training forward that stops before
 * the LM head, the LM head on selected rows, and the trainable tensors.
 *
 * <p>Splitting the head off lets the loss apply {@code lm_head} only to supervised positions (as
 * TRL's {@code chunked_nll} does), so the {@code [B, T, V]} logits of a long sequence and a large
 * vocabulary are never materialised. {@link LoraTrainableModel} adapts the project's
 * {@code io.tracedistill.model} / {@code io.tracedistill.peft} classes to this interface.
 */
public interface TrainableModel {

    /**
     * The training forward up to the final norm: {@code inputIds} {@code [B, T]} int64,
     * {@code attentionMask} {@code [B, T]} int64 (1 = real token, right padding); returns hidden states
     * {@code [B, T, H]} float32 with autograd recording when called inside a gradient collector.
     * {@code embeddingHook} is applied to the output of {@code embed_tokens} {@code [B, T, H]} (NEFTune).
     */
    NDArray hiddenStates(NDArray inputIds, NDArray attentionMask, UnaryOperator<NDArray> embeddingHook);

    /**
     * Back-propagates {@code loss} (computed from the last {@link #hiddenStates} output) into the trainable
     * tensors. A model with gradient checkpointing recomputes its layers here.
     */
    default void backward(GradientCollector collector, NDArray loss) {
        collector.backward(loss);
    }

    /**
     * The inference forward up to the final norm (no dropout, no embedding hook), for evaluation outside a gradient
     * collector: same shapes as {@link #hiddenStates}. The default is the training forward without a hook, right for a
     * model without dropout.
     */
    default NDArray evalHiddenStates(NDArray inputIds, NDArray attentionMask) {
        return hiddenStates(inputIds, attentionMask, null);
    }

    /** The LM head on selected rows: {@code [N, H]} -> logits {@code [N, V]}. */
    NDArray lmHead(NDArray hiddenRows);

    /**
     * The trainable tensors (the LoRA A/B weights), keyed by their PEFT saved names
     * ({@code base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight}), in a fixed order; each
     * has {@code setRequiresGradient(true)} and is updated in place by the optimizer.
     */
    LinkedHashMap<String, NDArray> trainableParameters();

    /** The manager that owns the model's arrays (inputs are created in it). */
    NDManager manager();

    /** {@code max_position_embeddings} of the base model (longer sequences only warn). */
    int maxPositionEmbeddings();

    /** True when the base model encodes positions with RoPE (what a sequence past max_position_embeddings strains). */
    boolean rotaryPositions();
}
