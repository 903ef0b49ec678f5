package io.tracedistill.config;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * What {@code best_adapter/} keeps the best of ({@code metric_for_best}). Only the held-out loss (lower is better)
 * is measured during training today; greedy accuracy during training is not implemented, so it is not offered.
 */
public enum MetricForBest implements YamlNamed {
    /** Token-weighted teacher-forced cross-entropy over the whole held-out slice; lower is better. */
    LOSS;

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
