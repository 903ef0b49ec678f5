package io.tracedistill.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import io.tracedistill.model.GradientCheckpointing;
import io.tracedistill.peft.LoraModel;

import java.util.LinkedHashMap;
import java.util.function.UnaryOperator;

/**
 * Adapts a {@link LoraModel} (a {@code io.tracedistill.model.LanguageModel} with injected LoRA layers) to
 * the trainer's {@link TrainableModel}: training forward with right padding (positions 0..T-1, as HF
 * uses for right-padded batches), {@code lm_head} applied to selected rows, LoRA tensors as the only
 * trainable parameters (gradients attached here).
 */
public final class LoraTrainableModel implements TrainableModel {

    private final LoraModel lora;
    private final boolean gradientCheckpointing;
    private GradientCheckpointing pending; // the checkpointed forward awaiting its backward

    /** Wraps {@code lora} and attaches gradients to its LoRA tensors. */
    public LoraTrainableModel(LoraModel lora) {
        this(lora, false);
    }

    /**
     * As {@link #LoraTrainableModel(LoraModel)}; with {@code gradientCheckpointing} the layers are recomputed in
     * backward ({@link GradientCheckpointing}). Recomputation must see the same dropout masks, so LoRA dropout is
     * refused with it.
     */
    public LoraTrainableModel(LoraModel lora, boolean gradientCheckpointing) {
        if (gradientCheckpointing && lora.config().dropout() > 0) {
            throw new IllegalArgumentException("gradient_checkpointing: true with lora_dropout " + lora.config().dropout()
                    + ": the recomputed layers would draw new dropout masks; set lora_dropout: 0 or gradient_checkpointing: false");
        }
        this.lora = lora;
        this.gradientCheckpointing = gradientCheckpointing;
        lora.setTrainable(true);
    }

    @Override
    public NDArray hiddenStates(NDArray inputIds, NDArray attentionMask, UnaryOperator<NDArray> embeddingHook) {
        // embeddingHook (NEFTune) is applied to the embed_tokens output [B, T, H].
        if (gradientCheckpointing) {
            pending = lora.model().checkpointedHiddenStates(inputIds, attentionMask, true, embeddingHook);
            return pending.output(); // [B, T, H]
        }
        return lora.model().hiddenStates(inputIds, attentionMask, null, null, true, embeddingHook); // [B, T, H]
    }

    @Override
    public NDArray evalHiddenStates(NDArray inputIds, NDArray attentionMask) {
        return lora.model().hiddenStates(inputIds, attentionMask, null, null, false, null); // [B, T, H]
    }

    @Override
    public void backward(GradientCollector collector, NDArray loss) {
        if (pending == null) {
            collector.backward(loss);
            return;
        }
        GradientCheckpointing run = pending;
        pending = null;
        run.backward(collector, loss);
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

    @Override
    public boolean rotaryPositions() {
        return lora.model().rotaryPositions();
    }

    /** True when the layers are recomputed in backward ({@code gradient_checkpointing}). */
    public boolean gradientCheckpointing() {
        return gradientCheckpointing;
    }

    /** The wrapped model. */
    public LoraModel loraModel() {
        return lora;
    }
}
