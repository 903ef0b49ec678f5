package io.tracedistill.train;

/** Observes every optimizer step (tests, progress bars). Called after the weights were updated. */
@FunctionalInterface
public interface StepListener {

    void onStep(StepRecord record);

    /** A listener that does nothing. */
    static StepListener none() {
        return r -> { };
    }
}
