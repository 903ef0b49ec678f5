package io.tracedistill.model;

import java.util.List;

/**
 * What every family's parsed {@code config.json} ({@link HfConfig}, {@code nemotronh.NemotronHConfig}) tells the
 * family-independent code; {@link LanguageModel} answers these from its config.
 */
public interface ModelConfig {

    /** {@code model_type} ({@code llama}, {@code qwen2}, {@code qwen3}, {@code nemotron_h}). */
    String modelType();

    /** {@code vocab_size}. */
    int vocabSize();

    /** {@code max_position_embeddings} (informational: longer sequences only warn). */
    int maxPositionEmbeddings();

    /** config.json's eos id(s), possibly empty (generation_config.json may override them). */
    List<Integer> eosTokenIds();
}
