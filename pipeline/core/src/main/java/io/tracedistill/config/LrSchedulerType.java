package io.tracedistill.config;

/**
 * A phase's {@code lr_scheduler_type}: the Hugging Face {@code get_scheduler} names the trainer
 * implements (the formulas are in {@code io.tracedistill.train.LrSchedule}).
 */
public enum LrSchedulerType implements YamlEnum {
    LINEAR,
    COSINE,
    CONSTANT,
    CONSTANT_WITH_WARMUP;
}
