package io.tracedistill.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tracedistill.contract.ColumnKeys;
import io.tracedistill.contract.PyText;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Everything a run needs, typed and validated. Keys, defaults and docs are declared once in
 * {@link ConfigKeys}; load with {@link ConfigLoader#load}.
 *
 * <p>Reference: {@code tracedistill.run.RunConfig} (the first 20 components, same names in
 * snake_case) plus this port's extension keys (from {@code columns} on). Nullable reference
 * fields are {@link Optional}; {@code target_modules: null} and {@code []} both mean
 * "autodetect" in the reference and are both the empty list here.
 */
public record RunConfig(
        String baseModel,
        String dataPath,
        List<String> hardTypes,
        String outputDir,
        int loraRank,
        int loraAlpha,
        double loraDropout,
        List<String> targetModules,
        int maxLength,
        long seed,
        boolean bf16,
        boolean enableThinking,
        PhaseConfig phase1,
        PhaseConfig phase2,
        boolean useUnsloth,
        boolean loadIn4bit,
        boolean trustRemoteCode,
        String attnImplementation,
        Optional<String> baseModelNameForSubmission,
        boolean packageZip,
        // ---- extension keys
        ColumnKeys columns,
        String promptSuffix,
        int minCotLen,
        boolean shuffle,
        ShardFormat shardFormat,
        Optional<String> sparkMaster,
        int worldSize,
        String device,
        int threads,
        int checkpointSteps,
        Optional<String> initAdapter,
        Optional<LocalDate> chatDate,
        Optional<String> evalPath,
        List<String> evalAdapters,
        int evalMaxNewTokens,
        int evalBatchSize,
        String evalScorer,
        Optional<Integer> evalLimit) {

    public RunConfig {
        Objects.requireNonNull(baseModel, "baseModel");
        Objects.requireNonNull(dataPath, "dataPath");
        hardTypes = List.copyOf(hardTypes);
        Objects.requireNonNull(outputDir, "outputDir");
        targetModules = List.copyOf(targetModules);
        Objects.requireNonNull(phase1, "phase1");
        Objects.requireNonNull(phase2, "phase2");
        Objects.requireNonNull(attnImplementation, "attnImplementation");
        Objects.requireNonNull(baseModelNameForSubmission, "baseModelNameForSubmission");
        Objects.requireNonNull(columns, "columns");
        Objects.requireNonNull(promptSuffix, "promptSuffix");
        Objects.requireNonNull(shardFormat, "shardFormat");
        Objects.requireNonNull(sparkMaster, "sparkMaster");
        Objects.requireNonNull(device, "device");
        Objects.requireNonNull(initAdapter, "initAdapter");
        Objects.requireNonNull(chatDate, "chatDate");
        Objects.requireNonNull(evalPath, "evalPath");
        evalAdapters = List.copyOf(evalAdapters);
        Objects.requireNonNull(evalScorer, "evalScorer");
        Objects.requireNonNull(evalLimit, "evalLimit");
        if (hardTypes.isEmpty()) {
            throw new IllegalArgumentException("hard_types must contain at least one non-empty value.");
        }
    }

    /** Built from typed values keyed by YAML name (as {@link ConfigLoader} produces them). */
    @SuppressWarnings("unchecked")
    static RunConfig fromValues(Map<String, Object> v) {
        return new RunConfig(
                (String) v.get("base_model"),
                (String) v.get("data_path"),
                (List<String>) v.get("hard_types"),
                (String) v.get("output_dir"),
                (Integer) v.get("lora_rank"),
                (Integer) v.get("lora_alpha"),
                (Double) v.get("lora_dropout"),
                (List<String>) v.get("target_modules"),
                (Integer) v.get("max_length"),
                (Long) v.get("seed"),
                (Boolean) v.get("bf16"),
                (Boolean) v.get("enable_thinking"),
                (PhaseConfig) v.get("phase1"),
                (PhaseConfig) v.get("phase2"),
                (Boolean) v.get("use_unsloth"),
                (Boolean) v.get("load_in_4bit"),
                (Boolean) v.get("trust_remote_code"),
                (String) v.get("attn_implementation"),
                (Optional<String>) v.get("base_model_name_for_submission"),
                (Boolean) v.get("package_zip"),
                (ColumnKeys) v.get("columns"),
                (String) v.get("prompt_suffix"),
                (Integer) v.get("min_cot_len"),
                (Boolean) v.get("shuffle"),
                (ShardFormat) v.get("shard_format"),
                (Optional<String>) v.get("spark_master"),
                (Integer) v.get("world_size"),
                (String) v.get("device"),
                (Integer) v.get("threads"),
                (Integer) v.get("checkpoint_steps"),
                (Optional<String>) v.get("init_adapter"),
                (Optional<LocalDate>) v.get("chat_date"),
                (Optional<String>) v.get("eval_path"),
                (List<String>) v.get("eval_adapters"),
                (Integer) v.get("eval_max_new_tokens"),
                (Integer) v.get("eval_batch_size"),
                (String) v.get("eval_scorer"),
                (Optional<Integer>) v.get("eval_limit"));
    }

    /** GPU indices of {@code device: gpu:0,1} ({@code [0]} for {@code gpu}, empty for {@code cpu}). */
    public List<Integer> gpuIndices() {
        return gpuIndices(device);
    }

    /** GPU indices of a well-formed {@code device} value ({@code cpu}, {@code gpu} or {@code gpu:i,j}). */
    public static List<Integer> gpuIndices(String device) {
        if (device.equals("cpu")) {
            return List.of();
        }
        if (device.equals("gpu")) {
            return List.of(0);
        }
        List<Integer> out = new ArrayList<>();
        for (String s : device.substring("gpu:".length()).split(",")) {
            out.add(Integer.parseInt(s));
        }
        return List.copyOf(out);
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
        if (v instanceof ShardFormat f) {
            return f.yamlName();
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
     * loads it back to an equal {@code RunConfig}.
     */
    public String toYaml() {
        StringBuilder sb = new StringBuilder();
        sb.append("# Resolved tracedistill config (every key, defaults filled in). fingerprint: ")
                .append(fingerprint()).append('\n');
        for (Map.Entry<String, Object> e : toCanonicalMap().entrySet()) {
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
