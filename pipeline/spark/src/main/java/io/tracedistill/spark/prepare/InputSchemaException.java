package io.tracedistill.spark.prepare;

/** The input table cannot be prepared as configured (missing or unusable columns); nothing was written. */
public final class InputSchemaException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    public InputSchemaException(String message) {
        super(message);
    }
}
