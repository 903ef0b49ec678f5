package io.tracedistill.memory;

import io.tracedistill.config.BaseDtype;
import io.tracedistill.config.ConfigLoader;
import io.tracedistill.config.RunConfig;
import io.tracedistill.targets.LoraTargets;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;

import static io.tracedistill.memory.ModelShapeTest.real;
import static io.tracedistill.memory.ModelShapeTest.resource;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The byte arithmetic, hand-checked on the real 30B config, and the medal config's verdicts. */
class MemoryPlanTest {

    /** The medal setup: conf/reproduce_competition.yaml's settings. */
    static PlanSettings medal() {
        RunConfig cfg = ConfigLoader.load(Path.of("../../conf/reproduce_competition.yaml"));
        return PlanSettings.of(cfg);
    }

    @Test
    void medalConfigReadsAsPlanned() {
        PlanSettings s = medal();
        assertEquals(32, s.loraRank());
        assertEquals(8192, s.maxLength());
        assertEquals(1, s.microBatch());
        assertEquals(LoraTargets.DEFAULT_TARGET_MODULES, s.targetModules());
        assertEquals(BaseDtype.FLOAT16, s.baseDtype());
        assertTrue(s.gradientCheckpointing());
    }

    @Test
    void baseAndLoraStateBytes() {
        MemoryPlan fp32 = MemoryPlan.of(real(), medal().withBaseDtype(BaseDtype.FLOAT32));
        MemoryPlan fp16 = MemoryPlan.of(real(), medal().withBaseDtype(BaseDtype.FLOAT16));
        assertEquals(126_311_761_152L, fp32.baseBytes());
        assertEquals(63_155_880_576L, fp16.baseBytes());
        // float32 weight + gradient + AdamW m and v = 16 bytes per LoRA parameter.
        assertEquals(883_873_792L * 16, fp32.loraStateBytes());
        assertEquals(27_711_488L * 16, MemoryPlan.of(real(), medal().withRoutedExpertLora(false)).loraStateBytes());
    }

    @Test
    void logitsAlone() {
        // 8192 × 131072 float32 = 4.29 GB, as the issue states; train holds one chunk of 1024 rows' logits, log-probs
        // and both gradients instead (CausalLmLoss.backward), plus the final norm's input and output.
        MemoryPlan p = MemoryPlan.of(real(), medal());
        assertEquals(8192L * 131072 * 4, p.logitsBytes());
        assertEquals("4.29", MemoryPlan.gb(p.logitsBytes()));
        assertEquals(4 * (2L * 8192 * 2688 + 4L * MemoryPlan.LOSS_CHUNK * 131072), p.lossBytes());
        // A micro-batch of 4 short examples: chunks span examples, so 4 × 200 tokens fit one chunk of 800 rows.
        MemoryPlan small = MemoryPlan.of(real(), medal().withMaxLength(200).withMicroBatch(4));
        assertEquals(4 * (2L * 800 * 2688 + 4L * 800 * 131072), small.lossBytes());
    }

    /** One attention layer by hand: kept per token 2H + q + k + v + o-input + 4 LoRA ranks, plus heads·T² probabilities. */
    @Test
    void attentionActivationsByHand() {
        long t = 8192;
        long perToken = 2 * 2688 + 4096 + 256 + 256 + 4096 + 4 * 32;
        long perLayer = 4 * (perToken * t + 32 * t * t);
        MemoryPlan.Row attention = MemoryPlan.of(real(), medal()).rows().stream()
                .filter(r -> r.component().equals("attention")).findFirst().orElseThrow();
        assertEquals(6, attention.count());
        assertEquals(6 * perLayer, attention.activations());
        // Checkpointing keeps only each layer's input [T, H].
        assertEquals(6 * 4 * t * 2688, attention.activationsCheckpointed());
        // Memory-efficient attention keeps one log-sum-exp per head and token instead of T probabilities.
        MemoryPlan.Row flash = MemoryPlan.of(real(), medal().withChunkedAttention(true)).rows().stream()
                .filter(r -> r.component().equals("attention")).findFirst().orElseThrow();
        assertEquals(6 * 4 * (perToken * t + 32 * t), flash.activations());
    }

    @Test
    void everyMemorySavingOptionLowersTheTotal() {
        PlanSettings s = medal().withBaseDtype(BaseDtype.FLOAT32).withGradientCheckpointing(false);
        long base = MemoryPlan.of(real(), s).totalBytes();
        assertTrue(MemoryPlan.of(real(), s.withGradientCheckpointing(true)).totalBytes() < base);
        assertTrue(MemoryPlan.of(real(), s.withChunkedAttention(true)).totalBytes() < base);
        assertTrue(MemoryPlan.of(real(), s.withRoutedExpertLora(false)).totalBytes() < base);
        assertTrue(MemoryPlan.of(real(), s.withBaseDtype(BaseDtype.FLOAT16)).totalBytes() < base);
        assertTrue(MemoryPlan.of(real(), s.withMaxLength(4096)).totalBytes() < base);
    }

    /** The README's verdicts for the medal config (LoRA r 32, max_length 8192). */
    @Test
    void medalVerdicts() {
        PlanSettings s = medal().withBaseDtype(BaseDtype.FLOAT32).withGradientCheckpointing(false);
        MemoryPlan withRouted = MemoryPlan.of(real(), s);
        MemoryPlan withoutRouted = MemoryPlan.of(real(), s.withRoutedExpertLora(false));
        // A float32 base without checkpointing (DJL has no bf16): fits neither GPU.
        assertFalse(withRouted.fits(141) || withoutRouted.fits(141));
        // 141 GB: fp16 base + checkpointing is enough, with or without the routed experts.
        Set<FitAdvice.Change> fp16Ckpt = Set.of(FitAdvice.Change.BASE_FLOAT16, FitAdvice.Change.GRADIENT_CHECKPOINTING);
        assertTrue(FitAdvice.minimalFixes(withRouted, 141, false).contains(fp16Ckpt));
        assertTrue(FitAdvice.minimalFixes(withoutRouted, 141, false).contains(fp16Ckpt));
        // 80 GB with the routed experts: fp16 base (63.16) + their LoRA state (14.14) + reserve leave < 2 GB:
        // no change fits 8192 tokens.
        assertEquals(List.of(), FitAdvice.minimalFixes(withRouted, 80, false));
        int longest = FitAdvice.longestFittingMaxLength(real(), FitAdvice.apply(s, Set.copyOf(
                FitAdvice.applicable(withRouted, false))), 80);
        assertTrue(longest > 0 && longest < 1024, "longest max_length on 80 GB with routed experts: " + longest);
        // 80 GB without them: needs every change, including memory-efficient attention, which the trainer lacks
        // (the loss always runs in chunks).
        List<Set<FitAdvice.Change>> fixes80 = FitAdvice.minimalFixes(withoutRouted, 80, false);
        assertEquals(List.of(Set.of(FitAdvice.Change.BASE_FLOAT16, FitAdvice.Change.GRADIENT_CHECKPOINTING,
                FitAdvice.Change.CHUNKED_ATTENTION)), fixes80);
    }

    @Test
    void targetsWithoutRoutedExpertsReachEverythingElse() {
        ModelShape tiny = ModelShape.load(resource("tiny-nemotron-h/config.json"));
        MemoryPlan plan = MemoryPlan.of(tiny, ModelShapeTest.settings(4, LoraTargets.DEFAULT_TARGET_MODULES));
        List<String> suggested = FitAdvice.targetsWithoutRoutedExperts(plan);
        assertEquals(List.of("q_proj", "k_proj", "v_proj", "o_proj", "in_proj", "out_proj", "shared_experts.up_proj",
                "mixer.up_proj", "shared_experts.down_proj", "mixer.down_proj"), suggested);
        MemoryPlan narrowed = MemoryPlan.of(tiny, ModelShapeTest.settings(4, suggested));
        assertFalse(narrowed.targetsReachRoutedExperts());
        assertEquals(plan.loraParams(false), narrowed.loraParams(true));
    }

    @Test
    void refusalNamesTheDeviceTheFixesAndShowsTheTable() {
        MemoryPlan plan = MemoryPlan.of(real(), medal().withBaseDtype(BaseDtype.FLOAT32).withGradientCheckpointing(false));
        String msg = FitAdvice.refusal(plan, 141, "device_memory_gb");
        assertTrue(msg.startsWith("LoRA training does not fit one device of 141 GB (device_memory_gb): it needs about "), msg);
        assertTrue(msg.contains("Stopped before loading any weight"), msg);
        assertTrue(msg.contains("fits with base_dtype: float16 + gradient_checkpointing: true"), msg);
        assertTrue(msg.contains("no LoRA on the routed experts"), msg);
        assertTrue(msg.contains("target_modules: [q_proj, k_proj, v_proj, o_proj, in_proj, out_proj, shared_experts.up_proj,"
                + " shared_experts.down_proj]"), msg);
        assertTrue(msg.contains("| **total** | | **31,577,940,288** |"), msg);
    }

    @Test
    void nothingFitsWhenTheBaseAloneIsTooLarge() {
        MemoryPlan plan = MemoryPlan.of(real(), medal());
        String v = FitAdvice.verdict(plan, 40, true);
        assertTrue(v.contains("nothing fits") && v.contains("base weights 63.16 GB in float16"), v);
    }
}
