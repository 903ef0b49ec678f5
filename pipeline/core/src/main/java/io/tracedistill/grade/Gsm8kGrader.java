package io.tracedistill.grade;

import io.tracedistill.python.PyText;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalDouble;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The boxed-answer scorer of the reference's GSM8K example
 * ({@code examples/gsm8k_trace_distillation.py::evaluate}, commit 400d131), pinned by
 * {@code golden/grader.json} (55 cases + 31 {@code _num} cases).
 *
 * <ol>
 *   <li>boxes = every non-overlapping match of {@code \\boxed\{([^}]*)\}} (no nesting:
 *       {@code \boxed{\frac{1}{2}}} yields {@code \frac{1}); the <b>last</b> one is graded;</li>
 *   <li>{@link #parseNumber} = the example's {@code _num}: drop {@code ,} and {@code $}, Python
 *       {@code strip()}, strip trailing dots, take the first {@code -?\d+\.?\d*} and apply
 *       {@code float()} — Python's {@code \d} and {@code float()} accept every Unicode decimal
 *       digit (category Nd), so {@code ４２} is 42.0;</li>
 *   <li>correct iff both sides parse and {@code |pred - gold| < 1e-2} (absolute, strict).</li>
 * </ol>
 *
 * <p>Java's Unicode tables (JDK 17: Unicode 13) have 10 fewer Nd digits than Python 3.11's
 * (Unicode 14: 660); digits first assigned in Unicode 14 are not recognised here.
 */
public final class Gsm8kGrader implements Grader {

    public static final String NAME = "gsm8k";

    /** Absolute tolerance, strict comparison. */
    public static final double ABS_TOLERANCE = 1e-2;

    private static final Pattern BOX = Pattern.compile("\\\\boxed\\{([^}]*)\\}");

    @Override
    public String name() {
        return NAME;
    }

    /** Contents of every {@code \boxed{[^}]*}} match, left to right (Python {@code re.findall}). */
    public static List<String> boxes(String text) {
        List<String> out = new ArrayList<>();
        Matcher m = BOX.matcher(text);
        while (m.find()) {
            out.add(m.group(1));
        }
        return out;
    }

    /** The example's {@code _num(s)}; empty when no number is found. */
    public static OptionalDouble parseNumber(String s) {
        String t = PyText.strip(s.replace(",", "").replace("$", ""));
        int end = t.length();
        while (end > 0 && t.charAt(end - 1) == '.') {
            end--;
        }
        t = t.substring(0, end);
        // re.search(r'-?\d+\.?\d*'): leftmost position where an optional '-' and >= 1 digit start
        int i = 0;
        while (i < t.length()) {
            int start = i;
            int j = i;
            if (t.charAt(j) == '-' && j + 1 < t.length() && isDigit(t.codePointAt(j + 1))) {
                j++;
            }
            if (j < t.length() && isDigit(t.codePointAt(j))) {
                StringBuilder ascii = new StringBuilder();
                if (j > start) {
                    ascii.append('-');
                }
                j = appendDigits(t, j, ascii);
                if (j < t.length() && t.charAt(j) == '.') {
                    ascii.append('.');
                    j = appendDigits(t, j + 1, ascii);
                }
                return OptionalDouble.of(Double.parseDouble(ascii.toString()));
            }
            i += Character.charCount(t.codePointAt(i));
        }
        return OptionalDouble.empty();
    }

    /** Python {@code \d} in a str pattern: Unicode category Nd. */
    private static boolean isDigit(int cp) {
        return Character.getType(cp) == Character.DECIMAL_DIGIT_NUMBER;
    }

    /** Appends the ASCII value of the digit run starting at {@code j}; returns the index after it. */
    private static int appendDigits(String t, int j, StringBuilder ascii) {
        while (j < t.length()) {
            int cp = t.codePointAt(j);
            if (!isDigit(cp)) {
                break;
            }
            ascii.append((char) ('0' + Character.digit(cp, 10)));
            j += Character.charCount(cp);
        }
        return j;
    }

    @Override
    public Grade grade(String modelOutput, String gold) {
        List<String> boxes = boxes(modelOutput);
        if (boxes.isEmpty()) {
            return new Grade(false, "", false);
        }
        String extracted = boxes.get(boxes.size() - 1);
        OptionalDouble pred = parseNumber(extracted);
        OptionalDouble goldValue = parseNumber(gold);
        boolean correct = pred.isPresent() && goldValue.isPresent()
                && Math.abs(pred.getAsDouble() - goldValue.getAsDouble()) < ABS_TOLERANCE;
        return new Grade(true, extracted, correct);
    }
}
