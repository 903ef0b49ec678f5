package io.tracedistill.config;

import io.tracedistill.contract.ColumnKeys;
import io.tracedistill.contract.FormatContract;
import io.tracedistill.python.PyObjects;
import io.tracedistill.python.PyText;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import static io.tracedistill.config.ConfigParsers.bool;
import static io.tracedistill.config.ConfigParsers.intAtLeast;
import static io.tracedistill.config.ConfigParsers.nonBlankString;
import static io.tracedistill.config.ConfigParsers.optional;
import static io.tracedistill.config.ConfigParsers.string;
import static io.tracedistill.config.ConfigParsers.stringList;

/**
 * Every {@link RunConfig} key, declared once, in {@code resolved_config.yaml} order: the
 * reference's 20 {@code RunConfig} fields (reference {@code tracedistill.run.RunConfig}, commit
 * 400d131; {@code golden/config_validation.json} {@code meta.field_order}/{@code meta.defaults})
 * followed by this port's extension keys. {@link #markdownTable()} renders the README table.
 */
public final class ConfigKeys {

    private ConfigKeys() {
    }

    public static final String BASE_MODEL = "base_model";
    public static final String DATA_PATH = "data_path";
    public static final String HARD_TYPES = "hard_types";
    public static final String MAX_LENGTH = "max_length";
    public static final String LORA_RANK = "lora_rank";
    public static final String LORA_ALPHA = "lora_alpha";
    public static final String PHASE1 = "phase1";
    public static final String PHASE2 = "phase2";
    public static final String SEED = "seed";
    public static final String SHUFFLE = "shuffle";

    /** Largest seed numpy's legacy RandomState accepts (2**32 - 1). */
    public static final long MAX_NUMPY_SEED = 4294967295L;

    private static final List<ConfigKey<?>> ALL = new ArrayList<>();

    private static <T> ConfigKey<T> ref(String name, String type, Object rawDefault, String doc,
                                        ConfigParsers.Parser<T> parser, java.util.function.Function<RunConfig, T> getter) {
        ConfigKey<T> k = new ConfigKey<>(name, type, rawDefault, true, doc, parser, getter);
        ALL.add(k);
        return k;
    }

    private static <T> ConfigKey<T> ext(String name, String type, Object rawDefault, String doc,
                                        ConfigParsers.Parser<T> parser, java.util.function.Function<RunConfig, T> getter) {
        ConfigKey<T> k = new ConfigKey<>(name, type, rawDefault, false, doc, parser, getter);
        ALL.add(k);
        return k;
    }

    // ---- the reference's RunConfig fields, in its declaration order ----------------------------
    public static final ConfigKey<String> K_BASE_MODEL = ref(BASE_MODEL, "str", ConfigKey.REQUIRED,
            "base model directory (Hugging Face layout: config.json, *.safetensors, tokenizer.json)",
            nonBlankString(), c -> c.model().baseModel());
    public static final ConfigKey<String> K_DATA_PATH = ref(DATA_PATH, "str", ConfigKey.REQUIRED,
            "CoT data set (CSV/Parquet/JSONL; local path or s3a:// URI)", nonBlankString(), c -> c.data().dataPath());
    public static final ConfigKey<List<String>> K_HARD_TYPES = ref(HARD_TYPES, "list of str", ConfigKey.REQUIRED,
            "type labels emphasised in phase 2 (all their rows go to phase 2)", ConfigKeys::parseHardTypes,
            c -> c.data().hardTypes());
    public static final ConfigKey<String> K_OUTPUT_DIR = ref("output_dir", "str", "tracedistill_output",
            "run directory (prepared/, tokens/, checkpoints/, adapter/, reports)", nonBlankString(), c -> c.output().outputDir());
    public static final ConfigKey<Integer> K_LORA_RANK = ref(LORA_RANK, "int >= 1", 32, "LoRA rank r",
            intAtLeast(1), c -> c.lora().rank());
    public static final ConfigKey<Integer> K_LORA_ALPHA = ref(LORA_ALPHA, "int >= 1", 32,
            "LoRA alpha (scaling = alpha / r)", intAtLeast(1), c -> c.lora().alpha());
    public static final ConfigKey<Double> K_LORA_DROPOUT = ref("lora_dropout", "float in [0, 1)", 0.0,
            "dropout on the LoRA input", ConfigParsers.number(v -> v >= 0 && v < 1, "must be at least 0 and less than 1"),
            c -> c.lora().dropout());
    public static final ConfigKey<List<String>> K_TARGET_MODULES = ref("target_modules", "list of str or null", null,
            "LoRA target module names; null or [] = architecture-aware autodetect", stringList("module names"),
            c -> c.lora().targetModules());
    public static final ConfigKey<Integer> K_MAX_LENGTH = ref(MAX_LENGTH, "int >= 1", 8192,
            "max tokens per training example (longer ones are truncated, keep-start)", intAtLeast(1), c -> c.model().maxLength());
    public static final ConfigKey<Long> K_SEED = ref(SEED, "int", 42,
            "seed for the split, the stratified order and LoRA init", ConfigParsers.longValue(), RunConfig::seed);
    public static final ConfigKey<Boolean> K_BF16 = ref("bf16", "bool", true,
            "train in bfloat16 where the device supports it", bool(), c -> c.model().bf16());
    public static final ConfigKey<Boolean> K_ENABLE_THINKING = ref("enable_thinking", "bool", true,
            "pass enable_thinking to the chat template (opens <think>)", bool(), c -> c.model().enableThinking());
    public static final ConfigKey<PhaseConfig> K_PHASE1 = ref(PHASE1, "mapping", Map.of(),
            "overrides of the phase-1 Train preset (PhaseConfig.train())",
            (raw, key, source) -> phase(raw, key, source, PhaseConfig.train()), c -> c.train().phase1());
    public static final ConfigKey<PhaseConfig> K_PHASE2 = ref(PHASE2, "mapping", Map.of(),
            "overrides of the phase-2 Nudge preset (PhaseConfig.nudge())",
            (raw, key, source) -> phase(raw, key, source, PhaseConfig.nudge()), c -> c.train().phase2());
    public static final ConfigKey<Boolean> K_USE_UNSLOTH = ref("use_unsloth", "bool", false,
            "reference only (Unsloth loader); accepted and recorded, no effect on the JVM", bool(), c -> c.model().useUnsloth());
    public static final ConfigKey<Boolean> K_LOAD_IN_4BIT = ref("load_in_4bit", "bool", false,
            "reference only (bitsandbytes 4-bit loading); recorded, ignored: the JVM loads BF16/F32 weights", bool(), c -> c.model().loadIn4bit());
    public static final ConfigKey<Boolean> K_TRUST_REMOTE_CODE = ref("trust_remote_code", "bool", false,
            "reference only (HF remote code); accepted and recorded", bool(), c -> c.model().trustRemoteCode());
    public static final ConfigKey<String> K_ATTN_IMPLEMENTATION = ref("attn_implementation", "str", "eager",
            "reference only (HF attention kernel); accepted and recorded", nonBlankString(), c -> c.model().attnImplementation());
    public static final ConfigKey<Optional<String>> K_BASE_MODEL_NAME_FOR_SUBMISSION = ref(
            "base_model_name_for_submission", "str or null", null,
            "written as base_model_name_or_path into the packaged adapter_config.json",
            optional(nonBlankString()), c -> c.output().baseModelNameForSubmission());
    public static final ConfigKey<Boolean> K_PACKAGE_ZIP = ref("package_zip", "bool", true,
            "write submission.zip (adapter_config.json + adapter_model.safetensors)", bool(), c -> c.output().packageZip());

    // ---- extension keys of this port ------------------------------------------------------------
    public static final ConfigKey<ColumnKeys> K_COLUMNS = ext("columns", "mapping", Map.of(),
            "input column names: prompt/cot/answer/type (defaults prompt/generated_cot/answer/type)",
            ConfigKeys::parseColumns, c -> c.data().columns());
    public static final ConfigKey<String> K_PROMPT_SUFFIX = ext("prompt_suffix", "str",
            FormatContract.DEFAULT_PROMPT_SUFFIX, "appended to every user turn (the grader's instruction)",
            string(), c -> c.data().promptSuffix());
    public static final ConfigKey<Integer> K_MIN_COT_LEN = ext("min_cot_len", "int >= 0",
            FormatContract.DEFAULT_MIN_COT_LEN, "drop traces shorter than this many code points after strip()",
            intAtLeast(0), c -> c.data().minCotLen());
    public static final ConfigKey<Boolean> K_STRICT_DATA = ext("strict_data", "bool", false,
            "quarantine rows whose training target is malformed (missing, blank or already boxed answer, unbalanced"
                    + " braces, special-token text) instead of keeping them as the reference does; either way the"
                    + " prepare manifest counts them (data_quality.target_issues)", bool(), c -> c.data().strictData());
    public static final ConfigKey<Boolean> K_SHUFFLE = ext(SHUFFLE, "bool", true,
            "shuffle the frame (numpy RandomState(seed)) before the two-phase split", bool(), c -> c.data().shuffle());
    public static final ConfigKey<ShardFormat> K_SHARD_FORMAT = ext("shard_format", "parquet | jsonl", "parquet",
            "format of prepared/ and tokens/ shards",
            ConfigParsers.oneOf(ShardFormat.class),
            c -> c.output().shardFormat());
    public static final ConfigKey<Optional<String>> K_SPARK_MASTER = ext("spark_master", "str or null", null,
            "Spark master URL, an explicit override of the platform's; null = the master spark-submit or the cluster sets"
                    + " (spark.master), or local[*] for a plain local launch", optional(ConfigParsers.sparkMaster()), c -> c.output().sparkMaster());
    public static final ConfigKey<Integer> K_WORLD_SIZE = ext("world_size", "int >= 1", 1,
            "data-parallel training workers (effective batch = batch × accumulation × world_size)",
            intAtLeast(1), c -> c.train().worldSize());
    public static final ConfigKey<DeviceSpec> K_DEVICE = ext("device", "cpu | gpu | gpu:i,j", "cpu",
            "training/eval device", ConfigParsers.device(),
            c -> c.model().device());
    public static final ConfigKey<Optional<Double>> K_DEVICE_MEMORY_GB = ext("device_memory_gb", "float > 0 or null", null,
            "memory of one training device in GB (10^9 bytes); null = read it from the GPU (CUDA), no check on CPU;"
                    + " train stops before loading weights when the memory plan exceeds it",
            optional(ConfigParsers.number(v -> v > 0, "must be greater than 0")), c -> c.model().deviceMemoryGb());
    public static final ConfigKey<BaseDtype> K_BASE_DTYPE = ext("base_dtype", "float32 | float16", "float32",
            "storage of the frozen base weights on the device (DJL holds no bfloat16 tensors; LoRA weights and"
                    + " optimizer state stay float32); float16 halves the large matrices (projections, embeddings, lm_head) and stops the"
                    + " load naming any tensor with values beyond FP16's range",
            ConfigParsers.oneOf(BaseDtype.class),
            c -> c.model().baseDtype());
    public static final ConfigKey<Boolean> K_GRADIENT_CHECKPOINTING = ext("gradient_checkpointing", "bool", false,
            "recompute each layer's forward in backward (less activation memory, same loss and gradients); needs lora_dropout: 0",
            bool(), c -> c.train().gradientCheckpointing());
    public static final ConfigKey<Integer> K_THREADS = ext("threads", "int >= 0", 0,
            "intra-op CPU threads; 0 = all cores", intAtLeast(0), c -> c.model().threads());
    public static final ConfigKey<Integer> K_CHECKPOINT_STEPS = ext("checkpoint_steps", "int >= 0", 0,
            "optimizer steps between checkpoints; 0 = end of each phase only", intAtLeast(0), c -> c.train().checkpointSteps());
    public static final ConfigKey<TrainOn> K_TRAIN_ON = ext("train_on", "driver | executors", "driver",
            "where training runs: the driver's JVM, or a Spark barrier stage of world_size tasks (one per GPU or executor slot)",
            ConfigParsers.oneOf(TrainOn.class),
            c -> c.executorTraining().trainOn());
    public static final ConfigKey<Integer> K_COLLECTIVE_TIMEOUT_S = ext("collective_timeout_s", "int >= 1", 300,
            "train_on executors: seconds a rank waits for a peer (a dead or frozen rank fails the stage after this)",
            intAtLeast(1), c -> c.executorTraining().collectiveTimeoutS());
    public static final ConfigKey<Integer> K_TRAIN_MAX_ATTEMPTS = ext("train_max_attempts", "int >= 1", 3,
            "train_on executors: stage attempts; each retry resumes from the last checkpoint", intAtLeast(1),
            c -> c.executorTraining().trainMaxAttempts());
    public static final ConfigKey<Optional<String>> K_INIT_ADAPTER = ext("init_adapter", "str or null", null,
            "PEFT adapter directory to start from instead of a fresh LoRA init", optional(nonBlankString()),
            c -> c.lora().initAdapter());
    public static final ConfigKey<Optional<java.time.LocalDate>> K_CHAT_DATE = ext("chat_date", "YYYY-MM-DD or null", null,
            "the date the chat template's strftime_now sees; null = today", optional(ConfigParsers.date()),
            c -> c.model().chatDate());
    public static final ConfigKey<Optional<String>> K_EVAL_PATH = ext("eval_path", "str or null", null,
            "evaluation set (prompt/answer columns; with heldout_source: eval_path also the trace, and its rows are the"
                    + " held-out slice); null = no evaluation", optional(nonBlankString()),
            c -> c.eval().path());
    public static final ConfigKey<List<String>> K_EVAL_ADAPTERS = ext("eval_adapters", "list of str", List.of(),
            "adapter directories to evaluate; empty = the run's own output_dir/adapter",
            stringList("adapter directories"), c -> c.eval().adapters());
    public static final ConfigKey<Integer> K_EVAL_MAX_NEW_TOKENS = ext("eval_max_new_tokens", "int >= 1", 256,
            "greedy decoding budget per eval prompt", intAtLeast(1), c -> c.eval().maxNewTokens());
    public static final ConfigKey<Integer> K_EVAL_BATCH_SIZE = ext("eval_batch_size", "int >= 1", 8,
            "prompts decoded together", intAtLeast(1), c -> c.eval().batchSize());
    public static final ConfigKey<EvalScorer> K_EVAL_SCORER = ext("eval_scorer", "competition | gsm8k", "competition",
            "grading rule (see io.tracedistill.grade)",
            ConfigParsers.oneOf(EvalScorer.class),
            c -> c.eval().scorer());
    public static final ConfigKey<Optional<Integer>> K_EVAL_LIMIT = ext("eval_limit", "int >= 1 or null", null,
            "evaluate only the first N rows; null = all", optional(intAtLeast(1)), c -> c.eval().limit());

    public static final ConfigKey<Double> K_HOLDOUT_FRACTION = ext("holdout_fraction", "float in [0, 1)", 0.0,
            "share of each type's usable rows set aside before the two-phase split (seeded by seed), tokenized like"
                    + " training rows and evaluated during training; 0 = none (the reference's behaviour)",
            ConfigParsers.number(v -> v >= 0 && v < 1, "must be at least 0 and less than 1"), c -> c.heldOut().fraction());
    public static final ConfigKey<HeldOutSource> K_HELDOUT_SOURCE = ext("heldout_source", "holdout_fraction | eval_path",
            "holdout_fraction", "where the held-out slice comes from: holdout_fraction (that share of the training rows;"
                    + " none when it is 0) or eval_path (the eval_path rows, which must carry a trace, formatted and tokenized"
                    + " like training rows; every training row stays in training; holdout_fraction must then be 0)",
            ConfigParsers.oneOf(HeldOutSource.class),
            c -> c.heldOut().source());
    public static final ConfigKey<Integer> K_EVAL_STEPS = ext("eval_steps", "int >= 0", 0,
            "with a held-out slice: optimizer steps between held-out loss evaluations (also at each phase's start"
                    + " and end); 0 = phase start and end only", intAtLeast(0), c -> c.heldOut().evalSteps());
    public static final ConfigKey<MetricForBest> K_METRIC_FOR_BEST = ext("metric_for_best", "loss | accuracy", "loss",
            "with a held-out slice: the held-out metric best_adapter/ keeps the best of (loss: lowest token-weighted"
                    + " held-out loss; accuracy: highest greedy boxed accuracy, needs eval_generate_limit)",
            ConfigParsers.oneOf(MetricForBest.class),
            c -> c.heldOut().metricForBest());
    public static final ConfigKey<Optional<Integer>> K_EVAL_GENERATE_LIMIT = ext("eval_generate_limit", "int >= 1 or null",
            null, "with a held-out slice: at every held-out evaluation, greedy-decode the prompts of up to N held-out"
                    + " rows (taken round-robin over the types) with the current LoRA and grade them like the eval job"
                    + " (boxed accuracy and parse rate, per type and overall); null = loss only",
            optional(intAtLeast(1)), c -> c.heldOut().generateLimit());
    public static final ConfigKey<Optional<Integer>> K_EARLY_STOPPING_PATIENCE = ext("early_stopping_patience",
            "int >= 1 or null", null, "with a held-out slice: end the current phase after N held-out evaluations"
                    + " in a row without improving metric_for_best (phase 2 still runs, from the weights phase 1 ended"
                    + " with); null = never stop early",
            optional(intAtLeast(1)), c -> c.heldOut().earlyStoppingPatience());

    public static final ConfigKey<List<ExperimentArm>> K_ARMS = ext("arms",
            "list of zero_shot | answer_only | trace_1phase | trace_2phase", YamlEnum.yamlNames(ExperimentArm.class),
            "tracedistill experiment: the arms to run side by side, each into output_dir/arms/<arm>/ (the reference's"
                    + " four by default); other commands ignore it", ConfigKeys::parseArms, c -> c.experiment().arms());

    private static final List<ConfigKey<?>> KEYS = Collections.unmodifiableList(new ArrayList<>(ALL));

    /** All keys in declaration (= resolved YAML) order. */
    public static List<ConfigKey<?>> all() {
        return KEYS;
    }

    /** The key named {@code name}. */
    public static Optional<ConfigKey<?>> byName(String name) {
        return KEYS.stream().filter(k -> k.name().equals(name)).findFirst();
    }

    /** Every key name. */
    public static Set<String> names() {
        Set<String> s = new LinkedHashSet<>();
        KEYS.forEach(k -> s.add(k.name()));
        return s;
    }

    /** The reference's 20 key names, in its field order. */
    public static List<String> referenceNames() {
        List<String> s = new ArrayList<>();
        KEYS.stream().filter(ConfigKey::reference).forEach(k -> s.add(k.name()));
        return s;
    }

    /** This port's extension key names. */
    public static List<String> extensionNames() {
        List<String> s = new ArrayList<>();
        KEYS.stream().filter(k -> !k.reference()).forEach(k -> s.add(k.name()));
        return s;
    }

    /** The reference's default for a reference key, as its Python repr (golden meta.defaults). */
    public static String referenceDefaultRepr(String name) {
        ConfigKey<?> k = byName(name).orElseThrow(() -> new IllegalArgumentException("Unknown key " + name));
        return k.required() ? "<required>" : PyObjects.repr(k.referenceDefault());
    }

    /** A fresh mutable copy of a YAML default (maps and lists), so defaults are never shared. */
    static Object copyRaw(Object raw) {
        if (raw instanceof Map<?, ?> m) {
            return new LinkedHashMap<>(m);
        }
        if (raw instanceof List<?> l) {
            return new ArrayList<>(l);
        }
        return raw;
    }

    private static PhaseConfig phase(Object raw, String key, String source, PhaseConfig preset) {
        if (!(raw instanceof Map<?, ?> m)) {
            throw ConfigException.reference(PyText.repr(key) + " must be a YAML mapping.", source, key);
        }
        return preset.withOverrides(m, key, source);
    }

    /**
     * hard_types as the reference iterates it ({@code for value in cfg.hard_types}) with each label
     * {@code str(value)}: a list's items, a mapping's keys, a string's characters (so
     * {@code hard_types: abc} means the three types a, b, c — the reference's behaviour, kept).
     * Nested lists/mappings are rejected: {@code str([...])} can never equal a type label.
     */
    private static List<String> parseHardTypes(Object raw, String key, String source) {
        List<Object> items = ReferenceValidation.iterate(raw, source);
        List<String> out = new ArrayList<>();
        for (Object item : items) {
            if (item instanceof Collection || item instanceof Map) {
                throw ConfigParsers.invalid(key, raw, source, "must be a list of type labels; item "
                        + PyObjects.repr(item) + " is a " + PyObjects.typeName(item));
            }
            String label = PyObjects.str(item);
            if (PyText.strip(label).isEmpty()) {
                throw ConfigException.reference("hard_types must contain at least one non-empty value.", source, key);
            }
            out.add(label);
        }
        if (out.isEmpty()) {
            throw ConfigException.reference("hard_types must contain at least one non-empty value.", source, key);
        }
        return Collections.unmodifiableList(out);
    }

    /** {@code arms}: a non-empty list of arm names, each at most once. */
    private static List<ExperimentArm> parseArms(Object raw, String key, String source) {
        String allowed = String.join(", ", YamlEnum.yamlNames(ExperimentArm.class));
        List<String> names = stringList("arm names (" + allowed + ")").parse(raw, key, source);
        if (names.isEmpty()) {
            throw ConfigParsers.invalid(key, raw, source, "must list at least one arm of " + allowed);
        }
        List<ExperimentArm> out = new ArrayList<>();
        for (String name : names) {
            if (!YamlEnum.yamlNames(ExperimentArm.class).contains(name)) {
                throw ConfigParsers.invalid(key, raw, source, "has unknown arm " + PyObjects.repr(name)
                        + "; allowed values: " + allowed);
            }
            ExperimentArm arm = YamlEnum.fromYaml(ExperimentArm.class, key, name);
            if (out.contains(arm)) {
                throw ConfigParsers.invalid(key, raw, source, "lists arm " + PyObjects.repr(name)
                        + " twice; list each arm once");
            }
            out.add(arm);
        }
        return Collections.unmodifiableList(out);
    }

    private static ColumnKeys parseColumns(Object raw, String key, String source) {
        if (raw == null) {
            return ColumnKeys.defaults();
        }
        if (!(raw instanceof Map<?, ?> m)) {
            throw ConfigParsers.invalid(key, raw, source, "must be a mapping with keys prompt, cot, answer, type");
        }
        List<String> known = List.of("prompt", "cot", "answer", "type");
        Map<String, String> names = new LinkedHashMap<>();
        ColumnKeys d = ColumnKeys.defaults();
        names.put("prompt", d.prompt());
        names.put("cot", d.cot());
        names.put("answer", d.answer());
        names.put("type", d.type());
        for (Map.Entry<?, ?> e : m.entrySet()) {
            if (!(e.getKey() instanceof String k) || !known.contains(k)) {
                throw ConfigParsers.invalid(key, raw, source, "has unknown key " + PyObjects.repr(e.getKey())
                        + "; known keys: prompt, cot, answer, type");
            }
            names.put(k, nonBlankString().parse(e.getValue(), key + "." + k, source));
        }
        return new ColumnKeys(names.get("prompt"), names.get("cot"), names.get("answer"), names.get("type"));
    }

    /**
     * The README table: {@code | key | type | default | description |}, reference keys first,
     * then extension keys, then the phase keys with their Train/Nudge defaults.
     */
    public static String markdownTable() {
        StringBuilder sb = new StringBuilder();
        sb.append("| key | type | default | description |\n|---|---|---|---|\n");
        for (ConfigKey<?> k : KEYS) {
            Object raw = k.referenceDefault();
            String def = k.required() ? "**required**"
                    : code(raw instanceof Map<?, ?> m && m.isEmpty() ? "{}" : ConfigValues.yamlScalar(raw));
            sb.append("| `").append(k.name()).append("` | ").append(cell(k.type())).append(" | ").append(def).append(" | ")
                    .append(cell(k.doc())).append(k.reference() ? "" : " *(extension)*").append(" |\n");
        }
        sb.append("\n| phase key | Train / Nudge default | description |\n|---|---|---|\n");
        PhaseConfig.markdownRows().forEach(r -> sb.append(r).append('\n'));
        return sb.toString();
    }

    /** A Markdown table cell: pipes escaped. */
    static String cell(String text) {
        return text.replace("|", "\\|");
    }

    /** A Markdown code span that survives backticks and pipes inside the value. */
    static String code(String text) {
        String t = cell(text);
        return t.contains("`") ? "`` " + t + " ``" : "`" + t + "`";
    }
}
