package io.tracedistill.config;

/**
 * Where the held-out slice comes from ({@code heldout_source}).
 */
public enum HeldOutSource implements YamlEnum {
    /** {@code holdout_fraction} of each type's usable training rows, set aside before the two-phase split. */
    HOLDOUT_FRACTION,
    /**
     * The {@code eval_path} rows, read and formatted like training rows (they must carry a trace); the training rows
     * are untouched.
     */
    EVAL_PATH;
}
