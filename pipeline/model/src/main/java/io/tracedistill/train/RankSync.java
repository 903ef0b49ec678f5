package io.tracedistill.train;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Locale;

/**
 * The points where the ranks of a data-parallel run meet, one {@link Collective} call each:
 * <ol>
 *   <li>before an optimizer step's forwards: the label-token and token counts of the rank's own micro-batches,
 *       summed (INT64) into the step's {@code num_items_in_batch}, which divides every micro-batch's
 *       CE sum on every rank, and the step's token count, padded lengths and positions for the metrics;</li>
 *   <li>after the backwards: the gradients of every trainable tensor, flattened on the host in
 *       {@code trainableParameters()} order, with the step's micro-batch losses appended (a rank
 *       contributes its own micro-batches' losses and zeros elsewhere), summed in one call; every rank
 *       then clips and applies AdamW to the same sums;</li>
 *   <li>now and then: a checksum of the LoRA weights, gathered; ranks that disagree stop the run.</li>
 * </ol>
 * Micro-batch m of a step belongs to rank {@code m mod W}; a rank reads only its own ({@link StepPlanner}).
 * With one rank every call is a no-op.
 */
public final class RankSync {

    private final Collective collective;
    /**
     * Direct host buffer (native order) reused across steps, the one all-reduce of a step: [all gradients...,
     * micro-batch losses...] as float32.
     */
    private ByteBuffer buffer = ByteBuffer.allocateDirect(0);
    /**
     * Whether the sums are written straight into the gradients' memory through {@link NDArray#toByteBuffer(boolean)}
     * (a CPU tensor's own storage); null until the first step checks it. Else through an NDArray copy.
     */
    private Boolean writesInPlace;

    public RankSync(Collective collective) {
        this.collective = collective;
    }

    public int rank() {
        return collective.rank();
    }

    public int worldSize() {
        return collective.worldSize();
    }

    /**
     * What the trainer reports of a step, over every rank: {@code num_items_in_batch} (the loss denominator), the
     * non-pad tokens, and each micro-batch's padded length and example positions (for the step record).
     */
    public record StepCounts(int numItemsInBatch, long tokens, List<Integer> paddedLengths, List<List<Long>> positions) {
    }

    /**
     * The step's counts from the micro-batches this rank holds ({@link StepBatch}: its own, {@code m mod W = rank}),
     * summed over the ranks in one INT64 call: {@code [items, tokens, paddedLength per micro-batch, then
     * batchSize slots of position + 1 per micro-batch (0 = no row)]}; a rank fills only its own micro-batches'
     * slots, so the sum is every rank's values.
     *
     * @param batchSize rows per micro-batch ({@code per_device_train_batch_size}; the last may have fewer)
     */
    public StepCounts stepCounts(StepBatch step, int batchSize) {
        int m = step.microBatches().size();
        long[] c = new long[2 + m + m * batchSize];
        c[0] = step.numItemsInBatch();
        c[1] = step.numTokens();
        for (int k = 0; k < m; k++) {
            MicroBatch mb = step.microBatches().get(k);
            if (mb != null) {
                c[2 + k] = mb.paddedLength();
                for (int j = 0; j < mb.rows(); j++) {
                    c[2 + m + k * batchSize + j] = mb.examples().get(j).position() + 1;
                }
            }
        }
        sum(c);
        List<Integer> padded = new ArrayList<>(m);
        List<List<Long>> positions = new ArrayList<>(m);
        for (int k = 0; k < m; k++) {
            padded.add(Math.toIntExact(c[2 + k]));
            List<Long> rows = new ArrayList<>(batchSize);
            for (int j = 0; j < batchSize && c[2 + m + k * batchSize + j] != 0; j++) {
                rows.add(c[2 + m + k * batchSize + j] - 1);
            }
            positions.add(List.copyOf(rows));
        }
        return new StepCounts(Math.toIntExact(c[0]), c[1], List.copyOf(padded), List.copyOf(positions));
    }

    /** Replaces {@code values} by their sums over the ranks (INT64; nothing to do with one rank). */
    public void sum(long[] values) {
        if (collective.worldSize() > 1) {
            collective.allReduceSum(values);
        }
    }

    /**
     * Replaces every gradient, in place, by its sum over the ranks, and {@code microLosses} (this rank's
     * values at its own indices, 0 elsewhere) by the losses of every micro-batch of the step. One all-reduce of one
     * flat direct buffer: a CPU gradient is copied from its own memory into the buffer and the sum back into it (two
     * copies of the bytes in all); on another device through the host.
     */
    public void sumGradientsAndLosses(List<NDArray> grads, float[] microLosses) {
        if (collective.worldSize() == 1) {
            return;
        }
        long total = microLosses.length;
        for (NDArray g : grads) {
            total += g.size();
        }
        int bytes = Math.multiplyExact(Math.toIntExact(total), Float.BYTES);
        if (buffer.capacity() < bytes) {
            buffer = ByteBuffer.allocateDirect(bytes).order(ByteOrder.nativeOrder());
        }
        ByteBuffer flat = buffer.clear().limit(bytes);
        int off = 0;
        for (NDArray g : grads) {
            if (g.getDataType() != DataType.FLOAT32) {
                throw new IllegalArgumentException("gradients are summed as float32, got " + g.getDataType() + " " + g.getShape());
            }
            int len = Math.toIntExact(g.size()) * Float.BYTES;
            flat.put(off, g.toByteBuffer(true), 0, len); // a CPU tensor: its own memory, no copy before this one
            off += len;
        }
        int lossesAt = off / Float.BYTES;
        FloatBuffer floats = flat.asFloatBuffer();
        floats.put(lossesAt, microLosses);
        collective.allReduceSumFloat32(flat);
        if (writesInPlace == null) {
            writesInPlace = grads.stream().allMatch(RankSync::sharesMemory);
        }
        if (writesInPlace) {
            off = 0;
            for (NDArray g : grads) {
                int len = Math.toIntExact(g.size()) * Float.BYTES;
                g.toByteBuffer(true).put(0, flat, off, len);
                off += len;
            }
        } else {
            off = 0;
            for (NDArray g : grads) {
                int len = Math.toIntExact(g.size());
                try (NDArray sum = g.getManager().create(floats.slice(off, len), g.getShape())) {
                    // Copy in place (the .grad storage is what autograd accumulates into): 0 + x is exactly x.
                    g.subi(g);
                    g.addi(sum.toDevice(g.getDevice(), false));
                }
                off += len;
            }
        }
        floats.get(lossesAt, microLosses);
    }

    /** Whether the sums went straight into the gradients' memory (null before the first step; for tests). */
    Boolean writesInPlace() {
        return writesInPlace;
    }

    /**
     * Whether a write into {@code g.toByteBuffer(true)} changes {@code g}: the buffer is a CPU tensor's own memory in
     * DJL's PyTorch engine when the tensor is contiguous, and a copy otherwise (another device, another layout). Probed
     * once per run by writing a different value into element 0, reading the tensor back, and restoring the element.
     */
    private static boolean sharesMemory(NDArray g) {
        if (!g.getDevice().equals(Device.cpu())) {
            return false;
        }
        if (g.size() == 0) {
            return true;
        }
        ByteBuffer view = g.toByteBuffer(true);
        float kept = view.getFloat(0);
        float probe = kept == 1f ? 2f : 1f;
        view.putFloat(0, probe);
        boolean shared = g.toFloatArray()[0] == probe;
        view.putFloat(0, kept);
        return shared;
    }

    /**
     * Fails when the ranks' LoRA weights differ: a checksum of every weight's bits, gathered from every
     * rank. The replicas start equal and apply identical updates, so any difference is a bug or a
     * faulty device, and training on would average diverged models.
     */
    public void checkSameWeights(Collection<NDArray> weights, String where) {
        if (collective.worldSize() == 1) {
            return;
        }
        long h = 1125899906842597L;
        for (NDArray w : weights) {
            for (float x : w.toFloatArray()) {
                h = 31 * h + Float.floatToRawIntBits(x);
            }
        }
        long[] all = collective.allGather(h);
        for (int r = 1; r < all.length; r++) {
            if (all[r] != all[0]) {
                throw new IllegalStateException(String.format(Locale.ROOT,
                        "%s: the ranks' LoRA weights diverged (checksums by rank: %s); every rank must apply the same update."
                                + " Check that all executors run the same build and device type, then resume from the last checkpoint",
                        where, Arrays.toString(all)));
            }
        }
    }
}
