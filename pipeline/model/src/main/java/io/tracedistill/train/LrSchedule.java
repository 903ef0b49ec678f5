package io.tracedistill.train;

import java.util.Locale;

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
public record LrSchedule(Kind kind, double baseLr, int warmupSteps, int totalSteps) {

    /** The scheduler names the reference config accepts ({@code lr_scheduler_type}). */
    public enum Kind {
        LINEAR("linear"),
        COSINE("cosine"),
        CONSTANT("constant"),
        CONSTANT_WITH_WARMUP("constant_with_warmup");

        private final String hfName;

        Kind(String hfName) {
            this.hfName = hfName;
        }

        /** The Hugging Face name ({@code lr_scheduler_type} value). */
        public String hfName() {
            return hfName;
        }

        /** Parses a {@code lr_scheduler_type} value; the error lists the accepted names. */
        public static Kind parse(String name) {
            for (Kind k : values()) {
                if (k.hfName.equals(name)) {
                    return k;
                }
            }
            throw new IllegalArgumentException(
                    "Invalid value " + name + " for lr_scheduler_type: must be one of linear, cosine,"
                            + " constant, constant_with_warmup");
        }
    }

    public LrSchedule {
        if (kind == null) {
            throw new IllegalArgumentException("lr_scheduler_type must not be null");
        }
        if (!(baseLr >= 0) || Double.isInfinite(baseLr)) {
            throw new IllegalArgumentException(
                    String.format(Locale.ROOT, "Invalid value %s for learning_rate: must be a finite number >= 0", baseLr));
        }
        if (warmupSteps < 0) {
            throw new IllegalArgumentException("Invalid value " + warmupSteps + " for warmup_steps: must be >= 0");
        }
        if (totalSteps < 0) {
            throw new IllegalArgumentException("Invalid value " + totalSteps + " for the number of steps: must be >= 0");
        }
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
