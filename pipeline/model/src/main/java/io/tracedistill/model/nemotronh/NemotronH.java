package io.tracedistill.model.nemotronh;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.core.Embedding;
import io.tracedistill.model.CheckpointWeights;
import io.tracedistill.model.DecodeCache;
import io.tracedistill.model.Float16Base;
import io.tracedistill.model.GradientCheckpointing;
import io.tracedistill.model.LanguageModel;
import io.tracedistill.model.LinearProjection;
import io.tracedistill.model.ModelConfig;
import io.tracedistill.model.ModelLoadException;
import io.tracedistill.model.Projection;
import io.tracedistill.model.RmsNorm;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.UnaryOperator;

/**
 * Nemotron-H ({@code NemotronHForCausalLM}, {@code model_type: nemotron_h}), the hybrid of Mamba-2, MoE,
 * attention and dense MLP layers of NVIDIA-Nemotron-3-Nano-30B-A3B, on DJL's PyTorch engine:
 * {@code x = embeddings[ids]; x = x + mixer_i(RMSNorm_i(x)) per layer; logits = lm_head(RMSNorm_f(x))}.
 *
 * <p>Reference: transformers 5 {@code models/nemotron_h} (eager) and NVIDIA's {@code modeling_nemotron_h.py}.
 * Weights are read under the on-disk names ({@code backbone.*}, one tensor per routed expert). The linear
 * layers are slots under their module paths ({@code backbone.layers.{i}.mixer.in_proj},
 * {@code ...mixer.experts.{e}.up_proj}, ...), so LoRA adapters use the deployed PEFT key layout.
 *
 * <p>Memory: weights live in the manager given to {@link #load}; activations in the manager of the input.
 */
public final class NemotronH implements LanguageModel {
    private static final float MASK_MIN = -Float.MAX_VALUE;
    static final String PREFIX = "backbone.";

    private final NemotronHConfig config;
    private final Map<String, NDArray> parameters;
    private final NDArray embeddings; // [V, H]
    private final List<RmsNorm> norms;
    private final List<Mixer> mixers;
    private final RmsNorm normF;
    private final NDArray lmHead;     // [V, H]
    private final List<String> expected = new ArrayList<>();

    private NemotronH(NemotronHConfig cfg, Map<String, NDArray> w) {
        this.config = cfg;
        this.parameters = w;
        int h = cfg.hiddenSize();
        this.embeddings = require(w, PREFIX + "embeddings.weight", cfg.vocabSize(), h);
        List<RmsNorm> ns = new ArrayList<>();
        List<Mixer> ms = new ArrayList<>();
        for (int i = 0; i < cfg.numLayers(); i++) {
            String p = PREFIX + "layers." + i + ".";
            ns.add(new RmsNorm(require(w, p + "norm.weight", h), cfg.eps()));
            String m = p + "mixer.";
            ms.add(switch (cfg.layers().get(i)) {
                case MAMBA -> new Mamba2Mixer(cfg,
                        linear(w, m + "in_proj", cfg.inProjOut(), h),
                        linear(w, m + "out_proj", h, cfg.mambaInner()),
                        require(w, m + "conv1d.weight", cfg.convDim(), 1, cfg.convKernel()),
                        cfg.useConvBias() ? require(w, m + "conv1d.bias", cfg.convDim()) : null,
                        require(w, m + "dt_bias", cfg.mambaHeads()),
                        require(w, m + "A_log", cfg.mambaHeads()),
                        require(w, m + "D", cfg.mambaHeads()),
                        require(w, m + "norm.weight", cfg.mambaInner()));
                case MOE -> {
                    List<LinearProjection[]> experts = new ArrayList<>();
                    for (int e = 0; e < cfg.nRoutedExperts(); e++) {
                        String x = m + "experts." + e + ".";
                        experts.add(new LinearProjection[] {
                            linear(w, x + "up_proj", cfg.moeIntermediateSize(), h),
                            linear(w, x + "down_proj", h, cfg.moeIntermediateSize())});
                    }
                    yield new MoeMixer(cfg, i,
                            require(w, m + "gate.weight", cfg.nRoutedExperts(), h),
                            require(w, m + "gate.e_score_correction_bias", cfg.nRoutedExperts()),
                            experts,
                            linear(w, m + "shared_experts.up_proj", cfg.sharedExpertIntermediateSize(), h),
                            linear(w, m + "shared_experts.down_proj", h, cfg.sharedExpertIntermediateSize()));
                }
                case ATTENTION -> {
                    int q = cfg.numAttentionHeads() * cfg.headDim();
                    int kv = cfg.numKeyValueHeads() * cfg.headDim();
                    yield new AttentionMixer(cfg, linear(w, m + "q_proj", q, h), linear(w, m + "k_proj", kv, h),
                            linear(w, m + "v_proj", kv, h), linear(w, m + "o_proj", h, q));
                }
                case MLP -> new DenseMlpMixer(linear(w, m + "up_proj", cfg.intermediateSize(), h),
                        linear(w, m + "down_proj", h, cfg.intermediateSize()));
            });
        }
        this.norms = List.copyOf(ns);
        this.mixers = List.copyOf(ms);
        this.normF = new RmsNorm(require(w, PREFIX + "norm_f.weight", h), cfg.eps());
        if (w.containsKey("lm_head.weight") || !cfg.tieWordEmbeddings()) {
            this.lmHead = require(w, "lm_head.weight", cfg.vocabSize(), h);
        } else {
            this.lmHead = embeddings; // NVIDIA's class ties when the flag is set and no lm_head is saved
        }
    }

    /** Loads config.json and the safetensors weights of a HF model directory as float32 (BF16/F16 widened). */
    public static NemotronH load(Path modelDir, NDManager manager) {
        return load(modelDir, manager, null);
    }

    /**
     * As {@link #load(Path, NDManager)}; with {@code float16} non-null, the tensors it selects are stored in FP16
     * ({@code base_dtype: float16}) and its findings are logged.
     */
    public static NemotronH load(Path modelDir, NDManager manager, Float16Base float16) {
        NemotronHConfig config = NemotronHConfig.load(modelDir);
        Map<String, NDArray> weights = CheckpointWeights.load(modelDir, manager, name -> {
            if (name.startsWith("mtp.")) {
                throw new ModelLoadException("Model " + modelDir + " has multi-token-prediction tensors ('" + name
                        + "'): MTP layers are not implemented; use a checkpoint without them");
            }
            return true;
        }, float16);
        return fromWeights(config, weights, modelDir.toString());
    }

    /** Builds the model from float32 weights under their checkpoint names; every tensor must be used. */
    public static NemotronH fromWeights(NemotronHConfig config, Map<String, NDArray> weights, String source) {
        Map<String, NDArray> copy = new LinkedHashMap<>(weights);
        NemotronH lm;
        try {
            lm = new NemotronH(config, copy);
        } catch (ModelLoadException e) {
            throw new ModelLoadException(e.getMessage() + " (model " + source + ")", e);
        }
        TreeSet<String> unused = new TreeSet<>(copy.keySet());
        lm.expected.forEach(unused::remove);
        if (!unused.isEmpty()) {
            String hint = unused.first().startsWith("model.")
                    ? ": this port reads the on-disk layout (backbone.*, one tensor per routed expert), as NVIDIA's "
                    + "checkpoints and transformers' save_pretrained write it"
                    : ": the checkpoint does not match its config.json (" + config + ")";
            throw new ModelLoadException("Model " + source + " has " + unused.size() + " tensors this nemotron_h port "
                    + "does not use, e.g. " + unused.first() + hint);
        }
        return lm;
    }

    /** {@link CheckpointWeights#require}, and {@code name} counts as used. */
    private NDArray require(Map<String, NDArray> w, String name, long... shape) {
        NDArray a = CheckpointWeights.require(w, name, shape);
        expected.add(name);
        return a;
    }

    private LinearProjection linear(Map<String, NDArray> w, String module, int out, int in) {
        return new LinearProjection(module, require(w, module + ".weight", out, in), null);
    }

    public NemotronHConfig nemotronConfig() {
        return config;
    }

    @Override
    public ModelConfig modelConfig() {
        return config;
    }

    @Override
    public boolean rotaryPositions() {
        return false; // attention without positional encoding (rope_theta in config.json is unused)
    }

    @Override
    public Map<String, NDArray> parameters() {
        return Collections.unmodifiableMap(parameters);
    }

    private static String mixerPrefix(int layer) {
        return PREFIX + "layers." + layer + ".mixer.";
    }

    @Override
    public Map<String, Projection> projections() {
        Map<String, Projection> out = new LinkedHashMap<>();
        for (int i = 0; i < mixers.size(); i++) {
            String p = mixerPrefix(i);
            mixers.get(i).slots().forEach((k, v) -> out.put(p + k, v));
        }
        return out;
    }

    @Override
    public List<String> moduleNames() {
        List<String> names = new ArrayList<>(List.of("backbone", "backbone.embeddings", "backbone.layers"));
        for (int i = 0; i < mixers.size(); i++) {
            String p = PREFIX + "layers." + i;
            names.add(p);
            names.add(p + ".norm");
            names.add(p + ".mixer");
            for (String n : mixers.get(i).moduleNames()) {
                names.add(p + ".mixer." + n);
            }
        }
        names.add("backbone.norm_f");
        names.add("lm_head");
        return names;
    }

    /** transformers 5's native class renames {@code backbone.} to {@code model.}; adapters saved from it say so. */
    @Override
    public String canonicalModuleName(String moduleName) {
        return moduleName.startsWith("model.") ? PREFIX + moduleName.substring("model.".length()) : moduleName;
    }

    @Override
    public void replaceProjection(String moduleName, Projection replacement) {
        String[] parts = moduleName.split("\\.", 5);
        if (parts.length != 5 || !"backbone".equals(parts[0]) || !"layers".equals(parts[1]) || !"mixer".equals(parts[3])
                || !parts[2].chars().allMatch(Character::isDigit) || Integer.parseInt(parts[2]) >= mixers.size()) {
            throw new IllegalArgumentException("Not a projection slot: '" + moduleName
                    + "' (expected backbone.layers.{i}.mixer.{name})");
        }
        mixers.get(Integer.parseInt(parts[2])).replace(parts[4], replacement, moduleName);
    }

    @Override
    public LanguageModel sharingBaseWeights(NDManager manager) {
        return fromWeights(config, parameters, "sharing the weights of " + this);
    }

    @Override
    public DecodeCache newCache(NDManager manager) {
        return new NemotronHCache(mixers.size(), manager);
    }

    @Override
    public NDArray forward(NDArray inputIds, NDArray attentionMask, NDArray positionIds, DecodeCache cache,
                           boolean training) {
        return lmHead(hiddenStates(inputIds, attentionMask, positionIds, cache, training, null));
    }

    @Override
    public NDArray lmHead(NDArray hidden) {
        return LinearProjection.linear(hidden, lmHead, null); // [..., V]
    }

    @Override
    public NDArray hiddenStates(NDArray inputIds, NDArray attentionMask, NDArray positionIds, DecodeCache cache,
                                boolean training, UnaryOperator<NDArray> embeddingHook) {
        return run(inputIds, attentionMask, cache, training, embeddingHook, null);
    }

    /**
     * The MoE routing of every MoE layer for {@code inputIds [B, T]} (no padding, no cache), in layer order;
     * the decisions the forward pass uses (for checks against the reference's routing).
     */
    public List<MoeRouting> routing(NDArray inputIds) {
        List<MoeRouting> log = new ArrayList<>();
        run(inputIds, null, null, false, null, log);
        return log;
    }

    @Override
    public GradientCheckpointing checkpointedHiddenStates(NDArray inputIds, NDArray attentionMask, boolean training,
                                                          UnaryOperator<NDArray> embeddingHook) {
        GradientCheckpointing checkpointing = new GradientCheckpointing(layerFunctions(
                prepare(inputIds, attentionMask, null, training, null)), normF::forward);
        checkpointing.forward(embed(inputIds, embeddingHook));
        return checkpointing;
    }

    private NDArray run(NDArray inputIds, NDArray attentionMask, DecodeCache decodeCache, boolean training,
                        UnaryOperator<NDArray> embeddingHook, List<MoeRouting> routingLog) {
        NemotronHCache cache;
        if (decodeCache == null || decodeCache instanceof NemotronHCache) {
            cache = (NemotronHCache) decodeCache;
        } else {
            throw new IllegalArgumentException("A nemotron_h model needs the cache from its own newCache(), got "
                    + decodeCache.getClass().getSimpleName());
        }
        ForwardContext ctx = prepare(inputIds, attentionMask, cache, training, routingLog);
        NDArray x = embed(inputIds, embeddingHook);
        for (UnaryOperator<NDArray> layer : layerFunctions(ctx)) {
            x = layer.apply(x);
        }
        if (cache != null) {
            cache.advance(inputIds.getShape().get(1));
        }
        return normF.forward(x);
    }

    /** Layer i as a function: {@code x + mixer_i(RMSNorm_i(x))}, {@code [B, T, H] -> [B, T, H]}. */
    private List<UnaryOperator<NDArray>> layerFunctions(ForwardContext ctx) {
        List<UnaryOperator<NDArray>> out = new ArrayList<>();
        for (int i = 0; i < mixers.size(); i++) {
            int layer = i;
            out.add(x -> x.add(mixers.get(layer).forward(norms.get(layer).forward(x), ctx.at(layer))));
        }
        return out;
    }

    /** {@code embeddings[ids]} {@code [B, T, H]} float32 (an FP16 base widened), then the NEFTune hook if any. */
    private NDArray embed(NDArray inputIds, UnaryOperator<NDArray> embeddingHook) {
        NDArray x = Embedding.embedding(inputIds.toType(DataType.INT64, false), embeddings, SparseFormat.DENSE)
                .singletonOrThrow().toType(DataType.FLOAT32, false);
        return embeddingHook == null ? x : embeddingHook.apply(x);
    }

    /** Masks for this pass: the Mamba token mask and the attention bias, checked against the cache length. */
    private ForwardContext prepare(NDArray inputIds, NDArray attentionMask, NemotronHCache cache, boolean training,
                                   List<MoeRouting> routingLog) {
        Shape shape = inputIds.getShape();
        if (shape.dimension() != 2) {
            throw new IllegalArgumentException("input_ids must be [B, T], got " + shape);
        }
        long b = shape.get(0);
        long t = shape.get(1);
        long past = cache == null ? 0 : cache.pastLength();
        long s = past + t;
        NDManager m = inputIds.getManager();
        NDArray tokenMask = null;
        if (attentionMask != null) {
            if (attentionMask.getShape().get(0) != b || attentionMask.getShape().get(1) != s) {
                throw new IllegalArgumentException("attention_mask must be [B, past+T] = [" + b + ", " + s
                        + "], got " + attentionMask.getShape());
            }
            // Mamba layers zero padded tokens; a single new token is never padding (transformers skips it too).
            if (t > 1) {
                tokenMask = attentionMask.get(":, " + past + ":").toType(DataType.FLOAT32, false); // [B, T]
            }
        }
        NDArray attnBias = null;
        if (config.layers().contains(NemotronHConfig.LayerType.ATTENTION)) {
            // Additive mask [B, 1, T, S]: key j visible to query i iff j <= past + i and mask[b, j] = 1.
            NDArray keyPos = m.arange(0, (int) s, 1, DataType.INT64).reshape(1, s);
            NDArray queryPos = m.arange((int) past, (int) s, 1, DataType.INT64).reshape(t, 1);
            NDArray allowed = keyPos.lte(queryPos).expandDims(0);                       // [1, T, S]
            if (attentionMask != null) {
                allowed = allowed.logicalAnd(attentionMask.toType(DataType.BOOLEAN, false).expandDims(1));
            }
            attnBias = allowed.logicalNot().toType(DataType.FLOAT32, false).mul(MASK_MIN).expandDims(1);
        }
        return new ForwardContext(0, tokenMask, attnBias, cache, training, routingLog);
    }

    @Override
    public String toString() {
        return "NemotronH(" + config + ")";
    }
}
