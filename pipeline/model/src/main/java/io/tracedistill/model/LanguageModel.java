package io.tracedistill.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * A causal language model of any supported family ({@link CausalLm} for Llama / Qwen2 / Qwen3,
 * {@code nemotronh.NemotronH} for the hybrid Mamba-2 + MoE + attention Nemotron-H), as LoRA injection,
 * PEFT IO, generation and the trainer see it.
 *
 * <p>Adaptable projections are named slots: {@link #projections()} maps HF module paths
 * ({@code model.layers.0.self_attn.q_proj}, {@code backbone.layers.1.mixer.experts.3.up_proj}) to the
 * layer in the slot, and {@link #replaceProjection} swaps one (e.g. for a LoRA wrapper of the same base).
 * PEFT's saved keys are {@code base_model.model.} + that path, so key naming needs nothing per family.
 */
public interface LanguageModel {

    /** The parsed config.json ({@link HfConfig}, {@code nemotronh.NemotronHConfig}). */
    ModelConfig modelConfig();

    /** {@code model_type} of config.json ({@code llama}, {@code qwen2}, {@code qwen3}, {@code nemotron_h}). */
    default String modelType() {
        return modelConfig().modelType();
    }

    default int vocabSize() {
        return modelConfig().vocabSize();
    }

    /** {@code max_position_embeddings} (informational: longer sequences only warn). */
    default int maxPositionEmbeddings() {
        return modelConfig().maxPositionEmbeddings();
    }

    /**
     * True when positions enter through rotary embeddings (RoPE: Llama, Qwen2, Qwen3); false for a model without
     * positional encoding (Nemotron-H: its attention has no RoPE, its Mamba layers are ordered by the scan).
     */
    boolean rotaryPositions();

    /** config.json's eos id(s), possibly empty (generation_config.json may override them). */
    default List<Integer> eosTokenIds() {
        return modelConfig().eosTokenIds();
    }

    /**
     * Logits {@code [B, T, V]} float32 in {@code inputIds}' manager.
     *
     * @param inputIds      {@code [B, T]} int ids
     * @param attentionMask null (all ones) or {@code [B, past + T]}, 1 = real token, 0 = padding
     * @param positionIds   null (past..past+T-1) or {@code [B, T]}; ignored by families without positions
     * @param cache         null, or a cache from {@link #newCache} that is read and extended
     * @param training      enables dropout in LoRA layers
     */
    NDArray forward(NDArray inputIds, NDArray attentionMask, NDArray positionIds, DecodeCache cache, boolean training);

    /** Logits {@code [B, T, V]} for unpadded {@code inputIds [B, T]}: no cache, inference. */
    default NDArray forward(NDArray inputIds) {
        return forward(inputIds, null, null, null, false);
    }

    /**
     * Final normed hidden states {@code [B, T, hidden]} (the input of {@code lm_head}); arguments as
     * {@link #forward}; {@code embeddingHook} (null or NEFTune noise) is applied to the embedding output.
     */
    NDArray hiddenStates(NDArray inputIds, NDArray attentionMask, NDArray positionIds, DecodeCache cache,
                         boolean training, UnaryOperator<NDArray> embeddingHook);

    /**
     * The training forward with gradient checkpointing (no cache): as {@link #hiddenStates} with positions
     * 0..T-1, its layers run through a {@link GradientCheckpointing} whose {@code output()} are the final hidden
     * states; back-propagate with its {@code backward} instead of the collector's.
     */
    GradientCheckpointing checkpointedHiddenStates(NDArray inputIds, NDArray attentionMask, boolean training,
                                                   UnaryOperator<NDArray> embeddingHook);

    /** {@code lm_head}: hidden {@code [..., hidden]} -> logits {@code [..., V]}. */
    NDArray lmHead(NDArray hidden);

    /** An empty decoding cache for this model, its arrays in a sub-manager of {@code manager}. */
    DecodeCache newCache(NDManager manager);

    /** The current layer in every adaptable slot, by HF module path, in model order. */
    Map<String, Projection> projections();

    /** Every module path of the model as PEFT sees it (LoRA target names are matched against these). */
    List<String> moduleNames();

    /**
     * The slot path a PEFT adapter's module path means, for adapters saved from another implementation of the
     * same family (Nemotron-H: transformers' native class says {@code model.layers...} where the deployed
     * checkpoints say {@code backbone.layers...}). Identity by default.
     */
    default String canonicalModuleName(String moduleName) {
        return moduleName;
    }

    /** Replaces the layer in slot {@code moduleName} (a key of {@link #projections()}). */
    void replaceProjection(String moduleName, Projection replacement);

    /** Base weights by checkpoint name (read-only; frozen). */
    Map<String, NDArray> parameters();

    /**
     * A second model over the same base weight arrays (no copy), with the plain linear layer in every slot,
     * so another adapter can be injected beside this model's. Merging LoRA into it would write into the
     * shared weights: keep its adapters unmerged.
     */
    LanguageModel sharingBaseWeights(NDManager manager);
}
