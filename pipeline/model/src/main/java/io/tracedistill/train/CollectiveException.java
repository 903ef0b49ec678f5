package io.tracedistill.train;

/**
 * A collective call failed: a peer died, hung past the timeout, or the group was closed. The sums of
 * the failed call must not be used; training of this attempt stops (and may restart from the last
 * checkpoint in a new group).
 */
public class CollectiveException extends RuntimeException {

    public CollectiveException(String message) {
        super(message);
    }

    public CollectiveException(String message, Throwable cause) {
        super(message, cause);
    }
}
