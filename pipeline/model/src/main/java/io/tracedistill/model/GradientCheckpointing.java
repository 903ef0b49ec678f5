package io.tracedistill.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * Gradient checkpointing ({@code gradient_checkpointing: true}, as transformers' per-layer checkpointing): the
 * forward runs every decoder layer without recording autograd and keeps only each layer's input
 * {@code [B, T, H]}; {@link #backward} first back-propagates the loss to the last layer's output, then, from the
 * last layer to the first, recomputes one layer with recording and back-propagates its output gradient through
 * it. Peak activation memory is one layer's activations plus L layer inputs, instead of every layer's.
 *
 * <p>DJL keeps every array until its manager closes, so each layer runs in its own sub-manager that is closed as
 * soon as its output (forward) or its input gradient (backward) has been moved out. Layers must be deterministic
 * (the recomputation must see the same values): LoRA dropout would draw new masks, so callers refuse it.
 */
public final class GradientCheckpointing {
    private final List<UnaryOperator<NDArray>> layers;
    private final UnaryOperator<NDArray> head;
    private final List<NDArray> inputs = new ArrayList<>();
    private NDArray headInput;
    private NDManager manager;
    private NDArray output;

    /**
     * @param layers the decoder layers, each {@code [B, T, H] -> [B, T, H]} (residual included)
     * @param head   what follows the last layer (the final norm), recorded normally
     */
    public GradientCheckpointing(List<UnaryOperator<NDArray>> layers, UnaryOperator<NDArray> head) {
        this.layers = List.copyOf(layers);
        this.head = head;
    }

    /**
     * @param x0 the first layer's input {@code [B, T, H]} (the embedding output; it needs no gradient)
     * @return the head's output, recorded from the last layer's output only
     */
    public NDArray forward(NDArray x0) {
        manager = x0.getManager();
        boolean gradMode = JniUtils.isGradMode();
        JniUtils.setGradMode(false);
        NDArray x = x0;
        try {
            for (UnaryOperator<NDArray> layer : layers) {
                inputs.add(x);
                x = inScratch(x, layer);
            }
        } finally {
            JniUtils.setGradMode(gradMode);
        }
        headInput = x;
        headInput.setRequiresGradient(true);
        output = head.apply(headInput);
        return output;
    }

    /** The head's output of {@link #forward} (the final hidden states). */
    public NDArray output() {
        if (output == null) {
            throw new IllegalStateException("output before forward");
        }
        return output;
    }

    /** Back-propagates {@code loss} (computed from {@link #forward}'s output) into every trainable tensor. */
    public void backward(GradientCollector gc, NDArray loss) {
        if (headInput == null) {
            throw new IllegalStateException("backward before forward");
        }
        gc.backward(loss);
        NDArray grad = headInput.getGradient().duplicate(); // dLoss/d(last layer output) [B, T, H]
        for (int i = layers.size() - 1; i >= 0; i--) {
            try (NDManager scratch = manager.newSubManager()) {
                NDArray leaf = inputs.get(i).duplicate();
                leaf.attach(scratch);
                if (i > 0) {
                    leaf.setRequiresGradient(true);
                }
                NDArray out = layers.get(i).apply(leaf);
                gc.backward(out.mul(grad).sum());
                grad.close();
                if (i > 0) {
                    grad = leaf.getGradient().duplicate();
                    grad.attach(manager);
                }
            }
        }
    }

    /** {@code layer(x)} with its intermediates in a sub-manager closed right away; the output stays in x's manager. */
    private NDArray inScratch(NDArray x, UnaryOperator<NDArray> layer) {
        try (NDManager scratch = manager.newSubManager()) {
            x.attach(scratch);
            NDArray y = layer.apply(x);
            y.attach(manager);
            x.attach(manager);
            return y;
        }
    }
}
