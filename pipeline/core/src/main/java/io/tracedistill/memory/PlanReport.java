package io.tracedistill.memory;

import io.tracedistill.config.BaseDtype;
import io.tracedistill.config.ConfigLoader;
import io.tracedistill.config.RunConfig;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code tracedistill plan}: the memory plan of a run config (or of a bare {@code config.json} with the
 * config defaults) as Markdown: the per-component table, the per-GPU totals with and without the
 * routed experts' LoRA and gradient checkpointing, and the fit verdict on one 80 GB and one 141 GB
 * GPU (and {@code device_memory_gb} when set).
 */
public final class PlanReport {

    /** GPU sizes every plan is checked against (A100/H100 80 GB, H200 141 GB). */
    public static final List<Double> COMMON_GPUS_GB = List.of(80.0, 141.0);

    private PlanReport() {
    }

    /** What to plan: the model and the settings, with where they came from. */
    public record Input(ModelShape model, PlanSettings settings, String description) {
    }

    /**
     * Resolves the plan's input. {@code cfg} is a run config (YAML) or a model's {@code config.json};
     * for a YAML the model's config is {@code modelConfig} when given, else {@code base_model/config.json}
     * (the weights are never read).
     */
    public static Input resolve(Path cfg, Path modelConfig) {
        if (isModelConfig(cfg)) {
            // A bare model config: every run setting at its config default (placeholders for the data keys,
            // which a plan never reads).
            RunConfig defaults = ConfigLoader.fromMap(Map.of("base_model", cfg.toString(), "data_path", "(plan only)",
                    "hard_types", List.of("(plan only)")), cfg.toString());
            PlanSettings s = PlanSettings.of(defaults);
            return new Input(ModelShape.load(cfg), s, cfg + " with the run config defaults");
        }
        RunConfig run = ConfigLoader.load(cfg);
        Path model = modelConfig != null ? modelConfig : Path.of(run.model().baseModel()).resolve("config.json");
        if (!Files.isRegularFile(model)) {
            throw new ModelConfigException("No config.json at " + model + " (base_model in " + cfg + "): plan needs only the"
                    + " model's config.json; pass it with --model-config FILE, e.g. --model-config"
                    + " conf/models/nemotron-3-nano-30b-a3b/config.json");
        }
        return new Input(ModelShape.load(model), PlanSettings.of(run), cfg + " on " + model);
    }

    /** A {@code .json} file or a model directory is a model config; anything else is a run config (YAML). */
    public static boolean isModelConfig(Path cfg) {
        return cfg.getFileName().toString().endsWith(".json") || Files.isDirectory(cfg);
    }

    /** The whole plan as Markdown. */
    public static String render(Input in) {
        MemoryPlan plan = MemoryPlan.of(in.model(), in.settings());
        ModelShape m = in.model();
        PlanSettings s = in.settings();
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "# Memory plan: %s%n%n", in.description()));
        sb.append(String.format(Locale.ROOT, "%s: %,d parameters, %,d active per token; base weights %s GB in bf16/fp16,"
                        + " %s GB in fp32.%n", m.modelType(), m.totalParams(), m.activeParams(),
                MemoryPlan.gb(m.totalParams() * 2), MemoryPlan.gb(m.totalParams() * 4)));
        sb.append(String.format(Locale.ROOT, "LoRA r %d on %s (%s); max_length %,d, micro-batch %d, base_dtype %s,"
                        + " gradient_checkpointing %b, loss in chunks of %,d tokens, %s attention. GB = 10^9 bytes;"
                        + " activations float32.%n%n",
                s.loraRank(), plan.targets(), s.targetModules().isEmpty() ? "architecture-aware autodetect" : "target_modules",
                s.maxLength(), s.microBatch(), s.baseDtype().yamlName(), s.gradientCheckpointing(),
                MemoryPlan.LOSS_CHUNK, s.chunkedAttention() ? "memory-efficient" : "eager"));
        sb.append(plan.table()).append('\n');

        boolean routed = plan.targetsReachRoutedExperts();
        List<Double> devices = new ArrayList<>(COMMON_GPUS_GB);
        s.deviceMemoryGb().ifPresent(d -> {
            if (!devices.contains(d)) {
                devices.add(0, d);
            }
        });
        sb.append("## Per GPU\n\n");
        sb.append("| base | LoRA on routed experts | gradient checkpointing | base GB | LoRA state GB | activations GB | reserve GB | total GB |");
        devices.forEach(d -> sb.append(" ").append(FitAdvice.num(d)).append(" GB |"));
        sb.append("\n|---|---|---|--:|--:|--:|--:|--:|");
        devices.forEach(d -> sb.append("---|"));
        sb.append('\n');
        List<BaseDtype> dtypes = s.baseDtype() == BaseDtype.FLOAT32 ? List.of(BaseDtype.FLOAT32, BaseDtype.FLOAT16)
                : List.of(s.baseDtype());
        for (BaseDtype dtype : dtypes) {
            for (boolean withRouted : routed ? List.of(true, false) : List.of(true)) {
                for (boolean ckpt : List.of(false, true)) {
                    MemoryPlan p = MemoryPlan.of(m, s.withBaseDtype(dtype).withRoutedExpertLora(withRouted)
                            .withGradientCheckpointing(ckpt));
                    sb.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %s | %s | %s | %s |", dtype.yamlName(),
                            routed ? (withRouted ? "yes" : "no") : "n/a", ckpt ? "yes" : "no", MemoryPlan.gb(p.baseBytes()),
                            MemoryPlan.gb(p.loraStateBytes()), MemoryPlan.gb(p.activationBytes(ckpt)),
                            MemoryPlan.gb(MemoryPlan.RESERVE_BYTES), MemoryPlan.gb(p.totalBytes())));
                    devices.forEach(d -> sb.append(p.fits(d) ? " fits |" : " no |"));
                    sb.append('\n');
                }
            }
        }
        sb.append("\n## Does it fit one GPU?\n\n");
        for (double d : devices) {
            for (boolean withRouted : routed ? List.of(true, false) : List.of(true)) {
                MemoryPlan p = MemoryPlan.of(m, s.withRoutedExpertLora(withRouted));
                String scenario = routed ? (withRouted ? ", LoRA incl. routed experts" : ", LoRA without routed experts") : "";
                sb.append(String.format(Locale.ROOT, "- **%s GB%s**: %s.%n", FitAdvice.num(d), scenario, FitAdvice.verdict(p, d, false)));
            }
        }
        if (routed) {
            sb.append(String.format(Locale.ROOT, "%nLoRA without the routed experts = target_modules: %s (PEFT's suffix rule).%n",
                    FitAdvice.targetsWithoutRoutedExperts(plan)));
        }
        sb.append('\n').append(FitAdvice.FOOTNOTE).append('\n');
        sb.append("Reserve = CUDA context, workspaces and allocator slack (assumed). More GPUs (world_size) do not lower"
                + " these figures: each data-parallel replica holds the whole base model.\n");
        return sb.toString();
    }
}
