package io.tracedistill.spark.tokenize;

/**
 * Why the tokenize stage sent a prepared row to {@code tokens/quarantine/} instead of a token shard.
 *
 * <p>The reference ({@code training.py::_tokenize_records}) silently skips only the first case and crashes the run on
 * the other two; here every row is accounted for.
 */
public enum TokenDropReason {
    /** {@code max_length} truncation left no supervised completion token (the reference's {@code None}). */
    TRUNCATED_NO_COMPLETION("truncated_no_completion"),
    /**
     * The rendered prompt is not a strict prefix of the rendered conversation, or the completion is empty: the
     * prompt/completion boundary is uncertain, so the row is refused rather than risk training on prompt tokens
     * (fail closed, as the reference's {@code render_prompt_completion}).
     */
    TEMPLATE_BOUNDARY("template_boundary"),
    /** The chat template raised an error for this row ({@code raise_exception}, an undefined value, ...). */
    TEMPLATE_ERROR("template_error");

    private final String code;

    TokenDropReason(String code) {
        this.code = code;
    }

    /** The value written to the {@code reason} column and the manifest. */
    public String code() {
        return code;
    }
}
