package io.tracedistill.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.tracedistill.peft.LoraModel;

import java.util.LinkedHashMap;
import java.util.function.UnaryOperator;

/**
 * Adapts a {@link LoraModel} (a {@code io.tracedistill.model.LanguageModel} with injected LoRA layers) to
 * the trainer's {@link TrainableModel}: training forward with right padding (positions 0..T-1, as HF
 * uses for right-padded batches), {@code lm_head} applied to selected rows, LoRA tensors as the only
 * trainable parameters (gradients attached here).
 */
public final class CausalLmAdapter implements TrainableModel {

    private final LoraModel lora;

    /** Wraps {@code lora} and attaches gradients to its LoRA tensors. */
    public CausalLmAdapter(LoraModel lora) {
        this.lora = lora;
        lora.setTrainable(true);
    }

    @Override
    public NDArray hiddenStates(NDArray inputIds, NDArray attentionMask, UnaryOperator<NDArray> embeddingHook) {
        // embeddingHook (NEFTune) is applied to the embed_tokens output [B, T, H].
        return lora.model().hiddenStates(inputIds, attentionMask, null, null, true, embeddingHook); // [B, T, H]
    }

    @Override
    public NDArray lmHead(NDArray hiddenRows) {
        return lora.model().lmHead(hiddenRows); // [N, V]
    }

    @Override
    public LinkedHashMap<String, NDArray> trainableParameters() {
        return lora.trainableParameters();
    }

    @Override
    public NDManager manager() {
        return lora.manager();
    }

    @Override
    public int maxPositionEmbeddings() {
        return lora.model().maxPositionEmbeddings();
    }

    /** The wrapped model. */
    public LoraModel loraModel() {
        return lora;
    }
}
