package io.tracedistill.config;

import io.tracedistill.run.Phase;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The values the config parses into types once ({@code device}, {@code eval_scorer}, {@code lr_scheduler_type}) and the canonical form. */
class ConfigTypesTest {

    private static final String MIN = "base_model: m\ndata_path: d\nhard_types: [a]\n";

    @Test
    void deviceForms() {
        assertEquals(List.of(), DeviceSpec.parse("cpu").gpuIndices());
        assertEquals(List.of(0), DeviceSpec.parse("gpu").gpuIndices());
        assertEquals(List.of(2, 3), DeviceSpec.parse("gpu:2,3").gpuIndices());
        assertEquals("gpu", DeviceSpec.parse("gpu").yamlName(), "the spelling is kept for resolved_config.yaml");
        assertNotEquals(DeviceSpec.parse("gpu"), DeviceSpec.parse("gpu:0"));
        assertEquals("Invalid value 'cuda' for device: must be cpu, gpu or gpu:<indices> such as gpu:0,1",
                assertThrows(IllegalArgumentException.class, () -> DeviceSpec.parse("cuda")).getMessage());
        assertEquals("Invalid value 'cuda' for device in x.yaml: must be cpu, gpu or gpu:<indices> such as gpu:0,1",
                assertThrows(ConfigException.class, () -> ConfigLoader.parse(MIN + "device: cuda\n", "x.yaml")).getMessage());
    }

    @Test
    void scorerAndScheduleNames() {
        assertEquals("gsm8k", EvalScorer.GSM8K.grader().name());
        assertEquals("competition", EvalScorer.COMPETITION.grader().name());
        assertEquals(EvalScorer.GSM8K, ConfigLoader.parse(MIN + "eval_scorer: gsm8k\n", "x.yaml").eval().scorer());
        assertEquals("Invalid value 'exact' for eval_scorer in x.yaml: must be one of competition, gsm8k",
                assertThrows(ConfigException.class, () -> ConfigLoader.parse(MIN + "eval_scorer: exact\n", "x.yaml")).getMessage());
        assertEquals(LrSchedulerType.CONSTANT_WITH_WARMUP, ConfigLoader.parse(MIN + "phase1: {lr_scheduler_type: constant_with_warmup}\n",
                "x.yaml").train().phase1().lrSchedulerType());
        assertEquals("Invalid value 'cosine_with_restarts' for phase1.lr_scheduler_type in x.yaml: must be one of linear, cosine,"
                        + " constant, constant_with_warmup",
                assertThrows(ConfigException.class, () -> ConfigLoader.parse(MIN + "phase1: {lr_scheduler_type: cosine_with_restarts}\n",
                        "x.yaml")).getMessage());
        assertEquals("cosine", PhaseConfig.nudge().toMap().get("lr_scheduler_type"), "toMap holds YAML values");
    }

    @Test
    void effectiveBatchCountsEveryWorker() {
        TrainSection t = ConfigLoader.parse(MIN + "world_size: 3\nphase2: {per_device_train_batch_size: 2, gradient_accumulation_steps: 4}\n",
                "x.yaml").train();
        assertEquals(1 * 8 * 3, t.effectiveBatch(Phase.PHASE1));
        assertEquals(4 * 3, t.microBatchesPerStep(Phase.PHASE2));
        assertEquals(2 * 4 * 3, t.effectiveBatch(Phase.PHASE2));
    }

    private record Inner(Optional<String> name, DeviceSpec device) {
    }

    private record Settings(int n, List<Inner> inner, LrSchedulerType schedule, Path path,
                            @Canonical.NotFingerprinted String provenance) {
    }

    @Test
    void canonicalFormOfASettingsRecord() {
        Settings s = new Settings(3, List.of(new Inner(Optional.empty(), DeviceSpec.parse("gpu:1"))), LrSchedulerType.LINEAR,
                Path.of("a/b"), "ignored");
        @SuppressWarnings("unchecked")
        Map<String, Object> c = (Map<String, Object>) Canonical.of(s);
        assertEquals(List.of("inner", "n", "path", "schedule"), List.copyOf(c.keySet()), "sorted, provenance left out");
        @SuppressWarnings("unchecked")
        Map<String, Object> inner = (Map<String, Object>) ((List<Object>) c.get("inner")).get(0);
        assertEquals("gpu:1", inner.get("device"));
        assertEquals(null, inner.get("name"));
        assertEquals("linear", c.get("schedule"));
        assertEquals("a/b", c.get("path"));
        assertEquals(3, c.get("n"));
        assertThrows(IllegalArgumentException.class, () -> Canonical.of(new Object()), "an unknown type is refused");
    }
}
