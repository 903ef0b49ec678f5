package io.tracedistill.config;

import io.tracedistill.contract.PyText;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Hyper-parameters of one training phase: the subset of TRL's {@code SFTConfig} the recipe varies.
 *
 * <p>Reference: {@code tracedistill.training.PhaseConfig} (commit 400d131): {@link #train()} is
 * the dataclass defaults (phase 1 "Train": lr 2e-4, linear, no warmup, clipping off with
 * {@code max_grad_norm 1e9}, batch 1 × 8, NEFTune 5.0, log every 50 steps); {@link #nudge()}
 * overrides lr 5e-6, cosine, warmup 10, {@code max_grad_norm 1.0}, log every 5 steps (phase 2
 * "Nudge"). The YAML {@code phase1:}/{@code phase2:} sections override single fields.
 *
 * @param learningRate              peak learning rate (AdamW), &gt; 0
 * @param lrSchedulerType           the schedule after warmup ({@code linear}, {@code cosine}, ...)
 * @param warmupSteps               linear warmup optimizer steps, ≥ 0
 * @param numTrainEpochs            passes over the phase's data, ≥ 1
 * @param perDeviceTrainBatchSize   examples per micro-batch per worker, ≥ 1
 * @param gradientAccumulationSteps micro-batches per optimizer step, ≥ 1
 * @param maxGradNorm               global-norm clip threshold, &gt; 0 (1e9 ≈ off)
 * @param neftuneNoiseAlpha         NEFTune embedding-noise alpha, ≥ 0 (0 = no noise)
 * @param loggingSteps              optimizer steps between metric log lines, ≥ 1
 */
public record PhaseConfig(
        double learningRate,
        LrSchedulerType lrSchedulerType,
        int warmupSteps,
        int numTrainEpochs,
        int perDeviceTrainBatchSize,
        int gradientAccumulationSteps,
        double maxGradNorm,
        double neftuneNoiseAlpha,
        int loggingSteps) {

    /**
     * One phase key: YAML name, parser (YAML value to the typed value), getter, and {@code yaml} (typed value to
     * the plain YAML value of {@link #toMap()}).
     */
    private record PhaseKey(String name, ConfigParsers.Parser<?> parser, Function<PhaseConfig, Object> getter, String doc,
                            Function<Object, Object> yaml) {
        PhaseKey(String name, ConfigParsers.Parser<?> parser, Function<PhaseConfig, Object> getter, String doc) {
            this(name, parser, getter, doc, Function.identity());
        }
    }

    private static final List<PhaseKey> DECLARED = List.of(
            new PhaseKey("learning_rate", ConfigParsers.number(v -> v > 0, "must be greater than 0"),
                    PhaseConfig::learningRate, "peak learning rate"),
            new PhaseKey("lr_scheduler_type", (raw, key, source) -> LrSchedulerType.fromYaml(
                    ConfigParsers.oneOf(LrSchedulerType.yamlNames()).parse(raw, key, source)),
                    PhaseConfig::lrSchedulerType, "learning-rate schedule after warmup",
                    t -> ((LrSchedulerType) t).yamlName()),
            new PhaseKey("warmup_steps", ConfigParsers.intAtLeast(0), PhaseConfig::warmupSteps, "linear warmup steps"),
            new PhaseKey("num_train_epochs", ConfigParsers.intAtLeast(1), PhaseConfig::numTrainEpochs, "epochs"),
            new PhaseKey("per_device_train_batch_size", ConfigParsers.intAtLeast(1),
                    PhaseConfig::perDeviceTrainBatchSize, "micro-batch size per worker"),
            new PhaseKey("gradient_accumulation_steps", ConfigParsers.intAtLeast(1),
                    PhaseConfig::gradientAccumulationSteps, "micro-batches per optimizer step"),
            new PhaseKey("max_grad_norm", ConfigParsers.number(v -> v > 0, "must be greater than 0 (1.0e9 turns clipping off)"),
                    PhaseConfig::maxGradNorm, "global gradient-norm clip"),
            new PhaseKey("neftune_noise_alpha", ConfigParsers.number(v -> v >= 0, "must be at least 0"),
                    PhaseConfig::neftuneNoiseAlpha, "NEFTune noise alpha"),
            new PhaseKey("logging_steps", ConfigParsers.intAtLeast(1), PhaseConfig::loggingSteps, "steps between log lines"));

    /** The phase keys, sorted (the reference's {@code _PHASE_FIELDS}). */
    public static final List<String> KEYS;

    static {
        List<String> names = new ArrayList<>();
        DECLARED.forEach(k -> names.add(k.name()));
        names.sort(PyText::compareCodePoints);
        KEYS = Collections.unmodifiableList(names);
    }

    /** Ranges are checked by the parsers of {@code DECLARED}: the config layer validates once, on load. */
    public PhaseConfig {
        java.util.Objects.requireNonNull(lrSchedulerType, "lrSchedulerType");
    }

    /** Phase 1 "Train" preset: the reference dataclass defaults. */
    public static PhaseConfig train() {
        return new PhaseConfig(2e-4, LrSchedulerType.LINEAR, 0, 1, 1, 8, 1e9, 5.0, 50);
    }

    /** Phase 2 "Nudge" preset: lr 5e-6, cosine, warmup 10, clipping at 1.0, log every 5 steps. */
    public static PhaseConfig nudge() {
        return new PhaseConfig(5e-6, LrSchedulerType.COSINE, 10, 1, 1, 8, 1.0, 5.0, 5);
    }

    /**
     * This preset with the YAML section's overrides applied ({@code PhaseConfig.train(**overrides)}).
     * {@code section} is the phase name ({@code phase1}) used in error messages as
     * {@code phase1.learning_rate}.
     *
     * @throws ConfigException naming the key, the value and the requirement
     */
    public PhaseConfig withOverrides(Map<?, ?> overrides, String section, String source) {
        Map<String, Object> values = typedMap();
        for (Map.Entry<?, ?> e : overrides.entrySet()) {
            Object k = e.getKey();
            PhaseKey key = DECLARED.stream().filter(d -> d.name().equals(k)).findFirst()
                    .orElseThrow(() -> ConfigException.reference("Unknown " + section + " keys "
                            + ConfigValues.repr(List.of(k)) + "; known keys: " + PyText.reprSortedList(KEYS) + ".", source, section));
            values.put(key.name(), key.parser().parse(e.getValue(), section + "." + key.name(), source));
        }
        return fromMap(values);
    }

    private static PhaseConfig fromMap(Map<String, Object> v) {
        return new PhaseConfig(
                (Double) v.get("learning_rate"),
                (LrSchedulerType) v.get("lr_scheduler_type"),
                (Integer) v.get("warmup_steps"),
                (Integer) v.get("num_train_epochs"),
                (Integer) v.get("per_device_train_batch_size"),
                (Integer) v.get("gradient_accumulation_steps"),
                (Double) v.get("max_grad_norm"),
                (Double) v.get("neftune_noise_alpha"),
                (Integer) v.get("logging_steps"));
    }

    /** Every field under its YAML name, in declaration order (Double/Integer/String values, as YAML writes them). */
    public Map<String, Object> toMap() {
        Map<String, Object> out = new LinkedHashMap<>();
        for (PhaseKey k : DECLARED) {
            out.put(k.name(), k.yaml().apply(k.getter().apply(this)));
        }
        return out;
    }

    private Map<String, Object> typedMap() {
        Map<String, Object> out = new LinkedHashMap<>();
        for (PhaseKey k : DECLARED) {
            out.put(k.name(), k.getter().apply(this));
        }
        return out;
    }

    /** Markdown rows {@code | phaseN.key | train default | nudge default | doc |}. */
    static List<String> markdownRows() {
        List<String> rows = new ArrayList<>();
        Map<String, Object> t = train().toMap();
        Map<String, Object> n = nudge().toMap();
        for (PhaseKey k : DECLARED) {
            rows.add("| `phase1/phase2." + k.name() + "` | `" + ConfigValues.yamlScalar(t.get(k.name())) + "` / `"
                    + ConfigValues.yamlScalar(n.get(k.name())) + "` | " + k.doc() + " |");
        }
        return rows;
    }
}
