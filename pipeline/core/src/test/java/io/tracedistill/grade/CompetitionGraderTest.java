package io.tracedistill.grade;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Hand-checked cases for our reading of the competition rule (see {@link CompetitionGrader} Javadoc). */
class CompetitionGraderTest {

    private final CompetitionGrader grader = new CompetitionGrader();

    private boolean correct(String output, String gold) {
        return grader.grade(output, gold).correct();
    }

    @Test
    void lastBalancedBoxIsGradedWithNesting() {
        Grade g = grader.grade("<think>\\boxed{1}</think>\n\\boxed{\\frac{1}{2}}", "\\frac{1}{2}");
        assertTrue(g.parsed());
        assertEquals("\\frac{1}{2}", g.extracted());
        assertTrue(g.correct());
        assertFalse(correct("\\boxed{2} then \\boxed{1}", "2"), "only the last box counts");
    }

    @Test
    void noBoxIsUnparsedAndWrong() {
        Grade g = grader.grade("The answer is 42.", "42");
        assertFalse(g.parsed());
        assertFalse(g.correct());
        assertFalse(grader.grade("\\boxed{42", "42").parsed(), "unclosed box");
    }

    @Test
    void exactMatchAfterStripCaseSensitive() {
        assertTrue(correct("\\boxed{ XLIX\u00a0}", "XLIX"));
        assertFalse(correct("\\boxed{xlix}", "XLIX"));
        assertTrue(correct("\\boxed{10001101}", "10001101"));
    }

    @Test
    void relativeToleranceIsInclusiveOnePercent() {
        assertTrue(correct("\\boxed{101}", "100"), "exactly 1% is inside (<=)");
        assertFalse(correct("\\boxed{101.01}", "100"));
        assertTrue(correct("\\boxed{99.0}", "100"));
        assertTrue(correct("\\boxed{-2.99}", "-3"));
        assertTrue(correct("\\boxed{12.30}", "12.3"));
        assertTrue(correct("\\boxed{1.23e1}", "12.3"));
    }

    @Test
    void zeroGoldNeedsExactZero() {
        assertTrue(correct("\\boxed{0.00}", "0"));
        assertTrue(correct("\\boxed{-0}", "0"));
        assertFalse(correct("\\boxed{0.001}", "0"));
    }

    @Test
    void nonNumbersAndNonFiniteAreNotNumeric() {
        assertFalse(correct("\\boxed{12 apples}", "12"));
        assertFalse(correct("\\boxed{1e999}", "1e999".replace("999", "998")));
        assertFalse(correct("\\boxed{nan}", "NaN"));
        assertTrue(correct("\\boxed{inf}", "inf"), "exact string match still applies");
        assertFalse(correct("\\boxed{\uff14\uff12}", "42"), "numeric match uses ASCII digits only");
    }

    @Test
    void bitStringsPassNumericallyUnlessExactOnly() {
        assertTrue(correct("\\boxed{10001100}", "10001101"), "documented caveat of the relative rule");
        assertFalse(CompetitionGrader.exactOnly().grade("\\boxed{10001100}", "10001101").correct());
    }
}
