package io.tracedistill.config;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * A phase's {@code lr_scheduler_type}: the Hugging Face {@code get_scheduler} names the trainer
 * implements (the formulas are in {@code io.tracedistill.train.LrSchedule}).
 */
public enum LrSchedulerType implements YamlNamed {
    LINEAR,
    COSINE,
    CONSTANT,
    CONSTANT_WITH_WARMUP;

    /** The YAML / Hugging Face spelling: {@code linear}, {@code cosine}, {@code constant}, {@code constant_with_warmup}. */
    @Override
    public String yamlName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Every YAML spelling, in declaration order. */
    static List<String> yamlNames() {
        return Arrays.stream(values()).map(LrSchedulerType::yamlName).toList();
    }

    static LrSchedulerType fromYaml(String s) {
        return valueOf(s.toUpperCase(Locale.ROOT));
    }
}
