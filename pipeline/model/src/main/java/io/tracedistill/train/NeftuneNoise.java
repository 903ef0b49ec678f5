package io.tracedistill.train;

import io.tracedistill.run.Phase;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/**
 * NEFTune (Jain et al. 2023, "NEFTune: Noisy Embeddings Improve Instruction Finetuning"): during
 * training only, uniform noise is added to the input embeddings.
 *
 * <p>Reference: transformers {@code trainer_utils.neftune_post_forward_hook}, applied to the output of
 * the embedding layer {@code [B, L, d]}:
 * <pre>
 *   dims     = L * d          (L = padded sequence length of the micro-batch, d = hidden size)
 *   mag_norm = alpha / sqrt(dims)
 *   embeds  += uniform(-mag_norm, mag_norm)   same shape [B, L, d]
 * </pre>
 *
 * <p>Randomness: the noise of each micro-batch comes from the engine generator reseeded by
 * {@link MicroBatchRng} for (run seed, phase, step, micro-batch), so runs are reproducible and a
 * resume is exact.
 * {@code alpha = 0} adds exactly nothing and draws nothing.
 */
public final class NeftuneNoise {

    private final double alpha;
    private final long runSeed;

    /** {@code alpha} = {@code neftune_noise_alpha} (must be >= 0; 0 disables); {@code runSeed} = config {@code seed}. */
    public NeftuneNoise(double alpha, long runSeed) {
        if (!(alpha >= 0) || Double.isInfinite(alpha)) {
            throw new IllegalArgumentException("Invalid value " + alpha + " for neftune_noise_alpha: must be a finite number >= 0 (0 or null = off)");
        }
        this.alpha = alpha;
        this.runSeed = runSeed;
    }

    /** Whether any noise is added. */
    public boolean enabled() {
        return alpha > 0;
    }

    /** The noise half-width for a micro-batch of padded length {@code seqLen} and hidden size {@code hidden}. */
    public double magnitude(long seqLen, long hidden) {
        // torch: alpha / torch.sqrt(torch.tensor(L * d)) -> float32
        return (float) (alpha / (float) Math.sqrt((double) (seqLen * hidden)));
    }

    /**
     * Returns {@code embeds + noise} for micro-batch {@code microBatch} of step {@code step} of phase
     * {@code phase}; {@code embeds} is {@code [B, L, d]}. Returns {@code embeds} itself when disabled.
     */
    public NDArray apply(NDArray embeds, Phase phase, long step, int microBatch) {
        if (!enabled()) {
            return embeds;
        }
        Shape s = embeds.getShape();
        if (s.dimension() != 3) {
            throw new IllegalArgumentException("NEFTune expects embeddings [B, L, d] but got " + s);
        }
        float mag = (float) magnitude(s.get(1), s.get(2));
        MicroBatchRng.reseed(runSeed, phase, step, microBatch);
        NDArray noise = embeds.getManager().randomUniform(-mag, mag, s, embeds.getDataType(), embeds.getDevice());
        return embeds.add(noise);
    }

}
