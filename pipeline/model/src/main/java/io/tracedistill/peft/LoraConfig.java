package io.tracedistill.peft;

import java.util.List;

/**
 * LoRA hyper-parameters, as PEFT's {@code LoraConfig}: rank r, {@code lora_alpha}, {@code lora_dropout},
 * {@code target_modules} (null = choose architecture-aware defaults at injection), {@code use_rslora}.
 * Scaling is {@code alpha / r}, or {@code alpha / sqrt(r)} with rsLoRA (PEFT {@code LoraLayer.update_layer}).
 */
public record LoraConfig(int r, double alpha, double dropout, List<String> targetModules, boolean useRslora) {

    public LoraConfig {
        if (r < 1) {
            throw new IllegalArgumentException("Invalid value " + r + " for lora r: must be at least 1");
        }
        if (!(dropout >= 0 && dropout < 1)) {
            throw new IllegalArgumentException("Invalid value " + dropout + " for lora_dropout: must be in [0, 1)");
        }
        targetModules = targetModules == null ? null : List.copyOf(targetModules);
    }

    /** The factor applied to {@code B·A·x}. */
    public double scaling() {
        return useRslora ? alpha / Math.sqrt(r) : alpha / r;
    }

    /** The same config with concrete target modules. */
    public LoraConfig withTargets(List<String> targets) {
        return new LoraConfig(r, alpha, dropout, targets, useRslora);
    }
}
