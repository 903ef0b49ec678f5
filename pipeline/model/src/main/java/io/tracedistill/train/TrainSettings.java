package io.tracedistill.train;

import io.tracedistill.run.Phase;

import io.tracedistill.config.DeviceSpec;
import io.tracedistill.config.PhaseConfig;
import io.tracedistill.config.TrainSection;

import java.util.Objects;

/**
 * What the trainer reads: the config's {@link TrainSection} (phases, world_size, checkpoint_steps) plus the
 * run-level values it needs. Ranges are checked once, by the config loader.
 *
 * @param train           phase 1 Train, phase 2 Nudge, {@code world_size}, {@code checkpoint_steps}
 * @param maxLength       keep-start truncation length ({@code max_length})
 * @param seed            run seed (NEFTune noise and dropout draws)
 * @param bf16            request reduced precision; on CPU the trainer runs float32 and says so
 * @param device          {@code device} (only CPU is tested)
 * @param padTokenId      tokenizer pad id (eos when the tokenizer has none)
 * @param keepCheckpoints how many checkpoints to keep (older ones are deleted; at least 1)
 */
public record TrainSettings(TrainSection train, int maxLength, long seed, boolean bf16, DeviceSpec device, int padTokenId,
                            int keepCheckpoints) {

    public TrainSettings {
        Objects.requireNonNull(train, "train");
        Objects.requireNonNull(device, "device");
    }

    /** Settings of {@code phase}. */
    public PhaseConfig phase(Phase phase) {
        return train.phase(phase);
    }

    /** {@code world_size}. */
    public int worldSize() {
        return train.worldSize();
    }

    /** {@code checkpoint_steps}. */
    public int checkpointSteps() {
        return train.checkpointSteps();
    }
}
