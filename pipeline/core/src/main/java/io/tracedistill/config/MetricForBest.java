package io.tracedistill.config;

/**
 * What {@code best_adapter/} keeps the best of, and what {@code early_stopping_patience} waits to improve
 * ({@code metric_for_best}).
 */
public enum MetricForBest implements YamlEnum {
    /** Token-weighted teacher-forced cross-entropy over the whole held-out slice; lower is better. */
    LOSS,
    /** Greedy boxed accuracy on the {@code eval_generate_limit} decoded held-out rows; higher is better. */
    ACCURACY;

    /** Whether {@code candidate} improves on {@code best} (strictly; NaN never improves). */
    public boolean improves(double candidate, double best) {
        if (Double.isNaN(candidate)) {
            return false;
        }
        if (Double.isNaN(best)) {
            return true;
        }
        return this == LOSS ? candidate < best : candidate > best;
    }
}
