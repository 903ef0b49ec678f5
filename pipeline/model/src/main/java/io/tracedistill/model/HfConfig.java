package io.tracedistill.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The subset of a Hugging Face {@code config.json} that a Llama / Qwen2 / Qwen3 decoder needs.
 *
 * <p>Reference: transformers {@code LlamaConfig}, {@code Qwen2Config}, {@code Qwen3Config}. Anything
 * this port does not implement (rope scaling, sliding-window attention, activations other than SiLU,
 * other architectures) is rejected at load time with an error naming the field and its value, rather
 * than silently computing something else.
 *
 * @param modelType            {@code llama}, {@code qwen2} or {@code qwen3}
 * @param hiddenSize           model width d
 * @param intermediateSize     MLP width
 * @param numHiddenLayers      number of decoder layers
 * @param numAttentionHeads    query heads H
 * @param numKeyValueHeads     key/value heads (GQA; equals H for plain MHA)
 * @param headDim              per-head width (explicit for Qwen3, else hidden/heads)
 * @param ropeTheta            rotary base
 * @param rmsNormEps           RMSNorm epsilon
 * @param vocabSize            vocabulary size V
 * @param tieWordEmbeddings    lm_head shares {@code model.embed_tokens.weight}
 * @param maxPositionEmbeddings max positions (informational; rotary has no table limit here)
 * @param attentionBias        q/k/v/o projections have biases (Llama {@code attention_bias})
 * @param qkvBias              q/k/v have biases and o_proj has none (Qwen2)
 * @param qkNorm               per-head RMSNorm on q and k (Qwen3)
 * @param bosTokenId           config bos id, or -1 when absent
 * @param eosTokenIds          config eos id(s), possibly empty
 */
public record HfConfig(
        String modelType,
        int hiddenSize,
        int intermediateSize,
        int numHiddenLayers,
        int numAttentionHeads,
        int numKeyValueHeads,
        int headDim,
        double ropeTheta,
        double rmsNormEps,
        int vocabSize,
        boolean tieWordEmbeddings,
        int maxPositionEmbeddings,
        boolean attentionBias,
        boolean qkvBias,
        boolean qkNorm,
        int bosTokenId,
        List<Integer> eosTokenIds) implements ModelConfig {

    /** Model types this port implements, with the architecture class name HF writes for each. */
    private static final Set<String> SUPPORTED_TYPES = Set.of("llama", "qwen2", "qwen3");

    public HfConfig {
        eosTokenIds = List.copyOf(eosTokenIds);
        if (numAttentionHeads % numKeyValueHeads != 0) {
            throw new ModelLoadException("num_attention_heads " + numAttentionHeads
                    + " is not a multiple of num_key_value_heads " + numKeyValueHeads);
        }
    }

    /** Query heads per key/value head (1 for MHA). */
    public int numKeyValueGroups() {
        return numAttentionHeads / numKeyValueHeads;
    }

    /** Reads {@code config.json} from a model directory (or the file itself). */
    public static HfConfig load(Path modelDirOrConfig) {
        Path file = Files.isDirectory(modelDirOrConfig) ? modelDirOrConfig.resolve("config.json") : modelDirOrConfig;
        if (!Files.isRegularFile(file)) {
            throw new ModelLoadException("No config.json at " + file + ": pass a Hugging Face model directory");
        }
        try {
            return parse(new ObjectMapper().readTree(file.toFile()), file.toString());
        } catch (IOException e) {
            throw new ModelLoadException("Cannot read " + file + " as JSON: " + e.getMessage(), e);
        }
    }

    /** Parses a config JSON tree; {@code source} names the file in error messages. */
    public static HfConfig parse(JsonNode root, String source) {
        String modelType = text(root, "model_type", source);
        if (!SUPPORTED_TYPES.contains(modelType)) {
            throw new ModelLoadException("Unsupported model_type '" + modelType + "' in " + source
                    + ": this port implements llama, qwen2 and qwen3 decoders");
        }
        JsonNode archs = root.get("architectures");
        if (archs != null && archs.isArray()) {
            for (JsonNode a : archs) {
                String arch = a.asText();
                if (!arch.endsWith("ForCausalLM")) {
                    throw new ModelLoadException("Unsupported architectures entry '" + arch + "' in " + source
                            + ": only *ForCausalLM decoders (Llama, Qwen2, Qwen3) can be loaded");
                }
            }
        }
        JsonNode ropeScaling = root.get("rope_scaling");
        if (ropeScaling != null && !ropeScaling.isNull()) {
            throw new ModelLoadException("Unsupported rope_scaling " + ropeScaling + " in " + source
                    + ": only plain rotary embeddings are implemented; use a model without rope_scaling");
        }
        // transformers >= 5 writes rope settings as rope_parameters {rope_type, rope_theta}.
        JsonNode ropeParams = root.get("rope_parameters");
        double ropeTheta = number(root, "rope_theta", 10000.0);
        if (ropeParams != null && ropeParams.isObject()) {
            if (ropeParams.has("rope_theta") && ropeParams.get("rope_theta").isNumber()) {
                ropeTheta = ropeParams.get("rope_theta").asDouble();
            }
            JsonNode rt = ropeParams.get("rope_type");
            if (rt != null && !rt.isNull() && !"default".equals(rt.asText())) {
                throw new ModelLoadException("Unsupported rope_parameters.rope_type '" + rt.asText() + "' in "
                        + source + ": only the default rotary embedding is implemented");
            }
        }
        JsonNode useSliding = root.get("use_sliding_window");
        if (useSliding != null && useSliding.asBoolean(false)) {
            throw new ModelLoadException("Unsupported use_sliding_window true in " + source
                    + ": sliding-window attention is not implemented; set it to false");
        }
        String act = root.has("hidden_act") ? root.get("hidden_act").asText() : "silu";
        if (!"silu".equals(act)) {
            throw new ModelLoadException("Unsupported hidden_act '" + act + "' in " + source
                    + ": only silu (SwiGLU MLP) is implemented");
        }
        if (root.has("mlp_bias") && root.get("mlp_bias").asBoolean(false)) {
            throw new ModelLoadException("Unsupported mlp_bias true in " + source + ": MLP biases are not implemented");
        }
        if (root.has("pretraining_tp") && root.get("pretraining_tp").asInt(1) != 1) {
            throw new ModelLoadException("Unsupported pretraining_tp " + root.get("pretraining_tp") + " in " + source
                    + ": must be 1");
        }
        int hidden = positive(root, "hidden_size", source);
        int heads = positive(root, "num_attention_heads", source);
        int kvHeads = root.has("num_key_value_heads") && !root.get("num_key_value_heads").isNull()
                ? positive(root, "num_key_value_heads", source) : heads;
        int headDim;
        if (root.has("head_dim") && !root.get("head_dim").isNull()) {
            headDim = positive(root, "head_dim", source);
        } else {
            if (hidden % heads != 0) {
                throw new ModelLoadException("hidden_size " + hidden + " is not divisible by num_attention_heads "
                        + heads + " in " + source + " and no head_dim is given");
            }
            headDim = hidden / heads;
        }
        if (headDim % 2 != 0) {
            throw new ModelLoadException("head_dim " + headDim + " in " + source + " must be even for rotary embeddings");
        }
        int layers = positive(root, "num_hidden_layers", source);
        boolean slidingActive = root.has("sliding_window") && !root.get("sliding_window").isNull()
                && !"qwen2".equals(modelType) && !"qwen3".equals(modelType);
        if (slidingActive) {
            throw new ModelLoadException("Unsupported sliding_window " + root.get("sliding_window") + " in " + source
                    + ": sliding-window attention is not implemented");
        }
        boolean attentionBias = root.has("attention_bias") && root.get("attention_bias").asBoolean(false);
        boolean qkvBias = "qwen2".equals(modelType);
        if (qkvBias && attentionBias) {
            attentionBias = false; // Qwen2 ignores attention_bias: q/k/v always have bias, o_proj never
        }
        return new HfConfig(
                modelType,
                hidden,
                positive(root, "intermediate_size", source),
                layers,
                heads,
                kvHeads,
                headDim,
                ropeTheta,
                number(root, "rms_norm_eps", 1e-6),
                positive(root, "vocab_size", source),
                root.has("tie_word_embeddings") ? root.get("tie_word_embeddings").asBoolean() : false,
                root.has("max_position_embeddings") ? root.get("max_position_embeddings").asInt() : 0,
                attentionBias,
                qkvBias,
                "qwen3".equals(modelType),
                root.has("bos_token_id") && root.get("bos_token_id").isNumber() ? root.get("bos_token_id").asInt() : -1,
                intList(root.get("eos_token_id")));
    }

    /** An int, a list of ints, or absent/null (empty list) — as HF allows for eos_token_id. */
    public static List<Integer> intList(JsonNode node) {
        List<Integer> out = new ArrayList<>();
        if (node == null || node.isNull()) {
            return out;
        }
        if (node.isArray()) {
            node.forEach(n -> out.add(n.asInt()));
        } else {
            out.add(node.asInt());
        }
        return out;
    }

    private static String text(JsonNode root, String key, String source) {
        JsonNode n = root.get(key);
        if (n == null || n.isNull()) {
            throw new ModelLoadException("Missing " + key + " in " + source);
        }
        return n.asText();
    }

    /** {@code root[key]} as an int >= 1, else a {@link ModelLoadException} naming the key and {@code source}. */
    public static int positive(JsonNode root, String key, String source) {
        JsonNode n = root.get(key);
        if (n == null || !n.canConvertToInt() || n.asInt() < 1) {
            throw new ModelLoadException("Invalid value " + n + " for " + key + " in " + source
                    + ": must be a positive integer");
        }
        return n.asInt();
    }

    private static double number(JsonNode root, String key, double fallback) {
        JsonNode n = root.get(key);
        return n == null || n.isNull() ? fallback : n.asDouble();
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "%s(d=%d, ff=%d, L=%d, H=%d/%d, hd=%d, V=%d, tied=%b)", modelType,
                hiddenSize, intermediateSize, numHiddenLayers, numAttentionHeads, numKeyValueHeads, headDim,
                vocabSize, tieWordEmbeddings);
    }
}
