package io.tracedistill.contract;

import java.util.Objects;

/**
 * Names of the four input columns the format contract reads. Defaults are the reference's
 * {@code build_records} keyword defaults: {@code prompt}, {@code generated_cot}, {@code answer},
 * {@code type}.
 */
public record ColumnKeys(String prompt, String cot, String answer, String type) {

    public static final String DEFAULT_PROMPT = "prompt";
    public static final String DEFAULT_COT = "generated_cot";
    public static final String DEFAULT_ANSWER = "answer";
    public static final String DEFAULT_TYPE = "type";

    public ColumnKeys {
        Objects.requireNonNull(prompt, "prompt");
        Objects.requireNonNull(cot, "cot");
        Objects.requireNonNull(answer, "answer");
        Objects.requireNonNull(type, "type");
    }

    /** {@code prompt / generated_cot / answer / type}. */
    public static ColumnKeys defaults() {
        return new ColumnKeys(DEFAULT_PROMPT, DEFAULT_COT, DEFAULT_ANSWER, DEFAULT_TYPE);
    }
}
