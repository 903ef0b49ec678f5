package io.tracedistill.eval;

/** Why a row was not decoded; written to the predictions table's {@code reason} column. */
public enum SkipReason {
    /** {@code prompt_tokens + max_new_tokens} exceeds the context limit (see {@link ContextLimit}). */
    PROMPT_TOO_LONG("prompt_too_long"),
    /** The chat template raised an error for this row's user turn. */
    TEMPLATE_ERROR("template_error"),
    /** The input record could not be read (a CSV record with the wrong field count or broken quoting). */
    MALFORMED_INPUT("malformed_input");

    private final String code;

    SkipReason(String code) {
        this.code = code;
    }

    /** The value written to the {@code reason} column. */
    public String code() {
        return code;
    }

    /**
     * The reason with this {@link #code()}.
     *
     * @throws IllegalArgumentException naming the code and the valid ones
     */
    public static SkipReason fromCode(String code) {
        for (SkipReason r : values()) {
            if (r.code.equals(code)) {
                return r;
            }
        }
        throw new IllegalArgumentException("Unknown eval skip reason '" + code + "'; expected one of "
                + java.util.Arrays.stream(values()).map(SkipReason::code).toList());
    }
}
