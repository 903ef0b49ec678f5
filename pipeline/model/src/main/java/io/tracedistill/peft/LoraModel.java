package io.tracedistill.peft;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.tracedistill.model.LanguageModel;
import io.tracedistill.model.LinearProjection;
import io.tracedistill.model.Projection;
import io.tracedistill.targets.LoraTargets;
import java.lang.System.Logger;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;

/**
 * A {@link LanguageModel} (any family) with LoRA injected into its projections, as PEFT's {@code LoraModel}
 * ({@code get_peft_model}): targets are matched by PEFT's list rule (module name equals the target or
 * ends with {@code "." + target}), each matched {@code nn.Linear} slot is wrapped in a
 * {@link LoraLinear}, and the base weights stay frozen (no gradient is ever attached to them).
 *
 * <p>Fresh adapters follow PEFT's default init: {@code lora_A} kaiming-uniform with {@code a = sqrt(5)}
 * (bound {@code 1/sqrt(in)}), drawn from a seeded Java RNG, and {@code lora_B = 0}, so the adapted
 * model starts equal to the base model.
 *
 * <p>Parameter names are PEFT's saved keys: {@code base_model.model.<module>.lora_A.weight}.
 */
public final class LoraModel {
    private static final Logger LOG = System.getLogger(LoraModel.class.getName());
    /** Prefix PEFT puts before a module name in {@code adapter_model.safetensors}. */
    public static final String KEY_PREFIX = "base_model.model.";

    private final LanguageModel model;
    private final LoraConfig config;
    private final NDManager manager;
    private final Map<String, LoraLinear> layers; // module name -> layer, in model order

    private LoraModel(LanguageModel model, LoraConfig config, NDManager manager, Map<String, LoraLinear> layers) {
        this.model = model;
        this.config = config;
        this.manager = manager;
        this.layers = layers;
    }

    /**
     * Resolves target modules: the configured list, or (when null) the architecture-aware defaults of
     * {@link LoraTargets#architectureAware(java.util.Collection)} over the model's module names.
     */
    public static List<String> resolveTargets(LanguageModel model, LoraConfig config) {
        if (config.targetModules() != null) {
            return config.targetModules();
        }
        return LoraTargets.architectureAware(model.moduleNames());
    }

    /** The module names (projection slots) the config's targets select, in model order. */
    public static List<String> matchTargets(LanguageModel model, List<String> targets) {
        Map<String, Projection> slots = model.projections();
        List<String> matched = new ArrayList<>();
        List<String> unmatched = new ArrayList<>();
        for (String target : targets) {
            boolean hit = false;
            for (String name : model.moduleNames()) {
                if (LoraTargets.matches(target, name)) {
                    if (!slots.containsKey(name)) {
                        throw new IllegalArgumentException("LoRA target '" + target + "' matches module '" + name
                                + "', which is not a linear projection: PEFT only adapts Linear layers; use names like "
                                + "q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj");
                    }
                    hit = true;
                }
            }
            if (!hit) {
                unmatched.add(target);
            }
        }
        for (String name : slots.keySet()) {
            for (String target : targets) {
                if (LoraTargets.matches(target, name)) {
                    matched.add(name);
                    break;
                }
            }
        }
        if (matched.isEmpty()) {
            throw new IllegalArgumentException("LoRA target_modules " + targets + " match no module of the "
                    + model.modelType() + " model: use names like q_proj, v_proj, gate_proj");
        }
        if (!unmatched.isEmpty()) {
            LOG.log(Logger.Level.WARNING, "LoRA target_modules " + unmatched + " match no module of the "
                    + model.modelType() + " model and are ignored");
        }
        return matched;
    }

    /**
     * Injects fresh LoRA layers (PEFT default init) into {@code model}. LoRA tensors are created in a
     * sub-manager of {@code manager} and do not require gradients until {@link #setTrainable}.
     */
    public static LoraModel inject(LanguageModel model, LoraConfig config, long seed, NDManager manager) {
        List<String> targets = resolveTargets(model, config);
        LoraConfig resolved = config.withTargets(targets);
        List<String> modules = matchTargets(model, targets);
        Map<String, Projection> slots = model.projections();
        SplittableRandom rng = new SplittableRandom(seed);
        NDManager loraManager = manager.newSubManager();
        Map<String, LoraLinear> layers = new LinkedHashMap<>();
        for (String name : modules) {
            LinearProjection base = baseOf(slots.get(name), name);
            int in = base.inFeatures();
            int out = base.outFeatures();
            // kaiming_uniform_(A, a=sqrt(5)): gain = sqrt(2/(1+5)), bound = gain*sqrt(3/in) = 1/sqrt(in).
            double bound = 1.0 / Math.sqrt(in);
            float[] a = new float[config.r() * in];
            for (int i = 0; i < a.length; i++) {
                a[i] = (float) ((rng.nextDouble() * 2 - 1) * bound);
            }
            NDArray loraA = loraManager.create(a, new Shape(config.r(), in));
            NDArray loraB = loraManager.zeros(new Shape(out, config.r()), DataType.FLOAT32);
            LoraLinear layer = new LoraLinear(name, base, loraA, loraB, resolved.scaling(), resolved.dropout());
            model.replaceProjection(name, layer);
            layers.put(name, layer);
        }
        return new LoraModel(model, resolved, loraManager, layers);
    }

    /**
     * Injects LoRA layers with given weights (e.g. read from a PEFT adapter). {@code tensors} maps
     * PEFT keys ({@code base_model.model.<module>.lora_A.weight}) to float32 arrays; every targeted
     * module needs both A and B, and no key may be left over.
     */
    public static LoraModel injectWeights(LanguageModel model, LoraConfig config, Map<String, NDArray> tensors,
                                          NDManager manager, String source) {
        List<String> targets = resolveTargets(model, config);
        LoraConfig resolved = config.withTargets(targets);
        List<String> modules = matchTargets(model, targets);
        Map<String, Projection> slots = model.projections();
        // 1. Validate everything before touching the model, so a bad adapter leaves it unchanged.
        TreeMap<String, NDArray> remaining = new TreeMap<>(tensors);
        for (String name : modules) {
            String keyA = keyA(name);
            String keyB = keyB(name);
            NDArray a = remaining.remove(keyA);
            NDArray b = remaining.remove(keyB);
            if (a == null || b == null) {
                throw new IllegalArgumentException("Adapter " + source + " has no tensor '" + (a == null ? keyA : keyB)
                        + "' although target_modules " + targets + " select module " + name);
            }
            LinearProjection base = baseOf(slots.get(name), name);
            if (a.getShape().dimension() != 2 || b.getShape().dimension() != 2
                    || a.getShape().get(0) != config.r() || b.getShape().get(1) != config.r()
                    || a.getShape().get(1) != base.inFeatures() || b.getShape().get(0) != base.outFeatures()) {
                throw new IllegalArgumentException("Adapter " + source + ": " + keyA + " " + a.getShape() + " / "
                        + keyB + " " + b.getShape() + " do not fit module " + name + " [out " + base.outFeatures()
                        + ", in " + base.inFeatures() + "] with r = " + config.r() + " from adapter_config.json");
            }
        }
        if (!remaining.isEmpty()) {
            throw new IllegalArgumentException("Adapter " + source + " has " + remaining.size()
                    + " tensors for modules outside target_modules " + targets + ", e.g. '" + remaining.firstKey()
                    + "': adapter_config.json and adapter_model.safetensors disagree");
        }
        // 2. Inject.
        NDManager loraManager = manager.newSubManager();
        Map<String, LoraLinear> layers = new LinkedHashMap<>();
        for (String name : modules) {
            NDArray a = tensors.get(keyA(name));
            NDArray b = tensors.get(keyB(name));
            a.attach(loraManager);
            b.attach(loraManager);
            LoraLinear layer = new LoraLinear(name, baseOf(slots.get(name), name), a, b, resolved.scaling(), resolved.dropout());
            model.replaceProjection(name, layer);
            layers.put(name, layer);
        }
        return new LoraModel(model, resolved, loraManager, layers);
    }

    private static LinearProjection baseOf(Projection p, String name) {
        if (p instanceof LoraLinear) {
            throw new IllegalStateException("Module " + name + " already has a LoRA adapter: load one adapter per model");
        }
        return p.baseLayer();
    }

    public static String keyA(String moduleName) {
        return KEY_PREFIX + moduleName + ".lora_A.weight";
    }

    public static String keyB(String moduleName) {
        return KEY_PREFIX + moduleName + ".lora_B.weight";
    }

    public LanguageModel model() {
        return model;
    }

    /** The config with its resolved target modules. */
    public LoraConfig config() {
        return config;
    }

    /** The manager holding the LoRA tensors. */
    public NDManager manager() {
        return manager;
    }

    /** LoRA layers by module name, in model order. */
    public Map<String, LoraLinear> layers() {
        return Collections.unmodifiableMap(layers);
    }

    /**
     * Every LoRA tensor under its PEFT key, sorted by key (the order PEFT saves them in). These are the
     * live arrays: an optimizer updating them in place changes the model.
     */
    public LinkedHashMap<String, NDArray> trainableParameters() {
        TreeMap<String, NDArray> sorted = new TreeMap<>();
        layers.forEach((name, l) -> {
            sorted.put(keyA(name), l.loraA());
            sorted.put(keyB(name), l.loraB());
        });
        return new LinkedHashMap<>(sorted);
    }

    /** Attaches (or drops) gradients on every LoRA tensor; the base weights never get one. */
    public void setTrainable(boolean trainable) {
        for (LoraLinear l : layers.values()) {
            l.loraA().setRequiresGradient(trainable);
            l.loraB().setRequiresGradient(trainable);
        }
    }

    /** Folds every update into its base weight (PEFT {@code merge_adapter}). */
    public void merge() {
        layers.values().forEach(LoraLinear::merge);
    }

    /** Restores every base weight (PEFT {@code unmerge_adapter}). */
    public void unmerge() {
        layers.values().forEach(LoraLinear::unmerge);
    }

    /**
     * Copies weights into the live LoRA tensors (same keys and shapes as {@link #trainableParameters()}),
     * e.g. to start from an initial adapter or restore a checkpoint.
     */
    public void copyFrom(Map<String, NDArray> source, String sourceName) {
        LinkedHashMap<String, NDArray> params = trainableParameters();
        for (Map.Entry<String, NDArray> e : params.entrySet()) {
            NDArray src = source.get(e.getKey());
            if (src == null) {
                throw new IllegalArgumentException(sourceName + " has no tensor '" + e.getKey() + "'");
            }
            if (!src.getShape().equals(e.getValue().getShape())) {
                throw new IllegalArgumentException(sourceName + ": tensor '" + e.getKey() + "' has shape "
                        + src.getShape() + ", the model's LoRA layer needs " + e.getValue().getShape());
            }
            e.getValue().set(src.toType(DataType.FLOAT32, false).toFloatArray());
        }
    }
}
