package io.tracedistill.config;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

import static io.tracedistill.config.ConfigKeys.*;

/**
 * The LoRA adapter the trainer injects (or loads).
 *
 * @param rank          {@code lora_rank}
 * @param alpha         {@code lora_alpha} (scaling = alpha / rank)
 * @param dropout       {@code lora_dropout}
 * @param targetModules {@code target_modules}; empty = architecture-aware autodetect
 * @param initAdapter   {@code init_adapter}: PEFT adapter to start from instead of a fresh init
 */
public record LoraSection(int rank, int alpha, double dropout, List<String> targetModules, Optional<String> initAdapter) {

    public LoraSection {
        targetModules = List.copyOf(targetModules);
        Objects.requireNonNull(initAdapter, "initAdapter");
    }

    static LoraSection from(ConfigValuesByKey v) {
        return new LoraSection(v.get(K_LORA_RANK), v.get(K_LORA_ALPHA), v.get(K_LORA_DROPOUT), v.get(K_TARGET_MODULES),
                v.get(K_INIT_ADAPTER));
    }
}
