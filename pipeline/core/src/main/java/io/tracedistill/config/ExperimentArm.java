package io.tracedistill.config;

/**
 * One arm of the four-arm experiment ({@code tracedistill experiment}, config key {@code arms}): the reference's
 * {@code examples/gsm8k_trace_distillation.py}, whose arms differ only in what is trained. Declared in the reference's
 * table order, which is also the default of {@code arms}.
 */
public enum ExperimentArm implements YamlEnum {
    /** The base model, no training (eval only). */
    ZERO_SHOT("zero-shot (base, no training)"),
    /** One phase over every row with the phase-1 settings; the assistant turn is {@code </think>\n\boxed{answer}}. */
    ANSWER_ONLY("answer-only SFT"),
    /** The format contract over the teacher traces, every row once in one phase with the phase-1 settings. */
    TRACE_1PHASE("trace-distill, 1 phase"),
    /** The normal two-phase run (Train → Nudge). */
    TRACE_2PHASE("trace-distill, 2 phase (Train→Nudge)");

    private final String label;

    ExperimentArm(String label) {
        this.label = label;
    }

    /** The row label of the side-by-side table (the reference's labels). */
    public String label() {
        return label;
    }

    /** Whether the arm trains an adapter (every arm but {@link #ZERO_SHOT}). */
    public boolean trains() {
        return this != ZERO_SHOT;
    }

    /** Whether the arm trains every row once in one phase ({@link #ANSWER_ONLY}, {@link #TRACE_1PHASE}). */
    public boolean onePhase() {
        return this == ANSWER_ONLY || this == TRACE_1PHASE;
    }
}
