package io.tracedistill.model.nemotronh;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tracedistill.model.HfConfig;
import io.tracedistill.model.ModelConfig;
import io.tracedistill.model.ModelLoadException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The {@code config.json} of a Nemotron-H model ({@code model_type: nemotron_h}, {@code NemotronHForCausalLM}).
 *
 * <p>Reference: transformers 5 {@code NemotronHConfig} and NVIDIA's {@code configuration_nemotron_h.py}.
 * The layer list comes from either spelling: {@code layers_block_type} (transformers 5 writes it:
 * {@code linear_attention | moe | full_attention | mlp}) or {@code hybrid_override_pattern} +
 * {@code num_hidden_layers} (the real checkpoints: {@code M E * -}). Anything this port does not compute
 * (latent MoE, MTP layers, biases, other activations) is refused naming the key.
 *
 * @param layers            one {@link LayerType} per layer
 * @param mambaInner        I = {@code mamba_num_heads · mamba_head_dim} (NOT {@code expand · hidden_size})
 * @param dtClampMin        lower clamp of softplus(dt + dt_bias): transformers clamps at {@code time_step_min}
 *                          (NVIDIA's remote code only at {@code time_step_limit[0]}; README trap 5)
 * @param dtClampMax        upper clamp, {@code time_step_limit[1]} (infinity by default)
 */
public record NemotronHConfig(
        int hiddenSize,
        int vocabSize,
        List<LayerType> layers,
        double eps,
        boolean tieWordEmbeddings,
        int maxPositionEmbeddings,
        List<Integer> eosTokenIds,
        // Mamba-2
        int mambaHeads,
        int mambaHeadDim,
        int mambaInner,
        int nGroups,
        int ssmStateSize,
        int convKernel,
        int chunkSize,
        boolean useConvBias,
        double dtClampMin,
        double dtClampMax,
        // attention
        int numAttentionHeads,
        int numKeyValueHeads,
        int headDim,
        // dense MLP and experts
        int intermediateSize,
        int nRoutedExperts,
        int numExpertsPerTok,
        int nGroup,
        int topkGroup,
        boolean normTopkProb,
        double routedScalingFactor,
        int moeIntermediateSize,
        int sharedExpertIntermediateSize) implements ModelConfig {

    @Override
    public String modelType() {
        return MODEL_TYPE;
    }


    public static final String MODEL_TYPE = "nemotron_h";

    /** The mixer of one layer; every layer has exactly one. */
    public enum LayerType {
        MAMBA('M', "linear_attention"), MOE('E', "moe"), ATTENTION('*', "full_attention"), MLP('-', "mlp");

        final char symbol;
        final String blockType;

        LayerType(char symbol, String blockType) {
            this.symbol = symbol;
            this.blockType = blockType;
        }
    }

    public int convDim() {
        return mambaInner + 2 * nGroups * ssmStateSize;
    }

    /** {@code in_proj} output width: {@code [z (I) | xBC (conv_dim) | dt (nh)]}. */
    public int inProjOut() {
        return mambaInner + convDim() + mambaHeads;
    }

    public int numLayers() {
        return layers.size();
    }

    /** Reads and validates {@code modelDir/config.json}. */
    public static NemotronHConfig load(Path modelDir) {
        Path file = modelDir.resolve("config.json");
        if (!Files.isRegularFile(file)) {
            throw new ModelLoadException("No config.json in " + modelDir);
        }
        try {
            return parse(new ObjectMapper().readTree(file.toFile()), file.toString());
        } catch (IOException e) {
            throw new ModelLoadException("Cannot read " + file + " as JSON: " + e.getMessage(), e);
        }
    }

    /** Validates a parsed config.json ({@code source} names it in errors). */
    public static NemotronHConfig parse(JsonNode root, String source) {
        String type = root.path("model_type").asText("");
        if (!MODEL_TYPE.equals(type)) {
            throw new ModelLoadException("model_type '" + type + "' in " + source + " is not " + MODEL_TYPE);
        }
        JsonNode latent = root.get("moe_latent_size");
        if (latent != null && !latent.isNull()) {
            throw new ModelLoadException("Unsupported moe_latent_size " + latent + " in " + source
                    + ": latent MoE (experts in a projected space) is not implemented; only moe_latent_size null");
        }
        JsonNode mtp = root.get("num_nextn_predict_layers");
        if (mtp != null && !mtp.isNull() && mtp.asInt(0) != 0) {
            throw new ModelLoadException("Unsupported num_nextn_predict_layers " + mtp + " in " + source
                    + ": multi-token-prediction (MTP) layers are not implemented; it must be 0");
        }
        for (String flag : List.of("attention_bias", "mlp_bias", "use_bias", "mamba_proj_bias")) {
            if (root.path(flag).asBoolean(false)) {
                throw new ModelLoadException("Unsupported " + flag + " true in " + source
                        + ": Nemotron-H biases are not implemented (the released models have none); it must be false");
            }
        }
        requireText(root, "mamba_hidden_act", "silu", source);
        requireText(root, "mlp_hidden_act", "relu2", source);
        JsonNode shared = root.get("n_shared_experts");
        if (shared != null && !shared.isNull() && shared.asInt() != 1) {
            throw new ModelLoadException("Unsupported n_shared_experts " + shared + " in " + source
                    + ": exactly one shared expert is implemented");
        }
        List<LayerType> layers = layerTypes(root, source);
        int hidden = HfConfig.positive(root, "hidden_size", source);
        int mambaHeads = HfConfig.positive(root, "mamba_num_heads", source);
        int mambaHeadDim = HfConfig.positive(root, "mamba_head_dim", source);
        int nGroups = HfConfig.positive(root, "n_groups", source);
        if (mambaHeads % nGroups != 0) {
            throw new ModelLoadException("mamba_num_heads " + mambaHeads + " is not divisible by n_groups " + nGroups
                    + " in " + source);
        }
        int heads = HfConfig.positive(root, "num_attention_heads", source);
        int kvHeads = HfConfig.positive(root, "num_key_value_heads", source);
        if (heads % kvHeads != 0) {
            throw new ModelLoadException("num_attention_heads " + heads + " is not divisible by num_key_value_heads "
                    + kvHeads + " in " + source);
        }
        int headDim = root.hasNonNull("head_dim") ? HfConfig.positive(root, "head_dim", source) : hidden / heads;
        int experts = layers.contains(LayerType.MOE) ? HfConfig.positive(root, "n_routed_experts", source) : 0;
        int nGroup = layers.contains(LayerType.MOE) ? HfConfig.positive(root, "n_group", source) : 1;
        if (experts > 0 && experts % nGroup != 0) {
            throw new ModelLoadException("n_routed_experts " + experts + " is not divisible by n_group " + nGroup
                    + " in " + source);
        }
        double[] limit = timeStepLimit(root.get("time_step_limit"), source);
        double timeStepMin = root.hasNonNull("time_step_min") ? root.get("time_step_min").asDouble() : limit[0];
        return new NemotronHConfig(
                hidden,
                HfConfig.positive(root, "vocab_size", source),
                List.copyOf(layers),
                root.hasNonNull("layer_norm_epsilon") ? root.get("layer_norm_epsilon").asDouble()
                        : root.hasNonNull("norm_eps") ? root.get("norm_eps").asDouble() : 1e-5,
                root.path("tie_word_embeddings").asBoolean(false),
                root.path("max_position_embeddings").asInt(0),
                HfConfig.intList(root.get("eos_token_id")),
                mambaHeads,
                mambaHeadDim,
                mambaHeads * mambaHeadDim,
                nGroups,
                HfConfig.positive(root, "ssm_state_size", source),
                HfConfig.positive(root, "conv_kernel", source),
                HfConfig.positive(root, "chunk_size", source),
                root.path("use_conv_bias").asBoolean(true),
                Math.max(timeStepMin, limit[0]),
                limit[1],
                heads,
                kvHeads,
                headDim,
                layers.contains(LayerType.MLP) ? HfConfig.positive(root, "intermediate_size", source) : 0,
                experts,
                experts > 0 ? HfConfig.positive(root, "num_experts_per_tok", source) : 0,
                nGroup,
                experts > 0 ? HfConfig.positive(root, "topk_group", source) : 1,
                root.path("norm_topk_prob").asBoolean(true),
                root.hasNonNull("routed_scaling_factor") ? root.get("routed_scaling_factor").asDouble() : 1.0,
                experts > 0 ? HfConfig.positive(root, "moe_intermediate_size", source) : 0,
                experts > 0 ? HfConfig.positive(root, "moe_shared_expert_intermediate_size", source) : 0);
    }

    /** {@code layers_block_type} (transformers 5) or {@code hybrid_override_pattern} + {@code num_hidden_layers}. */
    static List<LayerType> layerTypes(JsonNode root, String source) {
        List<LayerType> out = new ArrayList<>();
        JsonNode blocks = root.get("layers_block_type");
        JsonNode pattern = root.get("hybrid_override_pattern");
        if (blocks != null && blocks.isArray()) {
            for (JsonNode b : blocks) {
                out.add(byBlockType(b.asText(), source));
            }
            if (pattern != null && pattern.isTextual() && !pattern.asText().equals(symbols(out))) {
                throw new ModelLoadException("layers_block_type " + blocks + " and hybrid_override_pattern '"
                        + pattern.asText() + "' in " + source + " disagree (" + symbols(out) + "): keep one of them");
            }
        } else if (pattern != null && pattern.isTextual()) {
            for (char c : pattern.asText().toCharArray()) {
                out.add(bySymbol(c, source));
            }
        } else {
            throw new ModelLoadException("Neither layers_block_type nor hybrid_override_pattern in " + source
                    + ": a Nemotron-H config needs one of them to list its layers");
        }
        JsonNode n = root.get("num_hidden_layers");
        if (n != null && !n.isNull() && n.asInt() != out.size()) {
            throw new ModelLoadException("num_hidden_layers " + n + " in " + source + " does not match the "
                    + out.size() + " layers of its pattern " + symbols(out));
        }
        if (out.isEmpty()) {
            throw new ModelLoadException("Empty layer list in " + source);
        }
        return out;
    }

    private static LayerType byBlockType(String t, String source) {
        for (LayerType l : LayerType.values()) {
            if (l.blockType.equals(t)) {
                return l;
            }
        }
        throw new ModelLoadException("Unsupported layers_block_type entry '" + t + "' in " + source
                + ": expected linear_attention, moe, full_attention or mlp");
    }

    private static LayerType bySymbol(char c, String source) {
        for (LayerType l : LayerType.values()) {
            if (l.symbol == c) {
                return l;
            }
        }
        throw new ModelLoadException("Unsupported hybrid_override_pattern character '" + c + "' in " + source
                + ": expected M (Mamba-2), E (MoE), * (attention) or - (MLP)");
    }

    /** The pattern string ({@code ME*-ME}) of a layer list. */
    public static String symbols(List<LayerType> layers) {
        StringBuilder sb = new StringBuilder();
        layers.forEach(l -> sb.append(l.symbol));
        return sb.toString();
    }

    /** {@code time_step_limit} [lo, hi]; transformers writes infinity as {@code {"__float__": "Infinity"}}. */
    private static double[] timeStepLimit(JsonNode n, String source) {
        if (n == null || n.isNull()) {
            return new double[] {0.0, Double.POSITIVE_INFINITY};
        }
        if (!n.isArray() || n.size() != 2) {
            throw new ModelLoadException("Invalid time_step_limit " + n + " in " + source + ": expected [lo, hi]");
        }
        return new double[] {jsonFloat(n.get(0), source), jsonFloat(n.get(1), source)};
    }

    private static double jsonFloat(JsonNode n, String source) {
        if (n.isNumber()) {
            return n.asDouble();
        }
        if (n.isObject() && n.has("__float__")) {
            String s = n.get("__float__").asText();
            return switch (s) {
                case "Infinity" -> Double.POSITIVE_INFINITY;
                case "-Infinity" -> Double.NEGATIVE_INFINITY;
                default -> Double.parseDouble(s);
            };
        }
        throw new ModelLoadException("Invalid time_step_limit entry " + n + " in " + source);
    }

    private static void requireText(JsonNode root, String key, String expected, String source) {
        JsonNode n = root.get(key);
        if (n != null && !n.isNull() && !expected.equals(n.asText())) {
            throw new ModelLoadException("Unsupported " + key + " '" + n.asText() + "' in " + source
                    + ": only " + expected + " is implemented");
        }
    }


    @Override
    public String toString() {
        return String.format(Locale.ROOT, "nemotron_h(%s, d=%d, V=%d, mamba %dx%d g%d n%d, attn %d/%d x%d, E=%d top%d)",
                symbols(layers), hiddenSize, vocabSize, mambaHeads, mambaHeadDim, nGroups, ssmStateSize,
                numAttentionHeads, numKeyValueHeads, headDim, nRoutedExperts, numExpertsPerTok);
    }
}
