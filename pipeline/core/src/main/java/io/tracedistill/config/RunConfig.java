package io.tracedistill.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tracedistill.contract.ColumnKeys;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.LocalDate;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Everything a run needs, typed and validated, grouped into the sections the stages consume. Keys,
 * defaults and docs are declared once in {@link ConfigKeys}; the YAML stays flat (one key per line, as
 * the reference has it) and each section is filled from the typed key values. Load with
 * {@link ConfigLoader#load}.
 *
 * <p>Reference: {@code tracedistill.run.RunConfig} (20 fields) plus this port's extension keys; nullable
 * reference fields are {@link Optional}; {@code target_modules: null} and {@code []} both mean
 * "autodetect" in the reference and are both the empty list here.
 *
 * @param seed   {@code seed}: the split, the stratified order, LoRA init and NEFTune noise
 * @param model  base model, max_length, chat template inputs, device
 * @param data   the input table and how prepare reads it
 * @param lora   the LoRA adapter
 * @param train  the two phases, world_size, checkpoints
 * @param output output_dir, shard format, Spark master, packaging
 * @param eval   the evaluation step
 * @param executorTraining train_on and, on executors, the collective's timeout and the stage attempts
 * @param heldOut the held-out slice and its evaluation during training
 * @param experiment the arms of {@code tracedistill experiment}
 */
public record RunConfig(long seed, ModelSection model, DataSection data, LoraSection lora, TrainSection train,
                        OutputSection output, EvalSection eval, ExecutorTrainingSection executorTraining,
                        HeldOutSection heldOut, ExperimentSection experiment) {

    public RunConfig {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(data, "data");
        Objects.requireNonNull(lora, "lora");
        Objects.requireNonNull(train, "train");
        Objects.requireNonNull(output, "output");
        Objects.requireNonNull(eval, "eval");
        Objects.requireNonNull(executorTraining, "executorTraining");
        Objects.requireNonNull(heldOut, "heldOut");
        Objects.requireNonNull(experiment, "experiment");
    }

    /** Built from the typed value of every key (as {@link ConfigLoader} parses them). */
    static RunConfig from(ConfigValuesByKey v) {
        return new RunConfig(v.get(ConfigKeys.K_SEED), ModelSection.from(v), DataSection.from(v), LoraSection.from(v),
                TrainSection.from(v), OutputSection.from(v), EvalSection.from(v),
                ExecutorTrainingSection.from(v), HeldOutSection.from(v), ExperimentSection.from(v));
    }

    /**
     * This config with another {@code output_dir}: how {@code tracedistill experiment} runs each arm into its own
     * folder with otherwise the same settings.
     */
    public RunConfig withOutputDir(String outputDir) {
        OutputSection o = output;
        return new RunConfig(seed, model, data, lora, train, new OutputSection(outputDir, o.shardFormat(), o.sparkMaster(),
                o.packageZip(), o.baseModelNameForSubmission()), eval, executorTraining, heldOut, experiment);
    }

    /**
     * Every key with its plain value (String, Long/Integer/Double, Boolean, null, List, nested
     * Map for phases and columns), in {@link ConfigKeys} order. Stable input for fingerprints.
     */
    public Map<String, Object> toCanonicalMap() {
        Map<String, Object> out = new LinkedHashMap<>();
        for (ConfigKey<?> k : ConfigKeys.all()) {
            out.put(k.name(), plain(k.get(this)));
        }
        return out;
    }

    /**
     * {@link #toCanonicalMap()} with URI user-info masked ({@link Redaction}): what goes into files
     * ({@code resolved_config.yaml}, manifests, {@code report.md}).
     */
    @SuppressWarnings("unchecked")
    public Map<String, Object> toRedactedMap() {
        return (Map<String, Object>) Redaction.values(toCanonicalMap());
    }

    private static Object plain(Object v) {
        if (v instanceof Optional<?> o) {
            return o.map(RunConfig::plain).orElse(null);
        }
        if (v instanceof PhaseConfig p) {
            return p.toMap();
        }
        if (v instanceof ColumnKeys c) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("prompt", c.prompt());
            m.put("cot", c.cot());
            m.put("answer", c.answer());
            m.put("type", c.type());
            return m;
        }
        if (v instanceof YamlNamed y) {
            return y.yamlName();
        }
        if (v instanceof java.util.List<?> l) {
            return l.stream().map(RunConfig::plain).toList();
        }
        if (v instanceof LocalDate d) {
            return d.toString();
        }
        return v;
    }

    /** SHA-256 (hex) of the canonical map as compact JSON: equal configs, equal fingerprints. */
    public String fingerprint() {
        try {
            byte[] json = new ObjectMapper().writeValueAsBytes(toCanonicalMap());
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(json));
        } catch (JsonProcessingException | NoSuchAlgorithmException e) {
            throw new IllegalStateException("Cannot fingerprint the config", e);
        }
    }

    /**
     * The resolved config as YAML ({@code resolved_config.yaml}): every key in {@link ConfigKeys}
     * order, phases fully resolved, strings double-quoted, floats always with a dot
     * ({@code 5.0e-06}) so that PyYAML reads them back as floats too. {@link ConfigLoader}
     * loads it back to an equal {@code RunConfig}, unless a path held credentials: URI user-info is
     * written as {@code ***} ({@link Redaction}).
     */
    public String toYaml() {
        StringBuilder sb = new StringBuilder();
        sb.append("# Resolved tracedistill config (every key, defaults filled in). fingerprint: ")
                .append(fingerprint()).append('\n');
        for (Map.Entry<String, Object> e : toRedactedMap().entrySet()) {
            sb.append(e.getKey()).append(':');
            if (e.getValue() instanceof Map<?, ?> m) {
                sb.append('\n');
                for (Map.Entry<?, ?> sub : m.entrySet()) {
                    sb.append("  ").append(sub.getKey()).append(": ").append(ConfigValues.yamlScalar(sub.getValue())).append('\n');
                }
            } else {
                sb.append(' ').append(ConfigValues.yamlScalar(e.getValue())).append('\n');
            }
        }
        return sb.toString();
    }
}
