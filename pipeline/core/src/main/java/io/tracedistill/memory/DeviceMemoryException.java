package io.tracedistill.memory;

/** A training run that cannot fit its device; the message holds the plan table and the fixes. */
public final class DeviceMemoryException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public DeviceMemoryException(String message) {
        super(message);
    }
}
