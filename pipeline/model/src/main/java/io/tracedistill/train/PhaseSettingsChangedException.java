package io.tracedistill.train;

import io.tracedistill.run.Phase;

/**
 * A resume would reuse a finished phase whose settings differ from this run's (issue 17 #4). The train step refuses
 * it, or with {@code --force} retrains from the start. An {@link IllegalArgumentException}: the config asks for
 * something the checkpoints cannot give.
 */
public final class PhaseSettingsChangedException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    private final Phase phase;

    PhaseSettingsChangedException(Phase phase, String message) {
        super(message);
        this.phase = phase;
    }

    /** The finished phase whose settings changed. */
    public Phase phase() {
        return phase;
    }
}
