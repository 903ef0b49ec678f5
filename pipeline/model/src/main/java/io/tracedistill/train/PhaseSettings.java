package io.tracedistill.train;

/**
 * The trainer settings of one phase (reference {@code PhaseConfig}; defaults of
 * {@code PhaseConfig.train()} / {@code PhaseConfig.nudge()} are applied by the config layer).
 *
 * @param learningRate               peak LR
 * @param lrSchedulerType            {@code linear}, {@code cosine}, {@code constant}, {@code constant_with_warmup}
 * @param warmupSteps                LR warmup steps (the first step runs at LR 0 when > 0)
 * @param numTrainEpochs             passes over the phase's examples, same order each time
 * @param perDeviceTrainBatchSize    rows per micro-batch
 * @param gradientAccumulationSteps  micro-batches per optimizer step
 * @param maxGradNorm                global-norm clip threshold (1e9 = effectively off)
 * @param neftuneNoiseAlpha          NEFTune alpha, 0 = off
 * @param loggingSteps               log a line every this many steps (the last step is always logged)
 */
public record PhaseSettings(double learningRate, String lrSchedulerType, int warmupSteps, int numTrainEpochs,
                            int perDeviceTrainBatchSize, int gradientAccumulationSteps, double maxGradNorm,
                            double neftuneNoiseAlpha, int loggingSteps) {

    public PhaseSettings {
        LrSchedule.Kind.parse(lrSchedulerType);
        if (!(learningRate >= 0) || Double.isInfinite(learningRate)) {
            throw new IllegalArgumentException("Invalid value " + learningRate + " for learning_rate: must be a finite number >= 0");
        }
        if (warmupSteps < 0) {
            throw new IllegalArgumentException("Invalid value " + warmupSteps + " for warmup_steps: must be >= 0");
        }
        if (numTrainEpochs < 1) {
            throw new IllegalArgumentException("Invalid value " + numTrainEpochs + " for num_train_epochs: must be at least 1");
        }
        if (perDeviceTrainBatchSize < 1) {
            throw new IllegalArgumentException("Invalid value " + perDeviceTrainBatchSize + " for per_device_train_batch_size: must be at least 1");
        }
        if (gradientAccumulationSteps < 1) {
            throw new IllegalArgumentException("Invalid value " + gradientAccumulationSteps + " for gradient_accumulation_steps: must be at least 1");
        }
        if (!(maxGradNorm > 0)) {
            throw new IllegalArgumentException("Invalid value " + maxGradNorm + " for max_grad_norm: must be > 0 (use 1e9 to disable clipping)");
        }
        if (!(neftuneNoiseAlpha >= 0) || Double.isInfinite(neftuneNoiseAlpha)) {
            throw new IllegalArgumentException("Invalid value " + neftuneNoiseAlpha + " for neftune_noise_alpha: must be >= 0 (0 = off)");
        }
        if (loggingSteps < 1) {
            throw new IllegalArgumentException("Invalid value " + loggingSteps + " for logging_steps: must be at least 1");
        }
    }

    /** The schedule over {@code totalSteps} optimizer steps. */
    public LrSchedule schedule(int totalSteps) {
        return new LrSchedule(LrSchedule.Kind.parse(lrSchedulerType), learningRate, warmupSteps, totalSteps);
    }

    /** Rows per optimizer step. */
    public int effectiveBatch() {
        return perDeviceTrainBatchSize * gradientAccumulationSteps;
    }
}
