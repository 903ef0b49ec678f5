package io.tracedistill.model.families;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tracedistill.model.CausalLm;
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
        return NemotronHConfig.MODEL_TYPE.equals(modelType(modelDir))
                ? NemotronH.load(modelDir, manager) : CausalLm.load(modelDir, manager);
    }

    /** {@code model_type} of {@code modelDir/config.json} ("" when absent). */
    public static String modelType(Path modelDir) {
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
