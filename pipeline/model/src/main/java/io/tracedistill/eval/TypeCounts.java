package io.tracedistill.eval;

import java.util.OptionalDouble;

/**
 * Counts over a set of predictions (one arm, one type or all types).
 *
 * @param rows    eval rows (decoded or not)
 * @param correct rows graded correct
 * @param parsed  rows whose output holds a gradable box
 */
public record TypeCounts(long rows, long correct, long parsed) {
    public TypeCounts {
        if (rows < 0 || correct < 0 || parsed < 0 || correct > parsed || parsed > rows) {
            throw new IllegalArgumentException("inconsistent counts: rows " + rows + ", parsed " + parsed
                    + ", correct " + correct + " (need 0 <= correct <= parsed <= rows)");
        }
    }

    public static final TypeCounts ZERO = new TypeCounts(0, 0, 0);

    public TypeCounts plus(Prediction p) {
        return new TypeCounts(rows + 1, correct + (p.correct() ? 1 : 0), parsed + (p.parsed() ? 1 : 0));
    }

    /** correct / rows; empty when there are no rows. */
    public OptionalDouble accuracy() {
        return rows == 0 ? OptionalDouble.empty() : OptionalDouble.of((double) correct / rows);
    }

    /** parsed / rows; empty when there are no rows. */
    public OptionalDouble parseRate() {
        return rows == 0 ? OptionalDouble.empty() : OptionalDouble.of((double) parsed / rows);
    }
}
