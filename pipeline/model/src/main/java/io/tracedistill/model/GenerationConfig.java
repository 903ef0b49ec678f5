package io.tracedistill.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Stop and pad ids from a model's {@code generation_config.json} (falling back to {@code config.json}).
 * {@code eos_token_id} may be an int or a list, as in transformers' {@code GenerationConfig}.
 *
 * @param eosTokenIds ids that end a sequence (empty: never stop early)
 * @param padTokenId  id used to fill finished rows and left padding; falls back to the first eos id
 */
public record GenerationConfig(List<Integer> eosTokenIds, int padTokenId) {

    public GenerationConfig {
        eosTokenIds = List.copyOf(eosTokenIds);
    }

    /** Reads {@code generation_config.json} in {@code modelDir} if present, else uses {@code config}'s eos ids. */
    public static GenerationConfig load(Path modelDir, HfConfig config) {
        return load(modelDir, config.eosTokenIds());
    }

    /** Reads {@code generation_config.json} in {@code modelDir} if present, else uses {@code model}'s eos ids. */
    public static GenerationConfig load(Path modelDir, LanguageModel model) {
        return load(modelDir, model.eosTokenIds());
    }

    private static GenerationConfig load(Path modelDir, List<Integer> configEosIds) {
        Path file = modelDir.resolve("generation_config.json");
        List<Integer> eos = configEosIds;
        Integer pad = null;
        if (Files.isRegularFile(file)) {
            try {
                JsonNode root = new ObjectMapper().readTree(file.toFile());
                if (root.has("eos_token_id") && !root.get("eos_token_id").isNull()) {
                    eos = HfConfig.intList(root.get("eos_token_id"));
                }
                if (root.has("pad_token_id") && root.get("pad_token_id").isNumber()) {
                    pad = root.get("pad_token_id").asInt();
                }
            } catch (IOException e) {
                throw new ModelLoadException("Cannot read " + file + " as JSON: " + e.getMessage(), e);
            }
        }
        int padId = pad != null ? pad : eos.isEmpty() ? 0 : eos.get(0);
        return new GenerationConfig(eos, padId);
    }
}
