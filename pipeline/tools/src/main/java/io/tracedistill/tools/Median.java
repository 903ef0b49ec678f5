package io.tracedistill.tools;

import java.util.Arrays;
import java.util.List;

/**
 * The median every benchmark here reports: the middle of the sorted values, the upper middle one for an even count
 * (as {@code scripts/bench/step_timing.py} takes it on the PyTorch side, so both sides of a table agree).
 */
final class Median {

    private Median() {
    }

    /** The median of {@code values} (not changed); an empty array is an error. */
    static double of(double[] values) {
        if (values.length == 0) {
            throw new IllegalArgumentException("median of no values");
        }
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }

    /** The median of {@code values}; an empty list is an error. */
    static double of(List<Double> values) {
        return of(values.stream().mapToDouble(Double::doubleValue).toArray());
    }
}
