package io.tracedistill.memory;

/** A {@code config.json} this planner cannot describe; the message names the file, the key and the fix. */
public final class ModelConfigException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public ModelConfigException(String message) {
        super(message);
    }

    public ModelConfigException(String message, Throwable cause) {
        super(message, cause);
    }
}
