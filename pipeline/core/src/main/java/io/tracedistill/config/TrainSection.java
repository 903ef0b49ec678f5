package io.tracedistill.config;

import io.tracedistill.run.Phase;

import java.util.Objects;

import static io.tracedistill.config.ConfigKeys.*;

/**
 * The two training phases and how an optimizer step is spread over workers. The effective batch is
 * computed here and nowhere else.
 *
 * @param phase1          {@code phase1}: the Train phase
 * @param phase2          {@code phase2}: the Nudge phase
 * @param worldSize       {@code world_size}: data-parallel workers
 * @param checkpointSteps {@code checkpoint_steps}: optimizer steps between checkpoints, 0 = phase ends only
 * @param gradientCheckpointing {@code gradient_checkpointing}: recompute each layer's forward in backward
 */
public record TrainSection(PhaseConfig phase1, PhaseConfig phase2, int worldSize, int checkpointSteps,
                           boolean gradientCheckpointing) {

    public TrainSection {
        Objects.requireNonNull(phase1, "phase1");
        Objects.requireNonNull(phase2, "phase2");
    }

    /** Without gradient checkpointing (what the trainer runs today). */
    public TrainSection(PhaseConfig phase1, PhaseConfig phase2, int worldSize, int checkpointSteps) {
        this(phase1, phase2, worldSize, checkpointSteps, false);
    }

    static TrainSection from(ConfigValuesByKey v) {
        return new TrainSection(v.get(K_PHASE1), v.get(K_PHASE2), v.get(K_WORLD_SIZE), v.get(K_CHECKPOINT_STEPS),
                v.get(K_GRADIENT_CHECKPOINTING));
    }

    /** The settings of {@code phase}. */
    public PhaseConfig phase(Phase phase) {
        return switch (phase) {
            case PHASE1 -> phase1;
            case PHASE2 -> phase2;
        };
    }

    /** Micro-batches per optimizer step over all workers: {@code gradient_accumulation_steps × world_size}. */
    public int microBatchesPerStep(Phase phase) {
        return phase(phase).gradientAccumulationSteps() * worldSize;
    }

    /**
     * Rows per optimizer step over all workers, {@code per_device_train_batch_size × gradient_accumulation_steps ×
     * world_size}: also the batch size of the stratified order prepare and tokenize write.
     */
    public int effectiveBatch(Phase phase) {
        return phase(phase).perDeviceTrainBatchSize() * microBatchesPerStep(phase);
    }
}
