package io.tracedistill.model.nemotronh;

import ai.djl.ndarray.NDArray;
import io.tracedistill.model.Projection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The one mixer of a Nemotron-H layer ({@code backbone.layers.{i}.mixer}): Mamba-2, MoE, attention or a
 * dense MLP. Its linear layers are slots keyed by their path below the mixer ({@code in_proj},
 * {@code experts.3.up_proj}, {@code shared_experts.down_proj}), so LoRA can replace them by name.
 */
abstract class Mixer {
    private final Map<String, Projection> slots = new LinkedHashMap<>();

    /** Registers a slot (constructor use; order = model order). */
    protected final void slot(String path, Projection p) {
        slots.put(path, p);
    }

    protected final Projection proj(String path) {
        return slots.get(path);
    }

    /** Slots by path below the mixer, in model order. */
    final Map<String, Projection> slots() {
        return slots;
    }

    final void replace(String path, Projection p, String fullName) {
        if (!slots.containsKey(path)) {
            throw new IllegalArgumentException("Not a projection slot: '" + fullName + "' (this " + kind()
                    + " mixer has " + slots.keySet() + ")");
        }
        slots.put(path, p);
    }

    /** Module paths below the mixer as PEFT lists them for NVIDIA's model (slots and non-linear modules). */
    abstract List<String> moduleNames();

    abstract String kind();

    /**
     * @param h   the layer's normed input {@code [B, T, H]}
     * @param ctx mask, cache, layer index, training flag
     * @return the mixer output {@code [B, T, H]} (added to the residual by the caller)
     */
    abstract NDArray forward(NDArray h, ForwardContext ctx);
}
