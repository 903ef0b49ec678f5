package io.tracedistill.spark.prepare;

/**
 * The reasons prepare adds to the format contract's own {@link io.tracedistill.contract.DropReason} codes.
 * Every quarantined row carries exactly one reason, checked in this order: {@link #MALFORMED_CSV} or {@link #MALFORMED_JSON} (the
 * record could not be read), {@link #BAD_ENCODING}, then the contract's reasons (missing/nan/empty/short cot), then
 * {@link #MISSING_TYPE}.
 */
public final class QuarantineReason {
    private QuarantineReason() {}

    /**
     * A consumed cell (prompt, cot, answer or type) holds U+FFFD or a lone surrogate. Spark decodes invalid
     * UTF-8 to U+FFFD, so this is how an undecodable byte shows up; a U+FFFD that was really written in the
     * file is quarantined too (the reference's pandas would raise UnicodeDecodeError on the whole file).
     */
    public static final String BAD_ENCODING = "bad_encoding";

    /**
     * The type cell is empty/null. The reference keeps such rows with type {@code "nan"} (in phase 1 only);
     * prepare quarantines them instead, since an unlabelled row cannot be stratified meaningfully.
     */
    public static final String MISSING_TYPE = "missing_type";

    /**
     * A CSV record that cannot be read as a row: its field count differs from the header's (an unquoted comma too
     * many shifts every later cell), or its quoting breaks (a stray quote). The quarantine keeps its file, first line,
     * the problem and its raw text; the reference's pandas would raise or keep the shifted cells.
     */
    public static final String MALFORMED_CSV = "malformed_csv";

    /**
     * A JSON Lines line that is not one JSON object (cut off, trailing text, an array or a bare value). The quarantine
     * keeps its file, line, the parser's message and its text; Spark's JSON source would fail the whole job.
     */
    public static final String MALFORMED_JSON = "malformed_json";
}
