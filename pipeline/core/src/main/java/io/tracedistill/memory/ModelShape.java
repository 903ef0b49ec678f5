package io.tracedistill.memory;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The parameter and activation layout of a Hugging Face causal LM, read from its {@code config.json}
 * alone: every block with its Linear modules under their checkpoint names, so LoRA targets are matched
 * exactly as PEFT matches them. Covers the architectures this port trains or plans for:
 * {@code llama}, {@code qwen2}, {@code qwen3} (transformers {@code LlamaForCausalLM} & co.) and
 * {@code nemotron_h} (NVIDIA's hybrid Mamba-2 + MoE + attention, {@code NemotronHForCausalLM}).
 *
 * <p>The model module's {@code HfConfig} validates a config for <em>loading</em> weights (and refuses
 * what the forward does not implement); this class only needs sizes, lives in the pure-Java core so
 * {@code plan} needs no DJL, and describes {@code nemotron_h} whether or not it can be loaded.
 *
 * <p>Activation counts are per sequence of T tokens, in elements (the planner multiplies by 4 bytes:
 * the JVM computes in float32). Every block keeps its input (RMSNorm backward) and its normed input (the
 * projections' input, which LoRA's {@code lora_A} gradient needs); the rest is listed per kind below.
 *
 * @param modelType         {@code model_type}
 * @param source            the config file, for messages
 * @param hidden            hidden_size H
 * @param vocab             vocab_size V
 * @param tieWordEmbeddings lm_head shares the embedding matrix
 * @param blocks            the layers' blocks in order (a Llama layer is two: attention, mlp)
 * @param embeddingParams   V·H
 * @param finalNormParams   H
 * @param lmHeadParams      V·H, or 0 when tied
 */
public record ModelShape(String modelType, String source, int hidden, int vocab, boolean tieWordEmbeddings,
                         List<Block> blocks, long embeddingParams, long finalNormParams, long lmHeadParams) {

    public ModelShape {
        blocks = List.copyOf(blocks);
    }

    /** Reads {@code config.json} from a model directory, or the file itself. */
    public static ModelShape load(Path modelDirOrConfig) {
        Path file = Files.isDirectory(modelDirOrConfig) ? modelDirOrConfig.resolve("config.json") : modelDirOrConfig;
        if (!Files.isRegularFile(file)) {
            throw new ModelConfigException("No config.json at " + file
                    + ": pass a Hugging Face model directory or its config.json");
        }
        try {
            return parse(new ObjectMapper().readTree(file.toFile()), file.toString());
        } catch (IOException e) {
            throw new ModelConfigException("Cannot read " + file + " as JSON: " + e.getMessage(), e);
        }
    }

    /** Parses a config tree; {@code source} names the file in messages. */
    public static ModelShape parse(JsonNode root, String source) {
        String type = root.path("model_type").asText("");
        return switch (type) {
            case "llama", "qwen2", "qwen3" -> decoder(root, source, type);
            case "nemotron_h" -> nemotronH(root, source);
            default -> throw new ModelConfigException("Unsupported model_type '" + type + "' in " + source
                    + ": the memory plan covers llama, qwen2, qwen3 and nemotron_h");
        };
    }

    /** Every parameter of the checkpoint (a tied lm_head counted once). */
    public long totalParams() {
        long p = embeddingParams + finalNormParams + lmHeadParams;
        for (Block b : blocks) {
            p += b.params();
        }
        return p;
    }

    /** Parameters one token goes through: all but the routed experts it is not routed to (embedding rows counted whole, as usual). */
    public long activeParams() {
        long p = embeddingParams + finalNormParams + lmHeadParams;
        for (Block b : blocks) {
            p += b.activeParams();
        }
        return p;
    }

    /** Every Linear module of the blocks (lm_head excluded: LoRA never targets it here). */
    public List<LinearModule> linears() {
        List<LinearModule> out = new ArrayList<>();
        blocks.forEach(b -> out.addAll(b.linears()));
        return out;
    }

    /** Module names for target matching and the architecture-aware autodetect (the Linears, plus lm_head). */
    public List<String> moduleNames() {
        List<String> names = new ArrayList<>();
        linears().forEach(l -> names.add(l.name()));
        names.add("lm_head");
        return names;
    }

    // ---- Llama / Qwen2 / Qwen3 --------------------------------------------------------------------

    /**
     * {@code model.layers.{i}} = attention block (input_layernorm, q/k/v/o, Qwen3's q_norm/k_norm) +
     * MLP block (post_attention_layernorm, SwiGLU gate/up/down).
     * Attention keeps q, k, v, RoPE'd q and k (and Qwen3's normed q and k), the softmax probabilities
     * {@code [heads, T, T]} (eager attention) and the o_proj input; its backward adds the gradients of
     * the probabilities and the scores ({@link MemoryPlan} counts the T² terms). The MLP keeps gate, silu(gate), up and their product
     * (4·F per token); its backward adds 2·F per token.
     */
    private static ModelShape decoder(JsonNode root, String source, String type) {
        int h = positive(root, "hidden_size", source);
        int f = positive(root, "intermediate_size", source);
        int layers = positive(root, "num_hidden_layers", source);
        int heads = positive(root, "num_attention_heads", source);
        int kv = has(root, "num_key_value_heads") ? positive(root, "num_key_value_heads", source) : heads;
        int d;
        if (has(root, "head_dim")) {
            d = positive(root, "head_dim", source);
        } else if (h % heads == 0) {
            d = h / heads;
        } else {
            throw new ModelConfigException("hidden_size " + h + " is not divisible by num_attention_heads " + heads
                    + " in " + source + " and no head_dim is given: add head_dim");
        }
        int vocab = positive(root, "vocab_size", source);
        boolean tied = root.path("tie_word_embeddings").asBoolean(false);
        boolean qwen2 = type.equals("qwen2");
        boolean qkNorm = type.equals("qwen3");
        boolean attnBias = !qwen2 && root.path("attention_bias").asBoolean(false);
        boolean mlpBias = root.path("mlp_bias").asBoolean(false);
        long q = (long) heads * d;
        long k = (long) kv * d;
        List<Block> blocks = new ArrayList<>();
        for (int i = 0; i < layers; i++) {
            String p = "model.layers." + i + ".";
            long attnOther = h + (qwen2 ? q + 2 * k : 0) + (attnBias ? q + 2 * k + h : 0) + (qkNorm ? 2L * d : 0);
            ActivationCost attnSaved = new ActivationCost(2L * h + (q + 2 * k) + (q + k) + (qkNorm ? q + k : 0) + q,
                    heads, 0, 1);
            blocks.add(new Block("attention", List.of(
                    LinearModule.dense(p + "self_attn.q_proj", h, q),
                    LinearModule.dense(p + "self_attn.k_proj", h, k),
                    LinearModule.dense(p + "self_attn.v_proj", h, k),
                    LinearModule.dense(p + "self_attn.o_proj", q, h)),
                    attnOther, attnSaved, new ActivationCost(0, heads, 0, 1), 0, 0));
            blocks.add(new Block("mlp", List.of(
                    LinearModule.dense(p + "mlp.gate_proj", h, f),
                    LinearModule.dense(p + "mlp.up_proj", h, f),
                    LinearModule.dense(p + "mlp.down_proj", f, h)),
                    h + (mlpBias ? 2L * f + h : 0), ActivationCost.linear(2L * h + 4L * f),
                    ActivationCost.linear(2L * f), 0, 0));
        }
        long embed = (long) vocab * h;
        return new ModelShape(type, source, h, vocab, tied, blocks, embed, h, tied ? 0 : embed);
    }

    // ---- Nemotron-H ---------------------------------------------------------------------------------

    /**
     * {@code backbone.layers.{i}} = norm + ONE mixer, by the layer pattern: {@code M} Mamba-2, {@code E}
     * MoE, {@code *} attention (no RoPE), {@code -} dense relu² MLP. Shapes (tiny-nemotron-h README):
     * <pre>
     *   M: in_proj [I + conv_dim + nh, H] with I = mamba_num_heads·mamba_head_dim (NOT expand·H),
     *      conv_dim = I + 2·n_groups·ssm_state_size; conv1d [conv_dim, 1, K] (+ bias); dt_bias, A_log, D [nh];
     *      gated norm [I]; out_proj [H, I]
     *   E: router gate [E, H] + e_score_correction_bias [E]; E experts up [F, H] / down [H, F];
     *      shared expert up [Fs, H] / down [H, Fs]
     *   *: q [heads·d, H], k/v [kv·d, H], o [H, heads·d]
     *   -: up [F_mlp, H], down [H, F_mlp]
     * </pre>
     * Activations kept per token: M = in_proj output + conv output before and after SiLU (2·conv_dim)
     * + dt before and after softplus (2·nh) + y, silu(z), their product and the gated norm's output (4·I);
     * per chunk of Q = chunk_size tokens the SSD scan keeps C·Bᵀ per group (G·Q²), the decay mask and
     * the masked scores per head (2·nh·Q²) and the chunk states before and after the inter-chunk
     * recurrence (2·nh·P·N). E = router logits and sigmoid scores (2·E) + per chosen expert its gathered
     * input, up output, relu output and output (k·(2H + 2F)) + the shared expert's up and relu outputs (2·Fs).
     * * = q, k, v, the o_proj input and the softmax probabilities [heads, T, T]. - = up and relu outputs.
     */
    private static ModelShape nemotronH(JsonNode root, String source) {
        if (has(root, "moe_latent_size")) {
            throw new ModelConfigException("Unsupported moe_latent_size " + root.get("moe_latent_size") + " in " + source
                    + ": latent MoE is not implemented; only moe_latent_size null is supported");
        }
        if (root.path("num_nextn_predict_layers").asInt(0) != 0) {
            throw new ModelConfigException("Unsupported num_nextn_predict_layers " + root.get("num_nextn_predict_layers")
                    + " in " + source + ": multi-token-prediction (MTP) layers are not implemented; it must be 0");
        }
        String pattern = layerPattern(root, source);
        int h = positive(root, "hidden_size", source);
        int vocab = positive(root, "vocab_size", source);
        boolean tied = root.path("tie_word_embeddings").asBoolean(false);
        boolean mlpBias = root.path("mlp_bias").asBoolean(false);
        List<Block> blocks = new ArrayList<>();
        for (int i = 0; i < pattern.length(); i++) {
            String p = "backbone.layers." + i + ".mixer.";
            blocks.add(switch (pattern.charAt(i)) {
                case 'M' -> mamba(root, source, p, h);
                case 'E' -> moe(root, source, p, h, mlpBias);
                case '*' -> nemotronAttention(root, source, p, h);
                default -> denseMlp(root, source, p, h, mlpBias); // '-', checked by layerPattern
            });
        }
        long embed = (long) vocab * h;
        return new ModelShape("nemotron_h", source, h, vocab, tied, blocks, embed, h, tied ? 0 : embed);
    }

    private static Block mamba(JsonNode root, String source, String p, int h) {
        int nh = positive(root, "mamba_num_heads", source);
        int headDim = positive(root, "mamba_head_dim", source);
        int groups = positive(root, "n_groups", source);
        int state = positive(root, "ssm_state_size", source);
        int kernel = positive(root, "conv_kernel", source);
        int chunk = positive(root, "chunk_size", source);
        if (nh % groups != 0) {
            throw new ModelConfigException("mamba_num_heads " + nh + " is not a multiple of n_groups " + groups + " in " + source);
        }
        boolean projBias = root.path("mamba_proj_bias").asBoolean(false);
        boolean convBias = root.path("use_conv_bias").asBoolean(true);
        long inner = (long) nh * headDim;                         // I
        long convDim = inner + 2L * groups * state;               // x | B | C
        long inProjOut = inner + convDim + nh;                    // z | xBC | dt
        long other = h                                            // layer norm
                + convDim * kernel + (convBias ? convDim : 0)     // conv1d
                + 3L * nh                                         // dt_bias, A_log, D
                + inner                                           // gated RMSNorm weight
                + (projBias ? inProjOut + h : 0);
        long q2 = (long) chunk * chunk;
        ActivationCost saved = new ActivationCost(2L * h + inProjOut + 2 * convDim + 2L * nh + 4 * inner, 0,
                2L * nh * q2 + groups * q2 + 2L * nh * headDim * state, chunk);
        ActivationCost work = new ActivationCost(2 * inProjOut, 0, 2L * nh * q2, chunk);
        return new Block("mamba", List.of(LinearModule.dense(p + "in_proj", h, inProjOut),
                LinearModule.dense(p + "out_proj", inner, h)), other, saved, work, 0, 0);
    }

    private static Block moe(JsonNode root, String source, String p, int h, boolean mlpBias) {
        int experts = positive(root, "n_routed_experts", source);
        int topK = positive(root, "num_experts_per_tok", source);
        int f = positive(root, "moe_intermediate_size", source);
        int shared = root.path("n_shared_experts").asInt(1);
        if (shared != 1) {
            throw new ModelConfigException("Unsupported n_shared_experts " + shared + " in " + source
                    + ": Nemotron-H has exactly one shared expert (n_shared_experts 1)");
        }
        int fs = positive(root, "moe_shared_expert_intermediate_size", source);
        if (topK > experts) {
            throw new ModelConfigException("num_experts_per_tok " + topK + " exceeds n_routed_experts " + experts + " in " + source);
        }
        double fraction = (double) topK / experts;
        List<LinearModule> linears = new ArrayList<>();
        for (int e = 0; e < experts; e++) {
            linears.add(new LinearModule(p + "experts." + e + ".up_proj", h, f, true, fraction));
            linears.add(new LinearModule(p + "experts." + e + ".down_proj", f, h, true, fraction));
        }
        linears.add(LinearModule.dense(p + "shared_experts.up_proj", h, fs));
        linears.add(LinearModule.dense(p + "shared_experts.down_proj", fs, h));
        long other = h + (long) experts * h + experts                  // norm, router, correction bias
                + (mlpBias ? (long) experts * (f + h) + fs + h : 0);
        ActivationCost saved = ActivationCost.linear(2L * h + 2L * experts + (long) topK * (2L * h + 2L * f) + 2L * fs);
        return new Block("moe", linears, other, saved, ActivationCost.linear(2L * topK * f), experts, topK);
    }

    private static Block nemotronAttention(JsonNode root, String source, String p, int h) {
        int heads = positive(root, "num_attention_heads", source);
        int kv = has(root, "num_key_value_heads") ? positive(root, "num_key_value_heads", source) : heads;
        int d = has(root, "head_dim") ? positive(root, "head_dim", source) : h / heads;
        long q = (long) heads * d;
        long k = (long) kv * d;
        boolean bias = root.path("attention_bias").asBoolean(false);
        return new Block("attention", List.of(LinearModule.dense(p + "q_proj", h, q), LinearModule.dense(p + "k_proj", h, k),
                LinearModule.dense(p + "v_proj", h, k), LinearModule.dense(p + "o_proj", q, h)),
                h + (bias ? q + 2 * k + h : 0), new ActivationCost(2L * h + q + 2 * k + q, heads, 0, 1),
                new ActivationCost(0, heads, 0, 1), 0, 0);
    }

    private static Block denseMlp(JsonNode root, String source, String p, int h, boolean mlpBias) {
        int f = positive(root, "intermediate_size", source);
        return new Block("mlp", List.of(LinearModule.dense(p + "up_proj", h, f), LinearModule.dense(p + "down_proj", f, h)),
                h + (mlpBias ? (long) f + h : 0), ActivationCost.linear(2L * h + 2L * f), ActivationCost.linear(2L * f), 0, 0);
    }

    /**
     * The layer pattern as {@code M E * -} characters, from either spelling: real checkpoints write
     * {@code hybrid_override_pattern} + {@code num_hidden_layers}; transformers 5 writes
     * {@code layers_block_type} ({@code linear_attention}/{@code mamba}, {@code moe},
     * {@code full_attention}/{@code attention}, {@code mlp}).
     */
    static String layerPattern(JsonNode root, String source) {
        if (has(root, "layers_block_type")) {
            JsonNode list = root.get("layers_block_type");
            if (!list.isArray() || list.isEmpty()) {
                throw new ModelConfigException("Invalid value " + list + " for layers_block_type in " + source
                        + ": must be a non-empty list of linear_attention, moe, full_attention, mlp");
            }
            StringBuilder sb = new StringBuilder();
            for (JsonNode n : list) {
                sb.append(switch (n.asText()) {
                    case "linear_attention", "mamba" -> 'M';
                    case "moe" -> 'E';
                    case "full_attention", "attention" -> '*';
                    case "mlp" -> '-';
                    default -> throw new ModelConfigException("Unsupported layers_block_type entry " + n + " in " + source
                            + ": must be one of linear_attention (mamba), moe, full_attention (attention), mlp");
                });
            }
            if (has(root, "hybrid_override_pattern") && !root.get("hybrid_override_pattern").asText().equals(sb.toString())) {
                throw new ModelConfigException("layers_block_type " + list + " and hybrid_override_pattern "
                        + root.get("hybrid_override_pattern") + " disagree in " + source + ": keep one of them");
            }
            return sb.toString();
        }
        if (!has(root, "hybrid_override_pattern")) {
            throw new ModelConfigException("Missing hybrid_override_pattern (or layers_block_type) in " + source
                    + ": a nemotron_h config must give its layer pattern");
        }
        String pattern = root.get("hybrid_override_pattern").asText();
        if (!pattern.matches("[ME*-]+")) {
            throw new ModelConfigException("Invalid value \"" + pattern + "\" for hybrid_override_pattern in " + source
                    + ": must use only M (Mamba-2), E (MoE), * (attention) and - (MLP)");
        }
        int layers = positive(root, "num_hidden_layers", source);
        if (layers != pattern.length()) {
            throw new ModelConfigException("num_hidden_layers " + layers + " does not match the " + pattern.length()
                    + " layers of hybrid_override_pattern in " + source + ": they must agree");
        }
        return pattern;
    }

    private static boolean has(JsonNode root, String key) {
        return root.has(key) && !root.get(key).isNull();
    }

    private static int positive(JsonNode root, String key, String source) {
        JsonNode n = root.get(key);
        if (n == null || n.isNull()) {
            throw new ModelConfigException("Missing " + key + " in " + source);
        }
        if (!n.canConvertToInt() || !n.isIntegralNumber() || n.asInt() < 1) {
            throw new ModelConfigException("Invalid value " + n + " for " + key + " in " + source
                    + ": must be a positive integer");
        }
        return n.asInt();
    }
}
