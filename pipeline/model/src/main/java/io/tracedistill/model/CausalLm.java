package io.tracedistill.model;

import static io.tracedistill.model.CheckpointWeights.require;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.core.Embedding;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.UnaryOperator;

/**
 * A Llama / Qwen2 / Qwen3 causal language model ({@code *ForCausalLM}) on DJL's PyTorch engine:
 * {@code model.embed_tokens → model.layers.{i} → model.norm → lm_head} (or tied to the embedding).
 *
 * <p>Reference: transformers {@code modeling_llama.py}, {@code modeling_qwen2.py},
 * {@code modeling_qwen3.py} (eager attention). Weights are held under their HF names, so loading is a
 * name map ({@link #parameters()}), and the 7 projections per layer are replaceable slots
 * ({@link #projections()}, {@link #replaceProjection}) for LoRA.
 *
 * <p>Memory: weights live in the manager given to {@link #load}; every activation of a forward pass
 * is created in the manager of {@code inputIds}, so give each step its own sub-manager and close it.
 */
public final class CausalLm implements LanguageModel {
    /** HF fills masked scores with the most negative float (torch.finfo(float32).min). */
    private static final float MASK_MIN = -Float.MAX_VALUE;

    private final HfConfig config;
    private final NDArray embedTokens;       // [V, hidden]
    private final List<DecoderLayer> layers;
    private final RmsNorm norm;
    private final NDArray lmHead;            // [V, hidden]; == embedTokens when tied
    private final RotaryEmbedding rotary;
    private final Map<String, NDArray> parameters; // HF name -> weight (base weights, frozen)

    private CausalLm(HfConfig config, Map<String, NDArray> weights, NDManager manager) {
        this.config = config;
        this.parameters = weights;
        this.embedTokens = require(weights, "model.embed_tokens.weight", config.vocabSize(), config.hiddenSize());
        int h = config.hiddenSize();
        int qOut = config.numAttentionHeads() * config.headDim();
        int kvOut = config.numKeyValueHeads() * config.headDim();
        List<DecoderLayer> ls = new ArrayList<>();
        for (int i = 0; i < config.numHiddenLayers(); i++) {
            String p = "model.layers." + i + ".";
            String a = p + "self_attn.";
            boolean qkvBias = config.qkvBias() || config.attentionBias();
            LinearProjection q = linear(weights, a + "q_proj", qOut, h, qkvBias);
            LinearProjection k = linear(weights, a + "k_proj", kvOut, h, qkvBias);
            LinearProjection v = linear(weights, a + "v_proj", kvOut, h, qkvBias);
            LinearProjection o = linear(weights, a + "o_proj", h, qOut, config.attentionBias());
            RmsNorm qn = null;
            RmsNorm kn = null;
            if (config.qkNorm()) {
                qn = new RmsNorm(require(weights, a + "q_norm.weight", config.headDim()), config.rmsNormEps());
                kn = new RmsNorm(require(weights, a + "k_norm.weight", config.headDim()), config.rmsNormEps());
            }
            String m = p + "mlp.";
            Mlp mlp = new Mlp(
                    linear(weights, m + "gate_proj", config.intermediateSize(), h, false),
                    linear(weights, m + "up_proj", config.intermediateSize(), h, false),
                    linear(weights, m + "down_proj", h, config.intermediateSize(), false));
            ls.add(new DecoderLayer(i,
                    new RmsNorm(require(weights, p + "input_layernorm.weight", h), config.rmsNormEps()),
                    new Attention(config, q, k, v, o, qn, kn),
                    new RmsNorm(require(weights, p + "post_attention_layernorm.weight", h), config.rmsNormEps()),
                    mlp));
        }
        this.layers = Collections.unmodifiableList(ls);
        this.norm = new RmsNorm(require(weights, "model.norm.weight", h), config.rmsNormEps());
        if (config.tieWordEmbeddings()) {
            this.lmHead = embedTokens;
        } else {
            this.lmHead = require(weights, "lm_head.weight", config.vocabSize(), h);
        }
        this.rotary = new RotaryEmbedding(config.headDim(), config.ropeTheta(), manager);
    }

    /**
     * Loads {@code config.json} and {@code model.safetensors} (or its shards) from a HF model
     * directory into {@code manager} as float32 (F16/BF16 files are widened).
     */
    public static CausalLm load(Path modelDir, NDManager manager) {
        return load(modelDir, manager, null);
    }

    /**
     * As {@link #load(Path, NDManager)}; with {@code float16} non-null, the tensors it selects are stored in FP16
     * ({@code base_dtype: float16}) and its findings are logged.
     */
    public static CausalLm load(Path modelDir, NDManager manager, Float16Base float16) {
        HfConfig config = HfConfig.load(modelDir);
        // Skipped: rotary_emb.inv_freq, a buffer old checkpoints saved (recomputed from rope_theta), and a saved
        // lm_head when tied (HF ignores it).
        Map<String, NDArray> weights = CheckpointWeights.load(modelDir, manager, name -> !name.endsWith("rotary_emb.inv_freq")
                && !(config.tieWordEmbeddings() && "lm_head.weight".equals(name)), float16);
        return fromWeights(config, weights, manager, modelDir.toString());
    }

    /** Builds a model from already-loaded float32 weights under HF names (e.g. random weights for a benchmark). */
    public static CausalLm fromWeights(HfConfig config, Map<String, NDArray> weights, NDManager manager, String source) {
        Map<String, NDArray> copy = new LinkedHashMap<>(weights);
        CausalLm lm;
        try {
            lm = new CausalLm(config, copy, manager);
        } catch (ModelLoadException e) {
            throw new ModelLoadException(e.getMessage() + " (model " + source + ")", e);
        }
        TreeSet<String> unused = new TreeSet<>(copy.keySet());
        unused.removeAll(lm.expectedNames());
        if (!unused.isEmpty()) {
            throw new ModelLoadException("Model " + source + " has " + unused.size() + " tensors this "
                    + config.modelType() + " port does not use, e.g. " + unused.first()
                    + ": the checkpoint does not match its config.json");
        }
        return lm;
    }

    private List<String> expectedNames() {
        List<String> names = new ArrayList<>();
        names.add("model.embed_tokens.weight");
        for (int i = 0; i < config.numHiddenLayers(); i++) {
            String p = "model.layers." + i + ".";
            for (String n : List.of("input_layernorm.weight", "post_attention_layernorm.weight",
                    "mlp.gate_proj.weight", "mlp.up_proj.weight", "mlp.down_proj.weight",
                    "self_attn.q_proj.weight", "self_attn.k_proj.weight", "self_attn.v_proj.weight",
                    "self_attn.o_proj.weight")) {
                names.add(p + n);
            }
            if (config.qkvBias() || config.attentionBias()) {
                names.add(p + "self_attn.q_proj.bias");
                names.add(p + "self_attn.k_proj.bias");
                names.add(p + "self_attn.v_proj.bias");
            }
            if (config.attentionBias()) {
                names.add(p + "self_attn.o_proj.bias");
            }
            if (config.qkNorm()) {
                names.add(p + "self_attn.q_norm.weight");
                names.add(p + "self_attn.k_norm.weight");
            }
        }
        names.add("model.norm.weight");
        if (!config.tieWordEmbeddings()) {
            names.add("lm_head.weight");
        }
        return names;
    }


    private static LinearProjection linear(Map<String, NDArray> w, String name, int out, int in, boolean bias) {
        return new LinearProjection(name, require(w, name + ".weight", out, in), bias ? require(w, name + ".bias", out) : null);
    }

    public HfConfig config() {
        return config;
    }

    public List<DecoderLayer> layers() {
        return layers;
    }

    /** Base weights by HF name (read-only view; includes {@code lm_head.weight} only when untied). */
    @Override
    public Map<String, NDArray> parameters() {
        return Collections.unmodifiableMap(parameters);
    }

    /**
     * The current projection in every replaceable slot, by HF module name
     * ({@code model.layers.0.self_attn.q_proj} …), in layer order.
     */
    @Override
    public Map<String, Projection> projections() {
        Map<String, Projection> out = new LinkedHashMap<>();
        for (int i = 0; i < layers.size(); i++) {
            String p = "model.layers." + i + ".";
            layers.get(i).selfAttn().projections().forEach((k, v) -> out.put(p + "self_attn." + k, v));
            layers.get(i).mlp().projections().forEach((k, v) -> out.put(p + "mlp." + k, v));
        }
        return out;
    }

    /** All module names of the model, as PEFT sees them (used to match LoRA targets). */
    @Override
    public List<String> moduleNames() {
        List<String> names = new ArrayList<>();
        names.add("model");
        names.add("model.embed_tokens");
        names.add("model.layers");
        for (int i = 0; i < layers.size(); i++) {
            String p = "model.layers." + i;
            names.add(p);
            names.add(p + ".self_attn");
            for (String k : layers.get(i).selfAttn().projections().keySet()) {
                names.add(p + ".self_attn." + k);
            }
            if (config.qkNorm()) {
                names.add(p + ".self_attn.q_norm");
                names.add(p + ".self_attn.k_norm");
            }
            names.add(p + ".mlp");
            for (String k : layers.get(i).mlp().projections().keySet()) {
                names.add(p + ".mlp." + k);
            }
            names.add(p + ".mlp.act_fn");
            names.add(p + ".input_layernorm");
            names.add(p + ".post_attention_layernorm");
        }
        names.add("model.norm");
        names.add("model.rotary_emb");
        names.add("lm_head");
        return names;
    }

    /** Replaces the projection in slot {@code moduleName} (e.g. with a LoRA wrapper of the same base). */
    @Override
    public void replaceProjection(String moduleName, Projection replacement) {
        String[] parts = moduleName.split("\\.");
        if (parts.length != 5 || !"model".equals(parts[0]) || !"layers".equals(parts[1])) {
            throw new IllegalArgumentException("Not a projection slot: '" + moduleName
                    + "' (expected model.layers.{i}.self_attn|mlp.{name})");
        }
        int i = Integer.parseInt(parts[2]);
        if ("self_attn".equals(parts[3])) {
            layers.get(i).selfAttn().replace(parts[4], replacement);
        } else if ("mlp".equals(parts[3])) {
            layers.get(i).mlp().replace(parts[4], replacement);
        } else {
            throw new IllegalArgumentException("Not a projection slot: '" + moduleName + "'");
        }
    }

    /**
     * One forward pass.
     *
     * @param inputIds      {@code [B, T]} int32/int64 token ids
     * @param attentionMask null (all ones) or {@code [B, past + T]} with 1 = real token, 0 = padding
     * @param positionIds   null ({@code past .. past+T-1} for every row, as HF's default) or {@code [B, T]};
     *                      left-padded batches need {@code cumsum(mask) - 1} (see {@link #positionsFromMask})
     * @param cache         null, or a {@link KvCache} that is read and extended
     * @param training      enables dropout in LoRA layers
     * @return logits {@code [B, T, V]} float32, in {@code inputIds}' manager
     */
    @Override
    public NDArray forward(NDArray inputIds, NDArray attentionMask, NDArray positionIds, DecodeCache cache,
                           boolean training) {
        return lmHead(hiddenStates(inputIds, attentionMask, positionIds, cache, training, null));
    }

    @Override
    public LanguageModel sharingBaseWeights(NDManager manager) {
        return fromWeights(config, parameters, manager, "sharing the weights of " + this);
    }

    @Override
    public DecodeCache newCache(NDManager manager) {
        return new KvCache(config.numHiddenLayers(), manager);
    }

    @Override
    public ModelConfig modelConfig() {
        return config;
    }

    @Override
    public boolean rotaryPositions() {
        return true; // every family CausalLm loads applies RoPE to q and k
    }

    /** {@code lm_head}: hidden {@code [..., hidden]} -> logits {@code [..., V]} (any leading shape). */
    @Override
    public NDArray lmHead(NDArray hidden) {
        return LinearProjection.linear(hidden, lmHead, null);
    }

    /** {@link #hiddenStates(NDArray, NDArray, NDArray, KvCache, boolean, UnaryOperator)} without an embedding hook. */
    public NDArray hiddenStates(NDArray inputIds, NDArray attentionMask, NDArray positionIds, DecodeCache cache,
                                boolean training) {
        return hiddenStates(inputIds, attentionMask, positionIds, cache, training, null);
    }

    /**
     * Final normed hidden states {@code [B, T, hidden]} (the input of {@code lm_head}); arguments as
     * {@link #forward(NDArray, NDArray, NDArray, KvCache, boolean)}.
     *
     * @param embeddingHook null, or a function applied to the {@code embed_tokens} output
     *                      {@code [B, T, hidden]} before the first layer (NEFTune noise)
     */
    @Override
    public NDArray hiddenStates(NDArray inputIds, NDArray attentionMask, NDArray positionIds, DecodeCache decodeCache,
                                boolean training, UnaryOperator<NDArray> embeddingHook) {
        return run(inputIds, attentionMask, positionIds, decodeCache, training, embeddingHook, null);
    }

    @Override
    public GradientCheckpointing checkpointedHiddenStates(NDArray inputIds, NDArray attentionMask, boolean training,
                                                          UnaryOperator<NDArray> embeddingHook) {
        GradientCheckpointing[] made = new GradientCheckpointing[1];
        run(inputIds, attentionMask, null, null, training, embeddingHook, made);
        return made[0];
    }

    /** The forward; with {@code checkpointed} non-null the layers run through a new GradientCheckpointing put there. */
    private NDArray run(NDArray inputIds, NDArray attentionMask, NDArray positionIds, DecodeCache decodeCache,
                        boolean training, UnaryOperator<NDArray> embeddingHook, GradientCheckpointing[] checkpointed) {
        if (decodeCache != null && !(decodeCache instanceof KvCache)) {
            throw new IllegalArgumentException("A " + config.modelType() + " model needs the cache from its own "
                    + "newCache(), got " + decodeCache.getClass().getSimpleName());
        }
        KvCache cache = (KvCache) decodeCache;
        Shape shape = inputIds.getShape();
        if (shape.dimension() != 2) {
            throw new IllegalArgumentException("input_ids must be [B, T], got " + shape);
        }
        long b = shape.get(0);
        long t = shape.get(1);
        long past = cache == null ? 0 : cache.pastLength();
        long s = past + t;
        NDManager m = inputIds.getManager();
        NDArray ids = inputIds.toType(DataType.INT64, false);
        // 1. Positions [B, T] and rotary tables [B, 1, T, d].
        NDArray positions = positionIds != null ? positionIds
                : m.arange((int) past, (int) s, 1, DataType.INT64).expandDims(0).broadcast(b, t);
        NDList cs = rotary.cosSin(positions);
        // 2. Additive mask [B, 1, T, S]: key j visible to query i iff j <= past + i and mask[b, j] = 1.
        if (attentionMask != null && (attentionMask.getShape().get(1) != s || attentionMask.getShape().get(0) != b)) {
            throw new IllegalArgumentException("attention_mask must be [B, past+T] = [" + b + ", " + s
                    + "], got " + attentionMask.getShape());
        }
        NDArray allowed;
        if (t == 1 && attentionMask != null) {
            // One query (a decode step): every key j <= past is causally visible, so only the padding mask is left;
            // the same booleans as the general path with 7 fewer native ops per step.
            allowed = attentionMask.toType(DataType.BOOLEAN, false).expandDims(1);              // [B, 1, S]
        } else {
            NDArray keyPos = m.arange(0, (int) s, 1, DataType.INT64).reshape(1, s);          // [1, S]
            NDArray queryPos = m.arange((int) past, (int) s, 1, DataType.INT64).reshape(t, 1); // [T, 1]
            allowed = keyPos.lte(queryPos).expandDims(0);                                  // [1, T, S] bool
            if (attentionMask != null) {
                allowed = allowed.logicalAnd(attentionMask.toType(DataType.BOOLEAN, false).expandDims(1)); // [B, T, S]
            }
        }
        NDArray maskBias = allowed.logicalNot().toType(DataType.FLOAT32, false).mul(MASK_MIN).expandDims(1);
        // 3. Embed and run the layers.
        NDArray x = Embedding.embedding(ids, embedTokens, SparseFormat.DENSE).singletonOrThrow() // [B, T, hidden]
                .toType(DataType.FLOAT32, false); // no-op unless the base is stored in FP16
        if (embeddingHook != null) {
            x = embeddingHook.apply(x);
        }
        List<UnaryOperator<NDArray>> steps = new ArrayList<>();
        for (DecoderLayer layer : layers) {
            steps.add(h -> layer.forward(h, cs.get(0), cs.get(1), maskBias, cache, training));
        }
        if (checkpointed != null) {
            checkpointed[0] = new GradientCheckpointing(steps, norm::forward);
            return checkpointed[0].forward(x);
        }
        for (UnaryOperator<NDArray> step : steps) {
            x = step.apply(x);
        }
        return norm.forward(x);
    }

    /** HF generate's left-padding positions: {@code cumsum(mask) - 1}, with 0 at padded slots; {@code [B, T]}. */
    public static NDArray positionsFromMask(NDArray attentionMask) {
        NDArray mask = attentionMask.toType(DataType.INT64, false);
        NDArray pos = mask.cumSum(1).sub(1);
        return pos.mul(mask); // padded slots -> 0 (arbitrary: they are masked out)
    }

    /** The {@code lm_head} weight {@code [V, hidden]} (the embedding when tied). */
    public NDArray lmHeadWeight() {
        return lmHead;
    }

    @Override
    public String toString() {
        return "CausalLm(" + config + ")";
    }
}
