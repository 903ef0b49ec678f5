package io.tracedistill.model.nemotronh;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Activation;
import io.tracedistill.model.Projection;

/**
 * Nemotron-H's non-gated MLP, {@code down_proj(relu(up_proj(x))²)} (no gate_proj): the dense {@code -}
 * layers, every routed expert and the shared expert.
 */
final class Relu2Mlp {
    static final String UP = "up_proj";
    static final String DOWN = "down_proj";

    private Relu2Mlp() {
    }

    /** {@code x [..., H] -> [..., H]} through the given up {@code [F, H]} and down {@code [H, F]} slots. */
    static NDArray forward(Projection up, Projection down, NDArray x, boolean training) {
        return down.forward(Activation.relu(up.forward(x, training)).square(), training);
    }
}
