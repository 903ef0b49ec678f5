package io.tracedistill.config;

import io.tracedistill.run.Phase;

import io.tracedistill.contract.ColumnKeys;
import io.tracedistill.contract.FormatContract;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Hand-checked cases for the typed loader, the extension keys, error wording and the resolved YAML. */
class ConfigLoaderTest {

    private static final String MIN = "base_model: m\ndata_path: d.csv\nhard_types: [t]\n";

    private static RunConfig parse(String yaml) {
        return ConfigLoader.parse(yaml, "conf/x.yaml");
    }

    private static String error(String yaml) {
        return assertThrows(ConfigException.class, () -> parse(yaml)).getMessage();
    }

    /** The repository's medal-run config must load (working directory = pipeline/core). */
    @Test
    void reproduceCompetitionConfigFromRepoRootLoads() {
        Path conf = Path.of("../../conf/reproduce_competition.yaml");
        assertTrue(Files.isRegularFile(conf), "expected " + conf.toAbsolutePath());
        RunConfig cfg = ConfigLoader.load(conf);
        assertEquals(List.of("cryptarithm_deduce", "cryptarithm_guess", "equation_numeric_guess"), cfg.data().hardTypes());
        assertEquals(List.of("q_proj", "k_proj", "v_proj", "o_proj", "in_proj", "out_proj", "up_proj", "down_proj"),
                cfg.lora().targetModules());
        assertEquals(new PhaseConfig(2e-4, LrSchedulerType.LINEAR, 0, 1, 1, 8, 1e9, 5.0, 50), cfg.train().phase1());
        assertEquals(PhaseConfig.nudge(), cfg.train().phase2());
        assertEquals(8, cfg.train().effectiveBatch(Phase.PHASE1));
        assertEquals(Optional.empty(), cfg.output().sparkMaster());
        assertEquals(List.of(0), cfg.model().device().gpuIndices());
        assertEquals(32, cfg.lora().rank());
        assertEquals(8192, cfg.model().maxLength());
    }

    @Test
    void quickstartConfigLoads() {
        RunConfig cfg = ConfigLoader.load(Path.of("../../conf/quickstart.yaml"));
        assertEquals(Optional.of(LocalDate.of(2025, 7, 10)), cfg.model().chatDate());
        assertTrue(cfg.data().hardTypes().size() >= 1);
    }

    @Test
    void presetsAreTheReferenceDataclassValues() {
        assertEquals(new PhaseConfig(2e-4, LrSchedulerType.LINEAR, 0, 1, 1, 8, 1e9, 5.0, 50), PhaseConfig.train());
        assertEquals(new PhaseConfig(5e-6, LrSchedulerType.COSINE, 10, 1, 1, 8, 1.0, 5.0, 5), PhaseConfig.nudge());
        RunConfig cfg = parse(MIN + "phase2: {warmup_steps: 3}\n");
        assertEquals(PhaseConfig.train(), cfg.train().phase1());
        assertEquals(3, cfg.train().phase2().warmupSteps());
        assertEquals(5e-6, cfg.train().phase2().learningRate());
    }

    @Test
    void defaultsOfEveryKey() {
        RunConfig cfg = parse(MIN);
        assertEquals("tracedistill_output", cfg.output().outputDir());
        assertEquals(42L, cfg.seed());
        assertEquals(List.of(), cfg.lora().targetModules());
        assertEquals(ColumnKeys.defaults(), cfg.data().columns());
        assertEquals(FormatContract.DEFAULT_PROMPT_SUFFIX, cfg.data().promptSuffix());
        assertEquals(5, cfg.data().minCotLen());
        assertFalse(cfg.data().strictData(), "parity with the reference: malformed targets are kept and counted");
        assertTrue(cfg.data().shuffle());
        assertEquals(ShardFormat.PARQUET, cfg.output().shardFormat());
        assertEquals(Optional.empty(), cfg.output().sparkMaster(), "no override: the platform's master or local[*]");
        assertEquals(1, cfg.train().worldSize());
        assertEquals(DeviceSpec.cpu(), cfg.model().device());
        assertEquals(List.of(), cfg.model().device().gpuIndices());
        assertEquals(0, cfg.model().threads());
        assertEquals(0, cfg.train().checkpointSteps());
        assertEquals(Optional.empty(), cfg.lora().initAdapter());
        assertEquals(Optional.empty(), cfg.model().chatDate());
        assertEquals(Optional.empty(), cfg.eval().path());
        assertEquals(List.of(), cfg.eval().adapters());
        assertEquals(256, cfg.eval().maxNewTokens());
        assertEquals(8, cfg.eval().batchSize());
        assertEquals(EvalScorer.COMPETITION, cfg.eval().scorer());
        assertEquals(Optional.empty(), cfg.eval().limit());
        assertEquals(Optional.empty(), cfg.model().deviceMemoryGb());
        assertEquals(BaseDtype.FLOAT32, cfg.model().baseDtype());
        assertFalse(cfg.train().gradientCheckpointing());
    }

    @Test
    void memoryKeys() {
        RunConfig cfg = parse(MIN + "device_memory_gb: 80\nbase_dtype: float16\ngradient_checkpointing: true\n");
        assertEquals(Optional.of(80.0), cfg.model().deviceMemoryGb());
        assertEquals(BaseDtype.FLOAT16, cfg.model().baseDtype());
        assertTrue(cfg.train().gradientCheckpointing());
        assertEquals("Invalid value 'bfloat16' for base_dtype in conf/x.yaml: must be one of float32, float16",
                error(MIN + "base_dtype: bfloat16\n"));
        assertEquals("Invalid value 0 for device_memory_gb in conf/x.yaml: must be greater than 0",
                error(MIN + "device_memory_gb: 0\n"));
        assertEquals(cfg, ConfigLoader.parse(cfg.toYaml(), "resolved"), "the resolved YAML round-trips the new keys");
    }

    /** Deliberate deviation from PyYAML: 1e-4 and 1.0e9 are numbers, not the strings '1e-4' / '1.0e9'. */
    @Test
    void exponentWithoutDotIsANumber() {
        RunConfig cfg = parse(MIN + "phase1: {learning_rate: 1e-4, max_grad_norm: 1.0e9}\n");
        assertEquals(1e-4, cfg.train().phase1().learningRate());
        assertEquals(1e9, cfg.train().phase1().maxGradNorm());
        assertEquals("Invalid value '1e-4' for phase1.learning_rate in conf/x.yaml: must be a number "
                + "(YAML read it as a string; write numbers unquoted, e.g. 2.0e-4)", error(MIN + "phase1: {learning_rate: '1e-4'}\n"));
    }

    @Test
    void yaml11Scalars() {
        assertEquals(15L, parse(MIN + "seed: 017\n").seed());
        assertEquals(90L, parse(MIN + "seed: 1:30\n").seed());
        assertFalse(parse(MIN + "bf16: off\n").model().bf16());
        assertEquals(List.of("a", "b", "c"), parse("base_model: m\ndata_path: d\nhard_types: abc\n").data().hardTypes(),
                "a string hard_types is iterated per character, as in the reference");
        assertEquals(List.of("True", "1", "None"), parse("base_model: m\ndata_path: d\nhard_types: [yes, 1, null]\n").data().hardTypes());
        assertEquals(Optional.of(LocalDate.of(2026, 1, 2)), parse(MIN + "chat_date: 2026-01-02\n").model().chatDate());
        assertEquals(Optional.of(LocalDate.of(2026, 1, 2)), parse(MIN + "chat_date: '2026-01-02'\n").model().chatDate());
    }

    @Test
    void extensionKeyErrorsNameFileKeyAndFix() {
        assertEquals("Invalid value 0 for world_size in conf/x.yaml: must be at least 1", error(MIN + "world_size: 0\n"));
        assertEquals("Invalid value 'tpu' for device in conf/x.yaml: must be cpu, gpu or gpu:<indices> such as gpu:0,1",
                error(MIN + "device: tpu\n"));
        assertEquals("Invalid value 'orc' for shard_format in conf/x.yaml: must be one of parquet, jsonl",
                error(MIN + "shard_format: orc\n"));
        assertEquals("Invalid value 'kaggle' for eval_scorer in conf/x.yaml: must be one of competition, gsm8k",
                error(MIN + "eval_scorer: kaggle\n"));
        assertEquals("Invalid value 0 for eval_limit in conf/x.yaml: must be at least 1", error(MIN + "eval_limit: 0\n"));
        assertEquals("Invalid value -1 for min_cot_len in conf/x.yaml: must be at least 0", error(MIN + "min_cot_len: -1\n"));
        assertEquals("Invalid value '07/10/2025' for chat_date in conf/x.yaml: must be a date YYYY-MM-DD",
                error(MIN + "chat_date: 07/10/2025\n"));
        assertEquals("Invalid value {'question': 'q'} for columns in conf/x.yaml: has unknown key 'question'; "
                + "known keys: prompt, cot, answer, type", error(MIN + "columns: {question: q}\n"));
        assertEquals("Invalid value 1.5 for lora_dropout in conf/x.yaml: must be at least 0 and less than 1",
                error(MIN + "lora_dropout: 1.5\n"));
        assertEquals("Invalid value 0 for phase2.gradient_accumulation_steps in conf/x.yaml: must be at least 1",
                error(MIN + "phase2: {gradient_accumulation_steps: 0}\n"));
        assertEquals("Invalid value 'warmup' for phase1.lr_scheduler_type in conf/x.yaml: "
                + "must be one of linear, cosine, constant, constant_with_warmup", error(MIN + "phase1: {lr_scheduler_type: warmup}\n"));
        assertEquals("Invalid value 4294967296 for seed in conf/x.yaml: must be between 0 and 4294967295 when shuffle is true "
                + "(numpy RandomState(seed) shuffles the frame before the two-phase split); pick such a seed or set shuffle: false",
                error(MIN + "seed: 4294967296\n"));
        assertEquals(-5L, parse(MIN + "seed: -5\nshuffle: false\n").seed(), "without the numpy shuffle any seed works");
        assertTrue(error(MIN + "strict_data: 'yes'\n").startsWith("Invalid value 'yes' for strict_data in conf/x.yaml: "
                + "must be true or false"), error(MIN + "strict_data: 'yes'\n"));
        assertTrue(parse(MIN + "strict_data: true\n").data().strictData());
    }

    @Test
    void severalGpusNeedAMatchingWorldSize() {
        assertEquals("Invalid value 1 for world_size in conf/x.yaml: must equal the number of GPUs in device: gpu:0,1 (2): one"
                + " data-parallel replica trains on each listed GPU, and world_size sets the rows per optimizer step and the"
                + " prepared order; set world_size: 2 or list 1 GPU(s)", error(MIN + "device: 'gpu:0,1'\n"));
        assertEquals(3, parse(MIN + "world_size: 3\ndevice: gpu\n").train().worldSize(), "one GPU may emulate several ranks");
        assertEquals(2, parse(MIN + "world_size: 2\n").train().worldSize(), "so may the CPU");
    }

    @Test
    void gradientCheckpointingNeedsNoLoraDropout() {
        assertEquals("Invalid value True for gradient_checkpointing in conf/x.yaml: cannot be true with lora_dropout 0.05: the"
                + " layers recomputed in backward would draw new dropout masks; set lora_dropout: 0 or gradient_checkpointing:"
                + " false", error(MIN + "gradient_checkpointing: true\nlora_dropout: 0.05\n"));
        assertTrue(parse(MIN + "gradient_checkpointing: true\n").train().gradientCheckpointing(), "with the default lora_dropout 0");
    }

    @Test
    void extensionKeysAreKnownAndListedInTheUnknownKeyMessage() {
        RunConfig cfg = parse(MIN + "columns: {cot: trace, type: kind}\nworld_size: 2\ndevice: 'gpu:0,1'\neval_limit: 10\n");
        assertEquals(new ColumnKeys("prompt", "trace", "answer", "kind"), cfg.data().columns());
        assertEquals(List.of(0, 1), cfg.model().device().gpuIndices());
        assertEquals(Optional.of(10), cfg.eval().limit());
        String msg = error(MIN + "wrld_size: 2\n");
        assertTrue(msg.startsWith("Unknown config keys ['wrld_size'] in 'conf/x.yaml'. Known keys: ['attn_implementation', "), msg);
        assertTrue(msg.endsWith("This port also accepts: ['arms', 'base_dtype', 'chat_date', 'checkpoint_steps', 'collective_timeout_s', 'columns', "
                + "'device', 'device_memory_gb', 'early_stopping_patience', 'eval_adapters', 'eval_batch_size', "
                + "'eval_generate_limit', 'eval_limit', 'eval_max_new_tokens', 'eval_path', 'eval_scorer', 'eval_steps', 'gradient_checkpointing', 'heldout_source', 'holdout_fraction', 'init_adapter', 'metric_for_best', "
                + "'min_cot_len', 'prompt_suffix', 'shard_format', "
                + "'shuffle', 'spark_master', 'strict_data', 'threads', 'train_max_attempts', 'train_on', 'world_size']."), msg);
    }

    @Test
    void heldOutKeysAreTypedWithTheirDefaultsOff() {
        assertEquals(HeldOutSection.none(), parse(MIN).heldOut());
        assertEquals(false, parse(MIN).heldOut().enabled());
        HeldOutSection h = parse(MIN + "holdout_fraction: 0.05\neval_steps: 10\nmetric_for_best: loss\n").heldOut();
        assertEquals(new HeldOutSection(0.05, 10, MetricForBest.LOSS), h);
        assertEquals("Invalid value 1.0 for holdout_fraction in conf/x.yaml: must be at least 0 and less than 1",
                error(MIN + "holdout_fraction: 1.0\n"));
        assertTrue(error(MIN + "metric_for_best: f1\n").contains("metric_for_best"));
        assertTrue(error(MIN + "eval_steps: -1\n").contains("eval_steps"));
        assertEquals(Optional.empty(), parse(MIN).heldOut().generateLimit());
        assertEquals(Optional.empty(), parse(MIN).heldOut().earlyStoppingPatience());
    }

    @Test
    void accuracyAndEarlyStoppingKeys() {
        HeldOutSection h = parse(MIN + "holdout_fraction: 0.1\neval_generate_limit: 16\nmetric_for_best: accuracy\n"
                + "early_stopping_patience: 2\n").heldOut();
        assertEquals(new HeldOutSection(0.1, 0, MetricForBest.ACCURACY, Optional.of(16), Optional.of(2)), h);
        // accuracy without eval_generate_limit: the error names both keys and the fix
        String acc = error(MIN + "holdout_fraction: 0.1\nmetric_for_best: accuracy\n");
        assertTrue(acc.contains("metric_for_best") && acc.contains("eval_generate_limit: N"), acc);
        // either key without a held-out slice is refused, naming holdout_fraction
        for (String k : List.of("eval_generate_limit: 8", "early_stopping_patience: 3")) {
            String msg = error(MIN + k + "\n");
            assertTrue(msg.contains(k.substring(0, k.indexOf(':'))) && msg.contains("holdout_fraction"), msg);
        }
        assertTrue(error(MIN + "holdout_fraction: 0.1\nearly_stopping_patience: 0\n").contains("early_stopping_patience"));
        assertTrue(error(MIN + "holdout_fraction: 0.1\neval_generate_limit: 0\n").contains("eval_generate_limit"));
        assertTrue(MetricForBest.LOSS.improves(1.0, 2.0) && !MetricForBest.LOSS.improves(2.0, 2.0));
        assertTrue(MetricForBest.ACCURACY.improves(0.5, 0.25) && !MetricForBest.ACCURACY.improves(0.25, 0.25));
        assertTrue(MetricForBest.LOSS.improves(3.0, Double.NaN) && !MetricForBest.ACCURACY.improves(Double.NaN, 0.0));
    }

    @Test
    void heldOutSourceEvalPathIsTheEvalRowsAndRefusedWithoutEvalPathOrWithAFraction() {
        assertEquals(HeldOutSource.HOLDOUT_FRACTION, parse(MIN).heldOut().source(), "the default is today's behaviour");
        RunConfig cfg = parse(MIN + "heldout_source: eval_path\neval_path: eval.csv\neval_steps: 5\neval_generate_limit: 4\n");
        assertEquals(new HeldOutSection(0.0, 5, MetricForBest.LOSS, Optional.of(4), Optional.empty(), HeldOutSource.EVAL_PATH),
                cfg.heldOut());
        assertTrue(cfg.heldOut().enabled(), "eval_path rows are a held-out slice although holdout_fraction is 0");
        assertEquals(cfg.heldOut(), ConfigLoader.parse(cfg.toYaml(), "resolved").heldOut(), "the resolved YAML round-trips");
        // no eval_path: the error names both keys and both fixes
        String noPath = error(MIN + "heldout_source: eval_path\n");
        assertTrue(noPath.contains("heldout_source") && noPath.contains("eval_path: FILE")
                && noPath.contains("heldout_source: holdout_fraction"), noPath);
        // a fraction too: both keys named, and the fix
        String both = error(MIN + "heldout_source: eval_path\neval_path: eval.csv\nholdout_fraction: 0.05\n");
        assertTrue(both.contains("heldout_source") && both.contains("holdout_fraction 0.05")
                && both.contains("set holdout_fraction: 0"), both);
        assertTrue(error(MIN + "heldout_source: evalpath\n").contains("must be one of holdout_fraction, eval_path"));
    }

    @Test
    void trainOnExecutorsKeys() {
        RunConfig dflt = parse(MIN);
        assertEquals(new ExecutorTrainingSection(TrainOn.DRIVER, 300, 3), dflt.executorTraining());
        RunConfig cfg = parse(MIN + "train_on: executors\ncollective_timeout_s: 60\ntrain_max_attempts: 2\n");
        assertEquals(new ExecutorTrainingSection(TrainOn.EXECUTORS, 60, 2), cfg.executorTraining());
        assertEquals(cfg.executorTraining(), ConfigLoader.parse(cfg.toYaml(), "resolved").executorTraining(), "the resolved YAML round-trips");
        String msg = error(MIN + "train_on: cluster\n");
        assertTrue(msg.contains("train_on") && msg.contains("cluster"), msg);
        assertTrue(error(MIN + "collective_timeout_s: 0\n").contains("collective_timeout_s"));
    }

    @Test
    void referenceMessagesComeFirst() {
        assertEquals("lora_rank and lora_alpha must be positive.", error(MIN + "lora_rank: 0\nworld_size: 0\n"));
        assertEquals("Config must set 'base_model', 'data_path' and 'hard_types'.", error("device: tpu\n"));
    }

    @Test
    void unsafeYamlTagsAreRejected() {
        ConfigException e = assertThrows(ConfigException.class,
                () -> parse(MIN + "seed: !!java.lang.ProcessBuilder [[ls]]\n"));
        assertTrue(e.getMessage().startsWith("Cannot read conf/x.yaml as YAML"), e.getMessage());
        assertTrue(e.getCause() != null);
    }

    @Test
    void resolvedYamlRoundTrips() {
        RunConfig cfg = parse(MIN + "phase1: {learning_rate: 1.0e-5}\ncolumns: {prompt: \"q\\\"x\"}\nchat_date: 2025-07-10\n"
                + "spark_master: null\ntarget_modules: [q_proj]\nprompt_suffix: \"\\n\\u00e9 \\\\boxed{}\"\neval_limit: 3\n");
        String yaml = cfg.toYaml();
        assertTrue(yaml.contains("  learning_rate: 1.0e-05\n"), yaml);
        assertTrue(yaml.contains("  max_grad_norm: 1000000000.0\n"), yaml);
        RunConfig back = parse(yaml);
        assertEquals(cfg, back);
        assertEquals(cfg.fingerprint(), back.fingerprint());
        assertNotEquals(cfg.fingerprint(), parse(MIN).fingerprint());
        RunConfig competition = ConfigLoader.load(Path.of("../../conf/reproduce_competition.yaml"));
        assertEquals(competition, parse(competition.toYaml()));
    }

    @Test
    void fromMapAndOverrides() {
        RunConfig cfg = parse(MIN + "phase2: {warmup_steps: 3}\n");
        assertEquals(cfg, ConfigLoader.fromMap(cfg.toCanonicalMap(), "copy"));
        RunConfig o = ConfigLoader.withOverrides(cfg, List.of("seed=7", "phase1.learning_rate=1e-4", "hard_types=[a, b]",
                "columns.cot=trace", "chat_date=2025-01-31"), "--set");
        assertEquals(7L, o.seed());
        assertEquals(1e-4, o.train().phase1().learningRate());
        assertEquals(3, o.train().phase2().warmupSteps(), "untouched phase keys keep their values");
        assertEquals(List.of("a", "b"), o.data().hardTypes());
        assertEquals("trace", o.data().columns().cot());
        assertEquals(Optional.of(LocalDate.of(2025, 1, 31)), o.model().chatDate());
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.withOverrides(cfg, List.of("seed"), "--set"));
        assertEquals("Override 'seed' from --set must look like key=value or phase1.learning_rate=1e-4", e.getMessage());
        e = assertThrows(ConfigException.class, () -> ConfigLoader.withOverrides(cfg, List.of("phase1.lr=1"), "--set"));
        assertTrue(e.getMessage().startsWith("Unknown phase1 keys ['lr']; known keys: ['gradient_accumulation_steps', "), e.getMessage());
        e = assertThrows(ConfigException.class, () -> ConfigLoader.withOverrides(cfg, List.of("seed.x=1"), "--set"));
        assertEquals("Override 'seed.x=1' from --set: seed is not a section; dotted keys work for phase1, phase2 and columns",
                e.getMessage());
        e = assertThrows(ConfigException.class, () -> ConfigLoader.withOverrides(cfg, List.of("world_size=0"), "--set"));
        assertEquals("Invalid value 0 for world_size in --set: must be at least 1", e.getMessage());
    }

    /** {@code --set}: laid over the file before the checks, typed and validated like a line of the file. */
    @Test
    void setOverridesGoThroughTheLoader(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("x.yaml");
        // data_path is missing from the file: a scheduler supplies it per run.
        Files.writeString(file, "base_model: m\nhard_types: [t]\nphase1: {warmup_steps: 3}\n");
        RunConfig cfg = ConfigLoader.load(file, List.of("data_path=s3a://bucket/cot.csv", "seed=7", "seed=8",
                "phase1.learning_rate=1e-4", "phase2.warmup_steps=2", "columns.cot=trace", "spark_master=yarn"));
        assertEquals("s3a://bucket/cot.csv", cfg.data().dataPath());
        assertEquals(8L, cfg.seed(), "the later --set wins");
        assertEquals(1e-4, cfg.train().phase1().learningRate(), "YAML typing: 1e-4 is a number");
        assertEquals(3, cfg.train().phase1().warmupSteps(), "keys the override does not name keep the file's value");
        assertEquals(2, cfg.train().phase2().warmupSteps(), "a section absent from the file starts from its preset");
        assertEquals("trace", cfg.data().columns().cot());
        assertEquals(Optional.of("yarn"), cfg.output().sparkMaster());
        assertEquals(cfg, ConfigLoader.load(file, List.of("data_path=s3a://bucket/cot.csv", "seed=8",
                "phase1.learning_rate=0.0001", "phase2.warmup_steps=2", "columns.cot=trace", "spark_master=yarn")));

        String source = file + " with --set data_path=d.csv world_size=0";
        ConfigException e = assertThrows(ConfigException.class,
                () -> ConfigLoader.load(file, List.of("data_path=d.csv", "world_size=0")));
        assertEquals("Invalid value 0 for world_size in " + source + ": must be at least 1", e.getMessage());
        assertEquals(Optional.of("world_size"), e.key());
        e = assertThrows(ConfigException.class, () -> ConfigLoader.load(file, List.of("data_path=d.csv", "lr=1")));
        assertTrue(e.getMessage().startsWith("Unknown config keys ['lr'] in '" + file + " with --set data_path=d.csv lr=1'"),
                e.getMessage());
        e = assertThrows(ConfigException.class, () -> ConfigLoader.load(file, List.of("data_path=d.csv", "phase1.lr=1")));
        assertTrue(e.getMessage().startsWith("Unknown phase1 keys ['lr']"), e.getMessage());
        e = assertThrows(ConfigException.class, () -> ConfigLoader.load(file, List.of("seed")));
        assertEquals("Override 'seed' from " + file + " with --set seed must look like key=value or "
                + "phase1.learning_rate=1e-4", e.getMessage());
        // Without the override the file's own gap is reported as before.
        e = assertThrows(ConfigException.class, () -> ConfigLoader.load(file, List.of()));
        assertTrue(e.getMessage().contains("data_path"), e.getMessage());
    }

    @Test
    void canonicalMapListsEveryKeyInOrder() {
        assertEquals(List.copyOf(ConfigKeys.names()), List.copyOf(parse(MIN).toCanonicalMap().keySet()));
    }

    @Test
    void markdownTableHasEveryKey() {
        String table = ConfigKeys.markdownTable();
        for (String k : ConfigKeys.names()) {
            assertTrue(table.contains("| `" + k + "` |"), k);
        }
        for (String k : PhaseConfig.KEYS) {
            assertTrue(table.contains("phase1/phase2." + k), k);
        }
        assertTrue(table.contains("| `base_model` | str | **required** |"), table);
    }

    @Test
    void missingFileIsNamed(@TempDir Path dir) throws IOException {
        Path missing = dir.resolve("nope.yaml");
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(missing));
        assertEquals("Config file " + missing + " does not exist; pass the path of a YAML run config (see conf/)", e.getMessage());
        Path bom = dir.resolve("bom.yaml");
        Files.write(bom, ("\ufeff" + MIN).getBytes(StandardCharsets.UTF_8));
        assertEquals("m", ConfigLoader.load(bom).model().baseModel());
    }

    @Test
    void armsDefaultToTheReferenceFourAndRoundTripThroughTheResolvedYaml() {
        RunConfig c = parse(MIN);
        assertEquals(List.of(ExperimentArm.ZERO_SHOT, ExperimentArm.ANSWER_ONLY, ExperimentArm.TRACE_1PHASE,
                ExperimentArm.TRACE_2PHASE), c.experiment().arms());
        assertTrue(c.toYaml().contains("arms: [\"zero_shot\", \"answer_only\", \"trace_1phase\", \"trace_2phase\"]"),
                c.toYaml());
        RunConfig two = parse(MIN + "arms: [trace_2phase, zero_shot]\n");
        assertEquals(List.of(ExperimentArm.TRACE_2PHASE, ExperimentArm.ZERO_SHOT), two.experiment().arms());
        assertEquals(two, ConfigLoader.parse(two.toYaml(), "resolved_config.yaml"));
        assertEquals("/tmp/x", two.withOutputDir("/tmp/x").output().outputDir());
        assertEquals(two.experiment(), two.withOutputDir("/tmp/x").experiment());
    }

    @Test
    void unknownOrRepeatedArmsAreRefusedNamingTheKeyAndTheAllowedValues() {
        String unknown = error(MIN + "arms: [zero_shot, few_shot]\n");
        assertTrue(unknown.contains("arms") && unknown.contains("'few_shot'")
                && unknown.contains("zero_shot, answer_only, trace_1phase, trace_2phase"), unknown);
        String twice = error(MIN + "arms: [trace_1phase, trace_1phase]\n");
        assertTrue(twice.contains("arms") && twice.contains("twice"), twice);
        String empty = error(MIN + "arms: []\n");
        assertTrue(empty.contains("arms") && empty.contains("at least one"), empty);
        String scalar = error(MIN + "arms: zero_shot\n");
        assertTrue(scalar.contains("arms") && scalar.contains("[zero_shot]"), scalar);
    }
}
