package io.tracedistill.config;

import io.tracedistill.python.PyObjects;
import io.tracedistill.python.PyText;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
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
     * One phase key: YAML name, parser (YAML value to the typed value), getter, doc, and {@code yaml} (typed value
     * to the plain YAML value of {@link #toMap()}).
     */
    private record PhaseKey<T>(String name, ConfigParsers.Parser<T> parser, Function<PhaseConfig, T> getter, String doc,
                               Function<T, Object> yaml) {
        PhaseKey(String name, ConfigParsers.Parser<T> parser, Function<PhaseConfig, T> getter, String doc) {
            this(name, parser, getter, doc, v -> v);
        }

        Object yamlValue(PhaseConfig p) {
            return yaml.apply(getter.apply(p));
        }
    }

    private static final PhaseKey<Double> LEARNING_RATE = new PhaseKey<>("learning_rate",
            ConfigParsers.number(v -> v > 0, "must be greater than 0"), PhaseConfig::learningRate, "peak learning rate");
    private static final PhaseKey<LrSchedulerType> LR_SCHEDULER_TYPE = new PhaseKey<>("lr_scheduler_type",
            ConfigParsers.oneOf(LrSchedulerType.class),
            PhaseConfig::lrSchedulerType, "learning-rate schedule after warmup", LrSchedulerType::yamlName);
    private static final PhaseKey<Integer> WARMUP_STEPS = new PhaseKey<>("warmup_steps", ConfigParsers.intAtLeast(0),
            PhaseConfig::warmupSteps, "linear warmup steps");
    private static final PhaseKey<Integer> NUM_TRAIN_EPOCHS = new PhaseKey<>("num_train_epochs", ConfigParsers.intAtLeast(1),
            PhaseConfig::numTrainEpochs, "epochs");
    private static final PhaseKey<Integer> PER_DEVICE_TRAIN_BATCH_SIZE = new PhaseKey<>("per_device_train_batch_size",
            ConfigParsers.intAtLeast(1), PhaseConfig::perDeviceTrainBatchSize, "micro-batch size per worker");
    private static final PhaseKey<Integer> GRADIENT_ACCUMULATION_STEPS = new PhaseKey<>("gradient_accumulation_steps",
            ConfigParsers.intAtLeast(1), PhaseConfig::gradientAccumulationSteps, "micro-batches per optimizer step");
    private static final PhaseKey<Double> MAX_GRAD_NORM = new PhaseKey<>("max_grad_norm",
            ConfigParsers.number(v -> v > 0, "must be greater than 0 (1.0e9 turns clipping off)"), PhaseConfig::maxGradNorm,
            "global gradient-norm clip");
    private static final PhaseKey<Double> NEFTUNE_NOISE_ALPHA = new PhaseKey<>("neftune_noise_alpha",
            ConfigParsers.number(v -> v >= 0, "must be at least 0"), PhaseConfig::neftuneNoiseAlpha, "NEFTune noise alpha");
    private static final PhaseKey<Integer> LOGGING_STEPS = new PhaseKey<>("logging_steps", ConfigParsers.intAtLeast(1),
            PhaseConfig::loggingSteps, "steps between log lines");

    /** The keys in declaration (= resolved YAML) order. */
    private static final List<PhaseKey<?>> DECLARED = List.of(LEARNING_RATE, LR_SCHEDULER_TYPE, WARMUP_STEPS, NUM_TRAIN_EPOCHS,
            PER_DEVICE_TRAIN_BATCH_SIZE, GRADIENT_ACCUMULATION_STEPS, MAX_GRAD_NORM, NEFTUNE_NOISE_ALPHA, LOGGING_STEPS);

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
        Map<PhaseKey<?>, Object> values = new IdentityHashMap<>();
        for (PhaseKey<?> k : DECLARED) {
            values.put(k, k.getter().apply(this));
        }
        for (Map.Entry<?, ?> e : overrides.entrySet()) {
            Object k = e.getKey();
            PhaseKey<?> key = DECLARED.stream().filter(d -> d.name().equals(k)).findFirst()
                    .orElseThrow(() -> ConfigException.reference("Unknown " + section + " keys "
                            + PyObjects.repr(List.of(k)) + "; known keys: " + PyText.reprSortedList(KEYS) + ".", source, section));
            values.put(key, key.parser().parse(e.getValue(), section + "." + key.name(), source));
        }
        return new PhaseConfig(get(values, LEARNING_RATE), get(values, LR_SCHEDULER_TYPE), get(values, WARMUP_STEPS),
                get(values, NUM_TRAIN_EPOCHS), get(values, PER_DEVICE_TRAIN_BATCH_SIZE), get(values, GRADIENT_ACCUMULATION_STEPS),
                get(values, MAX_GRAD_NORM), get(values, NEFTUNE_NOISE_ALPHA), get(values, LOGGING_STEPS));
    }

    /** The value of {@code key}: every value in {@code values} came from that key's getter or parser, so it is a T. */
    @SuppressWarnings("unchecked")
    private static <T> T get(Map<PhaseKey<?>, Object> values, PhaseKey<T> key) {
        return (T) values.get(key);
    }

    /** Every field under its YAML name, in declaration order (Double/Integer/String values, as YAML writes them). */
    public Map<String, Object> toMap() {
        Map<String, Object> out = new LinkedHashMap<>();
        for (PhaseKey<?> k : DECLARED) {
            out.put(k.name(), k.yamlValue(this));
        }
        return out;
    }

    /** Markdown rows {@code | phaseN.key | train default | nudge default | doc |}. */
    static List<String> markdownRows() {
        List<String> rows = new ArrayList<>();
        Map<String, Object> t = train().toMap();
        Map<String, Object> n = nudge().toMap();
        for (PhaseKey<?> k : DECLARED) {
            rows.add("| `phase1/phase2." + k.name() + "` | `" + ConfigValues.yamlScalar(t.get(k.name())) + "` / `"
                    + ConfigValues.yamlScalar(n.get(k.name())) + "` | " + k.doc() + " |");
        }
        return rows;
    }
}
