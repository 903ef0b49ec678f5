package io.tracedistill.model.nemotronh;

import ai.djl.ndarray.NDArray;
import io.tracedistill.model.LinearProjection;
import java.util.List;

/** A dense {@code -} layer's mixer: one {@link Relu2Mlp} ({@code up_proj [F, H]}, {@code down_proj [H, F]}). */
final class DenseMlpMixer extends Mixer {

    DenseMlpMixer(LinearProjection up, LinearProjection down) {
        slot(Relu2Mlp.UP, up);
        slot(Relu2Mlp.DOWN, down);
    }

    @Override
    List<String> moduleNames() {
        return List.of(Relu2Mlp.UP, Relu2Mlp.DOWN, "act_fn");
    }

    @Override
    String kind() {
        return "MLP";
    }

    @Override
    NDArray forward(NDArray h, ForwardContext ctx) {
        return Relu2Mlp.forward(proj(Relu2Mlp.UP), proj(Relu2Mlp.DOWN), h, ctx.training());
    }
}
