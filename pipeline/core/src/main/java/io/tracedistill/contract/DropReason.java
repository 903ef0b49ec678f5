package io.tracedistill.contract;

/**
 * Why {@link FormatContract#build} dropped a row. The {@link #code()} is the value written to
 * the quarantine shard's reason column, so it is stable and snake_case.
 *
 * <p>The checks run in this order (reference {@code formatting.build_record} at 400d131, as
 * pinned by {@code golden/build_record.json}): missing (None) → NaN (float NaN, or the string
 * {@code "nan"}) → empty string → shorter than {@code min_cot_len} code points after Python
 * {@code strip()} → shorter than {@code min_cot_len} after removing {@code \boxed{…}} spans.
 * A non-string cot (int, bool, finite float) is not dropped: the reference formats it with
 * {@code str()} and keeps it when long enough.
 */
public enum DropReason {
    /** The cot cell is None (a missing value). */
    MISSING_COT("missing_cot", "the chain-of-thought is missing (None)"),
    /** The cot cell is a float NaN (pandas missing value) or the literal string "nan". */
    NAN_COT("nan_cot", "the chain-of-thought is NaN or the string \"nan\""),
    /** The cot is the empty string. */
    EMPTY_COT("empty_cot", "the chain-of-thought is empty"),
    /** Fewer than min_cot_len code points after Python strip(). */
    SHORT_COT("short_cot", "the chain-of-thought is shorter than min_cot_len after strip()"),
    /** Fewer than min_cot_len code points once the \boxed{…} spans are removed. */
    SHORT_AFTER_STRIP_BOXED("short_after_strip_boxed",
            "the chain-of-thought is shorter than min_cot_len once its \\boxed{} spans are removed");

    private final String code;
    private final String description;

    DropReason(String code, String description) {
        this.code = code;
        this.description = description;
    }

    /** Stable snake_case code, e.g. {@code short_cot}. */
    public String code() {
        return code;
    }

    /** One-line human explanation. */
    public String description() {
        return description;
    }

    /** Inverse of {@link #code()}. @throws IllegalArgumentException listing the known codes */
    public static DropReason fromCode(String code) {
        for (DropReason r : values()) {
            if (r.code.equals(code)) {
                return r;
            }
        }
        StringBuilder known = new StringBuilder();
        for (DropReason r : values()) {
            known.append(known.length() == 0 ? "" : ", ").append(r.code);
        }
        throw new IllegalArgumentException("Unknown drop reason code '" + code + "'; expected one of " + known);
    }
}
