package io.tracedistill.model;

/**
 * A model directory, config file or safetensors file that cannot be loaded as-is. The message names
 * the file, the key or tensor, the offending value and what to do about it.
 */
public class ModelLoadException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public ModelLoadException(String message) {
        super(message);
    }

    public ModelLoadException(String message, Throwable cause) {
        super(message, cause);
    }
}
