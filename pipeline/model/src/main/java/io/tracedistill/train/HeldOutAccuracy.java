package io.tracedistill.train;

import io.tracedistill.eval.Prediction;
import io.tracedistill.python.PyText;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * One greedy evaluation of the decoded held-out rows ({@code eval_generate_limit}): how many were graded correct and
 * how many had a box the scorer could read, overall and per type. A row that was not decoded (its prompt does not fit)
 * counts as unparsed and wrong, as in the eval job.
 *
 * @param overall the counts over every decoded row
 * @param byType  per type, in code-point order of the label
 */
public record HeldOutAccuracy(Counts overall, Map<String, Counts> byType) {

    /** Rows, rows whose output had a gradable box, rows graded correct. */
    public record Counts(int rows, int parsed, int correct) {

        /** correct / rows (NaN without rows). */
        public double accuracy() {
            return rows == 0 ? Double.NaN : (double) correct / rows;
        }

        /** parsed / rows (NaN without rows). */
        public double parseRate() {
            return rows == 0 ? Double.NaN : (double) parsed / rows;
        }

        Counts plus(Prediction p) {
            return new Counts(rows + 1, parsed + (p.parsed() ? 1 : 0), correct + (p.correct() ? 1 : 0));
        }
    }

    public HeldOutAccuracy {
        Objects.requireNonNull(overall, "overall");
        Map<String, Counts> sorted = new TreeMap<>(PyText::compareCodePoints);
        sorted.putAll(byType);
        byType = Collections.unmodifiableMap(sorted);
    }

    /** The counts of {@code predictions} (one per decoded held-out row). */
    public static HeldOutAccuracy of(List<Prediction> predictions) {
        Counts all = new Counts(0, 0, 0);
        Map<String, Counts> byType = new TreeMap<>(PyText::compareCodePoints);
        for (Prediction p : predictions) {
            all = all.plus(p);
            byType.put(p.type(), byType.getOrDefault(p.type(), new Counts(0, 0, 0)).plus(p));
        }
        return new HeldOutAccuracy(all, byType);
    }
}
