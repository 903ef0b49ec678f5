package io.tracedistill.train;

import ai.djl.ndarray.NDArray;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The data-parallel replicas of one training run: the same base model and LoRA layout, typically one per
 * device. Replica 0 is the primary: it holds the optimizer, is clipped and updated, and is the one saved.
 * Per optimizer step the trainer runs micro-batch m on replica {@code m mod R}, then
 * {@link #sumGradientsIntoPrimary()} (the all-reduce), updates the primary and {@link #broadcastWeights()}.
 */
final class Replicas {
    private final List<TrainableModel> replicas;

    /** @throws IllegalArgumentException when there is none, or more than {@code worldSize}, or the layouts differ */
    Replicas(List<TrainableModel> replicas, int worldSize) {
        if (replicas.isEmpty()) {
            throw new IllegalArgumentException("at least one model replica is needed");
        }
        if (replicas.size() > worldSize) {
            throw new IllegalArgumentException(replicas.size() + " model replicas but world_size is " + worldSize
                    + "; use at most world_size replicas (one per device)");
        }
        checkSameLayout(replicas);
        this.replicas = List.copyOf(replicas);
    }

    /** Replica 0: holds the optimizer and is the one saved. */
    TrainableModel primary() {
        return replicas.get(0);
    }

    /** R, the number of replicas. */
    int size() {
        return replicas.size();
    }

    /** Replica {@code r}. */
    TrainableModel get(int r) {
        return replicas.get(r);
    }

    /** The replicas in order. */
    List<TrainableModel> all() {
        return replicas;
    }

    /** The replicas' devices, for the log ({@code [cpu()]}). */
    String devices() {
        return replicas.stream().map(r -> r.manager().getDevice().toString()).toList().toString();
    }

    /** How {@code worldSize} ranks map onto these replicas, for the log ("" for one rank). */
    String dataParallelNote(int worldSize) {
        if (worldSize == 1) {
            return "";
        }
        if (replicas.size() == worldSize) {
            return " (data parallel: world_size " + worldSize + ", one replica per device)";
        }
        return " (world_size " + worldSize + " emulated on " + replicas.size() + " replica(s): "
                + "each step accumulates gradient_accumulation_steps x world_size micro-batches, the same update as "
                + worldSize + " ranks)";
    }

    /** Copies the primary's LoRA weights into every other replica (exactly: the others are zeroed, then added to). */
    void broadcastWeights() {
        List<NDArray> src = new ArrayList<>(primary().trainableParameters().values());
        for (int r = 1; r < replicas.size(); r++) {
            List<NDArray> dst = new ArrayList<>(replicas.get(r).trainableParameters().values());
            for (int i = 0; i < dst.size(); i++) {
                NDArray d = dst.get(i);
                NDArray s = src.get(i);
                d.subi(d);
                if (s.getDevice().equals(d.getDevice())) {
                    d.addi(s);
                } else {
                    try (NDArray copy = s.toDevice(d.getDevice(), true)) {
                        d.addi(copy);
                    }
                }
            }
        }
    }

    /**
     * The gradient all-reduce: adds every other replica's gradients into the primary's, zeroes the others, and
     * returns the primary's gradients (in {@link TrainableModel#trainableParameters()} order). This is the one
     * place that sums gradients across replicas, so a multi-process collective can replace it.
     */
    List<NDArray> sumGradientsIntoPrimary() {
        List<NDArray> grads = new ArrayList<>();
        for (NDArray p : primary().trainableParameters().values()) {
            grads.add(p.getGradient());
        }
        for (int r = 1; r < replicas.size(); r++) {
            int i = 0;
            for (NDArray p : replicas.get(r).trainableParameters().values()) {
                NDArray g = p.getGradient();
                NDArray sum = grads.get(i++);
                if (g.getDevice().equals(sum.getDevice())) {
                    sum.addi(g);
                } else {
                    try (NDArray copy = g.toDevice(sum.getDevice(), true)) {
                        sum.addi(copy);
                    }
                }
                g.subi(g); // zero_grad on the replica
            }
        }
        return grads;
    }

    /** Replicas must hold the same trainable tensors (names and shapes) in the same order. */
    private static void checkSameLayout(List<TrainableModel> replicas) {
        LinkedHashMap<String, NDArray> first = replicas.get(0).trainableParameters();
        for (int r = 1; r < replicas.size(); r++) {
            LinkedHashMap<String, NDArray> other = replicas.get(r).trainableParameters();
            if (!new ArrayList<>(other.keySet()).equals(new ArrayList<>(first.keySet()))) {
                throw new IllegalArgumentException("replica " + r + " has other trainable tensors than replica 0 ("
                        + other.size() + " vs " + first.size() + "); every replica needs the same base model and LoRA setup");
            }
            for (Map.Entry<String, NDArray> e : first.entrySet()) {
                if (!other.get(e.getKey()).getShape().equals(e.getValue().getShape())) {
                    throw new IllegalArgumentException("replica " + r + ": " + e.getKey() + " has shape " + other.get(e.getKey()).getShape()
                            + " but replica 0's is " + e.getValue().getShape());
                }
            }
        }
    }
}
