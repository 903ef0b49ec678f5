package io.tracedistill.config;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Where the held-out slice comes from ({@code heldout_source}).
 */
public enum HeldOutSource implements YamlNamed {
    /** {@code holdout_fraction} of each type's usable training rows, set aside before the two-phase split. */
    HOLDOUT_FRACTION,
    /**
     * The {@code eval_path} rows, read and formatted like training rows (they must carry a trace); the training rows
     * are untouched.
     */
    EVAL_PATH;

    @Override
    public String yamlName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Every YAML spelling. */
    public static List<String> yamlNames() {
        return Arrays.stream(values()).map(HeldOutSource::yamlName).toList();
    }

    /** The source named {@code name}; the error lists the valid names. */
    public static HeldOutSource fromYaml(String name) {
        for (HeldOutSource s : values()) {
            if (s.yamlName().equals(name)) {
                return s;
            }
        }
        throw new IllegalArgumentException("Unknown heldout_source '" + name + "'; expected one of " + String.join(", ", yamlNames()));
    }
}
