package io.tracedistill.model.families;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tracedistill.model.CausalLm;
import io.tracedistill.model.Float16Base;
import io.tracedistill.model.HfConfig;
import io.tracedistill.model.LanguageModel;
import io.tracedistill.model.ModelLoadException;
import io.tracedistill.model.nemotronh.NemotronH;
import io.tracedistill.model.nemotronh.NemotronHConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Loads a HF model directory into the family its {@code config.json} names: {@code nemotron_h} ->
 * {@link NemotronH}; anything else -> {@link CausalLm} (Llama / Qwen2 / Qwen3, which refuses other types
 * with its own message). The one place that knows every family.
 */
public final class ModelFamilies {
    private ModelFamilies() {
    }

    /** The model of {@code modelDir} as float32 weights in {@code manager}. */
    public static LanguageModel load(Path modelDir, NDManager manager) {
        return load(modelDir, manager, false);
    }

    /**
     * As {@link #load(Path, NDManager)}; with {@code float16Base} the large base matrices are stored in FP16
     * ({@code base_dtype: float16}, see {@link Float16Base#largeMatrices()}).
     */
    public static LanguageModel load(Path modelDir, NDManager manager, boolean float16Base) {
        Float16Base float16 = float16Base ? Float16Base.largeMatrices() : null;
        return NemotronHConfig.MODEL_TYPE.equals(modelType(modelDir))
                ? NemotronH.load(modelDir, manager, float16) : CausalLm.load(modelDir, manager, float16);
    }

    /**
     * {@code max_position_embeddings} of {@code modelDir}'s config.json, validated by its family's config parser
     * (so an unsupported model fails here, before any weight is read).
     */
    public static int maxPositionEmbeddings(Path modelDir) {
        return NemotronHConfig.MODEL_TYPE.equals(modelType(modelDir))
                ? NemotronHConfig.load(modelDir).maxPositionEmbeddings()
                : HfConfig.load(modelDir).maxPositionEmbeddings();
    }

    /** {@code model_type} of {@code modelDir/config.json} ("" when absent). */
    public static String modelType(Path modelDir) {
        if (Files.isRegularFile(modelDir)) {
            throw new ModelLoadException("The model folder " + modelDir + " is a file, not a directory: pass the"
                    + " Hugging Face model directory that holds config.json and the *.safetensors files");
        }
        Path file = modelDir.resolve("config.json");
        if (!Files.isRegularFile(file)) {
            throw new ModelLoadException("No config.json in " + modelDir + ": pass a Hugging Face model directory");
        }
        try {
            JsonNode root = new ObjectMapper().readTree(file.toFile());
            return root.path("model_type").asText("");
        } catch (IOException e) {
            throw new ModelLoadException("Cannot read " + file + " as JSON: " + e.getMessage(), e);
        }
    }
}
