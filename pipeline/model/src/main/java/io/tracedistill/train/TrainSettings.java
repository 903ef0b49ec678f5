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
 * @param worldSize       data-parallel workers ({@code world_size}): an optimizer step takes
 *                        {@code per_device_train_batch_size × gradient_accumulation_steps × worldSize} rows,
 *                        as a DDP run of the reference on {@code worldSize} GPUs does
 */
public record TrainSettings(PhaseSettings phase1, PhaseSettings phase2, int maxLength, long seed, boolean bf16,
                            int padTokenId, int checkpointSteps, int keepCheckpoints, String device, int worldSize) {

    /** One data-parallel worker. */
    public TrainSettings(PhaseSettings phase1, PhaseSettings phase2, int maxLength, long seed, boolean bf16,
                         int padTokenId, int checkpointSteps, int keepCheckpoints, String device) {
        this(phase1, phase2, maxLength, seed, bf16, padTokenId, checkpointSteps, keepCheckpoints, device, 1);
    }

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
        if (worldSize < 1) {
            throw new IllegalArgumentException("Invalid value " + worldSize + " for world_size: must be at least 1");
        }
        device = device == null ? "cpu" : device.toLowerCase(Locale.ROOT);
    }

    /** Micro-batches per optimizer step over all workers: {@code gradient_accumulation_steps × world_size}. */
    public int microBatchesPerStep(int phase) {
        return phase(phase).gradientAccumulationSteps() * worldSize;
    }

    /** Rows per optimizer step over all workers. */
    public int effectiveBatch(int phase) {
        return phase(phase).perDeviceTrainBatchSize() * microBatchesPerStep(phase);
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
