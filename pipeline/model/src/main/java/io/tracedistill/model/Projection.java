package io.tracedistill.model;

import ai.djl.ndarray.NDArray;

/**
 * A linear map {@code [..., in] -> [..., out]} inside the decoder: either a plain {@link LinearProjection}
 * (HF {@code nn.Linear}) or a wrapper such as a LoRA layer around one. The decoder holds its
 * q/k/v/o and gate/up/down slots as Projections so LoRA can be injected by name.
 */
public interface Projection {

    /** {@code x [..., in] -> [..., out]}; {@code training} enables dropout in wrappers that have it. */
    NDArray forward(NDArray x, boolean training);

    /** The frozen base layer ({@code this} for a plain LinearProjection). */
    LinearProjection baseLayer();
}
