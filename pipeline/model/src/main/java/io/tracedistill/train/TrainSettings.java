package io.tracedistill.train;

import java.util.Locale;

/**
 * Run-level trainer settings (the parts of {@code RunConfig} the trainer reads).
 *
 * @param phase1          Train phase
 * @param phase2          Nudge phase
 * @param maxLength       keep-start truncation length ({@code max_length})
 * @param seed            run seed (NEFTune noise; no other randomness in training)
 * @param bf16            request reduced precision; on CPU the trainer runs float32 and says so
 * @param padTokenId      tokenizer pad id (eos when the tokenizer has none)
 * @param checkpointSteps checkpoint every this many optimizer steps (0 = only at each phase end)
 * @param keepCheckpoints how many checkpoints to keep (older ones are deleted; at least 1)
 * @param device          {@code cpu}, {@code gpu} or {@code gpu:0,1} (only CPU is tested)
 */
public record TrainSettings(PhaseSettings phase1, PhaseSettings phase2, int maxLength, long seed, boolean bf16,
                            int padTokenId, int checkpointSteps, int keepCheckpoints, String device) {

    public TrainSettings {
        if (phase1 == null || phase2 == null) {
            throw new IllegalArgumentException("both phase1 and phase2 settings are required");
        }
        if (maxLength < 1) {
            throw new IllegalArgumentException("Invalid value " + maxLength + " for max_length: must be at least 1");
        }
        if (checkpointSteps < 0) {
            throw new IllegalArgumentException("Invalid value " + checkpointSteps + " for checkpoint_steps: must be >= 0 (0 = phase ends only)");
        }
        if (keepCheckpoints < 1) {
            throw new IllegalArgumentException("Invalid value " + keepCheckpoints + " for the number of checkpoints to keep: must be at least 1");
        }
        device = device == null ? "cpu" : device.toLowerCase(Locale.ROOT);
    }

    /** Settings of phase 1 or 2. */
    public PhaseSettings phase(int phase) {
        return switch (phase) {
            case 1 -> phase1;
            case 2 -> phase2;
            default -> throw new IllegalArgumentException("phase must be 1 or 2, got " + phase);
        };
    }
}
