package io.tracedistill.grade;

import io.tracedistill.contract.BoxedText;
import io.tracedistill.python.PyText;

import java.util.Optional;
import java.util.OptionalDouble;
import java.util.regex.Pattern;

/**
 * Our reading of the competition's grading rule, which the reference describes only in prose
 * ({@code golden/NOTES-grader.md} §1): an answer is correct if it is an exact string match with
 * the gold answer, or its relative error is within 1e-2.
 *
 * <p>Decisions where the prose is silent (each pinned by a unit test):
 * <ul>
 *   <li>the graded answer is the content of the <b>last balanced</b> {@code \boxed{…}}
 *       ({@link BoxedText#lastBoxed}; nested braces kept, so {@code \frac{1}{2}} is whole);
 *       {@code parsed} is whether such a box exists — no "last number" fallback;</li>
 *   <li>exact match compares both sides after Python {@code strip()}; case is kept;</li>
 *   <li>numeric match: both stripped sides must be a whole decimal number
 *       ({@code [+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?}, ASCII digits) and finite, and
 *       {@code |pred - gold| <= 1e-2 * |gold|} (inclusive). A gold of 0 therefore needs a
 *       prediction that is exactly zero ({@code 0.00}, {@code -0}): "relative error" of a zero
 *       gold is undefined and we do not invent an absolute tolerance;</li>
 *   <li>a numeric-looking string answer is still compared numerically, as the prose implies:
 *       an 8-bit string {@code 10001100} against gold {@code 10001101} differs by 1e-7
 *       relative and passes. Callers that know an answer is a symbol string should use
 *       {@link #exactOnly()}.</li>
 * </ul>
 */
public final class CompetitionGrader implements Grader {

    public static final String NAME = "competition";

    /** Relative tolerance, inclusive. */
    public static final double REL_TOLERANCE = 1e-2;

    private static final Pattern NUMBER = Pattern.compile("[+-]?(\\d+(\\.\\d*)?|\\.\\d+)([eE][+-]?\\d+)?");

    private final boolean numeric;

    /** Exact match or relative error ≤ 1e-2. */
    public CompetitionGrader() {
        this(true);
    }

    private CompetitionGrader(boolean numeric) {
        this.numeric = numeric;
    }

    /** A grader that only accepts exact (stripped) string matches. */
    public static CompetitionGrader exactOnly() {
        return new CompetitionGrader(false);
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Grade grade(String modelOutput, String gold) {
        Optional<String> box = BoxedText.lastBoxed(modelOutput);
        if (box.isEmpty()) {
            return new Grade(false, "", false);
        }
        String pred = PyText.strip(box.get());
        String goldText = PyText.strip(gold);
        boolean correct = pred.equals(goldText) || (numeric && withinRelativeTolerance(pred, goldText));
        return new Grade(true, box.get(), correct);
    }

    /** Whether both strings are finite decimal numbers with |pred − gold| ≤ 1e-2·|gold|. */
    static boolean withinRelativeTolerance(String pred, String gold) {
        OptionalDouble p = parseDecimal(pred);
        OptionalDouble g = parseDecimal(gold);
        if (p.isEmpty() || g.isEmpty()) {
            return false;
        }
        double pv = p.getAsDouble();
        double gv = g.getAsDouble();
        return Math.abs(pv - gv) <= REL_TOLERANCE * Math.abs(gv);
    }

    /** The value of a whole-string decimal number, or empty (including for non-finite values). */
    static OptionalDouble parseDecimal(String s) {
        if (!NUMBER.matcher(s).matches()) {
            return OptionalDouble.empty();
        }
        double v = Double.parseDouble(s);
        return Double.isFinite(v) ? OptionalDouble.of(v) : OptionalDouble.empty();
    }
}
