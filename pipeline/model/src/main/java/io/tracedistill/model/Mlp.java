package io.tracedistill.model;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Activation;
import java.util.LinkedHashMap;
import java.util.Map;

/** HF {@code LlamaMLP} (SwiGLU): {@code down_proj(silu(gate_proj(x)) * up_proj(x))}. */
public final class Mlp {
    public static final String GATE = "gate_proj";
    public static final String UP = "up_proj";
    public static final String DOWN = "down_proj";

    private final Map<String, Projection> proj = new LinkedHashMap<>();

    public Mlp(LinearProjection gate, LinearProjection up, LinearProjection down) {
        proj.put(GATE, gate);
        proj.put(UP, up);
        proj.put(DOWN, down);
    }

    public Map<String, Projection> projections() {
        return proj;
    }

    void replace(String slot, Projection p) {
        if (!proj.containsKey(slot)) {
            throw new IllegalArgumentException("No projection " + slot + " in mlp");
        }
        proj.put(slot, p);
    }

    /** {@code [B, T, hidden] -> [B, T, hidden]}. */
    NDArray forward(NDArray x, boolean training) {
        NDArray gate = proj.get(GATE).forward(x, training); // [B, T, ff]
        NDArray act = gate.mul(Activation.sigmoid(gate));   // silu
        return proj.get(DOWN).forward(act.mul(proj.get(UP).forward(x, training)), training);
    }
}
