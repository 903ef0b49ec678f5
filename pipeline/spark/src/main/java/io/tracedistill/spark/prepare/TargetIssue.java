package io.tracedistill.spark.prepare;

import io.tracedistill.python.PyText;
import io.tracedistill.python.PyValue;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Kinds of rows the format contract keeps although their training target is malformed (issue 17 #7). The reference
 * builds {@code cot.rstrip() + "\n</think>\n\\boxed{" + str(answer) + "}"} whatever the answer is, and the golden
 * vectors pin that, so by default such rows are kept, counted per kind in the prepare manifest's
 * {@code data_quality.target_issues} and warned about with examples; {@code strict_data: true} quarantines them with
 * the kind as the reason. A row's kinds are a bit set ({@link #bit()}); the first kind in declaration order names
 * the quarantine reason.
 */
public enum TargetIssue {
    /** The answer is missing: a CSV empty cell trains {@code \boxed{nan}}, a JSON/Parquet null {@code \boxed{None}}. */
    ANSWER_MISSING("answer_missing"),
    /** The answer is only whitespace: {@code \boxed{   }}. */
    ANSWER_BLANK("answer_blank"),
    /** The answer is already boxed: {@code \boxed{42}} becomes {@code \boxed{\boxed{42}}}. */
    ANSWER_ALREADY_BOXED("answer_already_boxed"),
    /** Braces in the answer do not balance: {@code a}b} makes {@code \boxed{a}b}}, which a grader reads as {@code a}. */
    ANSWER_UNBALANCED_BRACES("answer_unbalanced_braces"),
    /**
     * Special-token text ({@code <|im_end|>}, {@code <|endoftext|>}, any {@code <|...|>}) in the prompt, trace or
     * answer: the tokenizer turns it into a real control token, which is then trained on.
     */
    SPECIAL_TOKEN_TEXT("special_token_text");

    /** Text a chat tokenizer may read as a control token: {@code <|name|>} with a short name without spaces. */
    static final Pattern SPECIAL_TOKEN = Pattern.compile("<\\|[^|<>\\s]{1,64}\\|>");

    private final String code;

    TargetIssue(String code) {
        this.code = code;
    }

    /** The name in the manifest and, under {@code strict_data}, the quarantine reason. */
    public String code() {
        return code;
    }

    /** This kind's bit in a row's issue set. */
    public int bit() {
        return 1 << ordinal();
    }

    /** The issue set of one row's cells (0 = none). */
    public static byte of(PyValue prompt, PyValue cot, PyValue answer) {
        int bits = 0;
        if (answer instanceof PyValue.None || (answer instanceof PyValue.Float f && Double.isNaN(f.value()))) {
            bits |= ANSWER_MISSING.bit();
        }
        String a = answer.pyStr();
        if (!a.isEmpty() && PyText.strip(a).isEmpty()) {
            bits |= ANSWER_BLANK.bit();
        }
        if (a.contains("\\boxed{")) {
            bits |= ANSWER_ALREADY_BOXED.bit();
        }
        if (!balanced(a)) {
            bits |= ANSWER_UNBALANCED_BRACES.bit();
        }
        for (PyValue v : new PyValue[] {prompt, cot, answer}) {
            if (v instanceof PyValue.Str s && s.value().indexOf("<|") >= 0 && SPECIAL_TOKEN.matcher(s.value()).find()) {
                bits |= SPECIAL_TOKEN_TEXT.bit();
                break;
            }
        }
        return (byte) bits;
    }

    /** Whether every {@code }} closes an earlier {@code {} and every {@code {} is closed. */
    static boolean balanced(String s) {
        int depth = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '{') {
                depth++;
            } else if (c == '}' && --depth < 0) {
                return false;
            }
        }
        return depth == 0;
    }

    /** The kinds in an issue set, in declaration order. */
    public static List<TargetIssue> in(int bits) {
        if (bits == 0) {
            return List.of(); // most rows: the manifest asks once per row, several times over
        }
        List<TargetIssue> out = new ArrayList<>();
        for (TargetIssue t : values()) {
            if ((bits & t.bit()) != 0) {
                out.add(t);
            }
        }
        return out;
    }
}
