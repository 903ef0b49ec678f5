package io.tracedistill.config;

/**
 * Where training runs ({@code train_on}): in the driver's JVM, or as a Spark barrier stage with one task
 * per rank ({@code world_size} of them) on the executors.
 */
public enum TrainOn implements YamlNamed {
    DRIVER,
    EXECUTORS;

    /** The YAML spelling: {@code driver} or {@code executors}. */
    @Override
    public String yamlName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    static TrainOn fromYaml(String s) {
        return valueOf(s.toUpperCase(java.util.Locale.ROOT));
    }
}
