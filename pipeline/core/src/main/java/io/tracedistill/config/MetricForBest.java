package io.tracedistill.config;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * What {@code best_adapter/} keeps the best of, and what {@code early_stopping_patience} waits to improve
 * ({@code metric_for_best}).
 */
public enum MetricForBest implements YamlNamed {
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

    @Override
    public String yamlName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Every YAML spelling. */
    public static List<String> yamlNames() {
        return Arrays.stream(values()).map(MetricForBest::yamlName).toList();
    }

    /** The metric named {@code name}; the error lists the valid names. */
    public static MetricForBest fromYaml(String name) {
        for (MetricForBest m : values()) {
            if (m.yamlName().equals(name)) {
                return m;
            }
        }
        throw new IllegalArgumentException("Unknown metric_for_best '" + name + "'; expected one of " + String.join(", ", yamlNames()));
    }
}
