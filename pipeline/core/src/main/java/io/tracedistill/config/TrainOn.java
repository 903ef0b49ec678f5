package io.tracedistill.config;

/**
 * Where training runs ({@code train_on}): in the driver's JVM, or as a Spark barrier stage with one task
 * per rank ({@code world_size} of them) on the executors.
 */
public enum TrainOn implements YamlEnum {
    DRIVER,
    EXECUTORS;
}
