package io.tracedistill.train;

import io.tracedistill.run.Phase;

import ai.djl.engine.Engine;

/**
 * Training randomness (NEFTune noise, LoRA dropout) without a stream to checkpoint: before every
 * micro-batch the engine generator ({@code torch.manual_seed}) is reseeded with a value derived from
 * (run seed, phase, step, micro-batch). A resumed run therefore draws exactly what an uninterrupted
 * run draws; the checkpoint's "RNG state" is the data position. Torch's own seed sequence is not
 * reproduced (the reference's random draws are not reproducible across stacks anyway).
 */
public final class MicroBatchRng {

    /** What a checkpoint records as RNG state: the derivation (the position itself is saved beside it). */
    public static final String STATE = "engine generator reseeded per micro-batch from (seed, phase, step, micro_batch)";

    private MicroBatchRng() {
    }

    /** The derived seed (31 bits): SplitMix64 over (seed, phase, step, micro-batch). */
    public static int seed(long runSeed, Phase phase, long step, int microBatch) {
        long z = runSeed;
        z = mix(z + 0x9E3779B97F4A7C15L * (phase.number() + 1));
        z = mix(z + 0x9E3779B97F4A7C15L * (step + 1));
        z = mix(z + 0x9E3779B97F4A7C15L * (microBatch + 1));
        return (int) (z >>> 33);
    }

    /** Reseeds the engine generator for one micro-batch. */
    public static void reseed(long runSeed, Phase phase, long step, int microBatch) {
        Engine.getInstance().setRandomSeed(seed(runSeed, phase, step, microBatch));
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
