package io.tracedistill.train;

import io.tracedistill.config.LrSchedulerType;
import io.tracedistill.config.PhaseConfig;

import java.util.Objects;

/**
 * The learning-rate schedule of one training phase, as a pure function of the number of optimizer
 * steps already taken.
 *
 * <p>Reference: Hugging Face {@code transformers.optimization.get_scheduler} (the {@code LambdaLR}
 * multipliers of {@code get_linear_schedule_with_warmup}, {@code get_cosine_schedule_with_warmup}
 * with {@code num_cycles = 0.5}, {@code get_constant_schedule} and
 * {@code get_constant_schedule_with_warmup}). With {@code s} = steps already taken (0 for the first
 * step), {@code T} = steps in the phase and {@code W} = warmup steps:
 *
 * <pre>
 *   warmup (linear, cosine, constant_with_warmup): f = s / max(1, W)                 while s &lt; W
 *   linear:   f = max(0, (T - s) / max(1, T - W))
 *   cosine:   f = max(0, 0.5 * (1 + cos(pi * 2 * 0.5 * (s - W) / max(1, T - W))))
 *   constant: f = 1 (HF's plain constant schedule ignores warmup)
 *   lr = base_lr * f
 * </pre>
 *
 * So with warmup the very first step runs at LR 0 (it still moves AdamW's m, v and t). The LR an
 * optimizer step {@code k} (1-based) uses is {@code lr(k - 1)}.
 */
public record LrSchedule(LrSchedulerType kind, double baseLr, int warmupSteps, int totalSteps) {

    /** The phase's schedule over {@code totalSteps} optimizer steps (its ranges were checked when the config loaded). */
    public static LrSchedule of(PhaseConfig phase, int totalSteps) {
        return new LrSchedule(phase.lrSchedulerType(), phase.learningRate(), phase.warmupSteps(), totalSteps);
    }

    public LrSchedule {
        Objects.requireNonNull(kind, "kind");
    }

    /** The LambdaLR multiplier after {@code stepsTaken} optimizer steps. */
    public double factor(int stepsTaken) {
        int s = stepsTaken;
        int w = warmupSteps;
        int t = totalSteps;
        switch (kind) {
            case CONSTANT:
                return 1.0;
            case CONSTANT_WITH_WARMUP:
                return s < w ? (double) s / Math.max(1.0, w) : 1.0;
            case LINEAR:
                if (s < w) {
                    return (double) s / Math.max(1, w);
                }
                return Math.max(0.0, (double) (t - s) / (double) Math.max(1, t - w));
            case COSINE:
                if (s < w) {
                    return (double) s / Math.max(1, w);
                }
                double progress = (double) (s - w) / (double) Math.max(1, t - w);
                // num_cycles = 0.5: cos(pi * 2 * 0.5 * progress), written as HF writes it.
                return Math.max(0.0, 0.5 * (1.0 + Math.cos(Math.PI * 0.5 * 2.0 * progress)));
            default:
                throw new IllegalStateException("unhandled schedule " + kind);
        }
    }

    /** The learning rate after {@code stepsTaken} steps, i.e. the LR of optimizer step {@code stepsTaken + 1}. */
    public double lr(int stepsTaken) {
        return baseLr * factor(stepsTaken);
    }
}
