package io.tracedistill.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import io.tracedistill.memory.MemoryPlan;
import io.tracedistill.tokens.MaskedExample;

/**
 * Summed next-token cross-entropy of a right-padded micro-batch (HF {@code ForCausalLMLoss} with
 * {@code reduction="sum"}; TRL {@code chunked_nll}): position {@code t} predicts {@code labels[t+1]},
 * positions whose target is -100 are skipped.
 *
 * <pre>
 *   hidden [B, T, H] -> rows (b, t) with labels[b, t+1] != -100 -> [N, H]
 *   lm_head -> logits [N, V] -> log_softmax (float32) -> pick target -> -sum
 * </pre>
 *
 * {@link #normalised} divides by {@code num_items_in_batch} of the whole optimizer step. {@link #backward} runs the
 * loss and its backward in chunks of at most {@link #CHUNK_ROWS} supervised rows, so that a long sequence's
 * {@code [N, V]} logits are never held at once.
 *
 * <p>No {@code NDArray.op(Number)} may sit in the autograd graph: DJL's PyTorch engine turns the
 * number into a tensor over a Java direct buffer ({@code from_blob}) and closes it right after the op;
 * autograd keeps the tensor for the backward pass while the buffer can already be garbage-collected
 * (a use-after-free that yields garbage or NaN gradients). Scalars are therefore created in the
 * micro-batch's manager, which stays open until after {@code backward}.
 */
public final class CausalLmLoss {

    /**
     * Supervised rows per chunk of {@link #backward}: {@code lm_head} and the log-softmax hold {@code [CHUNK_ROWS, V]}
     * at a time (the memory plan's {@link MemoryPlan#LOSS_CHUNK}, so plan and trainer agree).
     */
    public static final int CHUNK_ROWS = MemoryPlan.LOSS_CHUNK;

    private CausalLmLoss() {
    }

    /** Supervised rows of a micro-batch: flat row indices {@code b*T + t} and their targets. */
    public record Targets(long[] rowIndices, long[] targetIds) {
        public int count() {
            return rowIndices.length;
        }
    }

    /** Finds the supervised (row, target) pairs of {@code labels} {@code [rows, T]} (row-major). */
    public static Targets targets(int[] labels, int rows, int seqLen) {
        int n = 0;
        for (int b = 0; b < rows; b++) {
            for (int t = 0; t + 1 < seqLen; t++) {
                if (labels[b * seqLen + t + 1] != MaskedExample.IGNORE_INDEX) {
                    n++;
                }
            }
        }
        long[] idx = new long[n];
        long[] tgt = new long[n];
        int k = 0;
        for (int b = 0; b < rows; b++) {
            for (int t = 0; t + 1 < seqLen; t++) {
                int label = labels[b * seqLen + t + 1];
                if (label != MaskedExample.IGNORE_INDEX) {
                    idx[k] = (long) b * seqLen + t;
                    tgt[k] = label;
                    k++;
                }
            }
        }
        return new Targets(idx, tgt);
    }

    /**
     * The summed CE (scalar, float32, differentiable) of the supervised positions; {@code hidden} is
     * {@code [B, T, H]}. Must not be called with zero targets.
     */
    public static NDArray sum(TrainableModel model, NDArray hidden, Targets targets) {
        return picked(model, hidden, targets).sum().neg();
    }

    /**
     * The CE of each supervised position, {@code [N]} float32 in {@code targets} order (the terms {@link #sum} adds):
     * what the held-out evaluation groups by example type.
     */
    public static NDArray perTarget(TrainableModel model, NDArray hidden, Targets targets) {
        NDArray p = picked(model, hidden, targets);                                   // [N, 1]
        return p.reshape(targets.count()).neg();                                      // [N]
    }

    /** {@code log p(target)} of every supervised position, {@code [N, 1]}. */
    private static NDArray picked(TrainableModel model, NDArray hidden, Targets targets) {
        if (targets.count() == 0) {
            throw new IllegalArgumentException("micro-batch has no supervised target; nothing to back-propagate");
        }
        Shape s = hidden.getShape();
        NDManager mgr = hidden.getManager();
        NDArray flat = hidden.reshape(s.get(0) * s.get(1), s.get(2));               // [B*T, H]
        NDArray rows = flat.get(new NDIndex("{}", mgr.create(targets.rowIndices()))); // [N, H]
        NDArray logits = model.lmHead(rows);                                          // [N, V]
        NDArray logp = logits.logSoftmax(1);                                          // [N, V]
        NDArray tgt = mgr.create(targets.targetIds(), new Shape(targets.count(), 1)); // [N, 1]
        return logp.gather(tgt, 1);                                                   // [N, 1]
    }

    /**
     * The micro-batch loss that is back-propagated: {@link #sum} divided by {@code numItemsInBatch},
     * the supervised-target count of the whole optimizer step. The divisor is a tensor in
     * {@code hidden}'s manager (kept alive until that manager closes, i.e. after backward).
     */
    public static NDArray normalised(TrainableModel model, NDArray hidden, Targets targets, int numItemsInBatch) {
        if (numItemsInBatch < targets.count()) {
            throw new IllegalArgumentException("num_items_in_batch " + numItemsInBatch + " is smaller than this micro-batch's "
                    + targets.count() + " targets");
        }
        NDArray divisor = hidden.getManager().create((float) numItemsInBatch); // scalar, float32
        return sum(model, hidden, targets).div(divisor);
    }

    /**
     * {@link #normalised} and its backward through {@code model} ({@link TrainableModel#backward}); returns the
     * loss (scalar, float32, in {@code hidden}'s manager; its graph has been consumed, read only its value).
     *
     * <p>Up to {@code chunkRows} targets: one piece, exactly {@code model.backward(gc, normalised(...))}. More:
     * the supervised rows {@code [N, H]} are cut from the graph into a leaf; per chunk of {@code chunkRows} rows,
     * {@code lm_head} -> log-softmax -> picked CE sum / num_items_in_batch is back-propagated at once (into the leaf's
     * gradient and any LoRA on lm_head) and the chunk's {@code [C, V]} arrays are closed; then the rows' gradient
     * {@code [N, H]} goes through the model as the surrogate {@code sum(rows * grad)}, whose gradient with respect to
     * {@code rows} is that gradient. Same loss and gradients up to float summation order.
     */
    public static NDArray backward(TrainableModel model, GradientCollector gc, NDArray hidden, Targets targets,
                                   int numItemsInBatch, int chunkRows) {
        if (chunkRows < 1) {
            throw new IllegalArgumentException("chunkRows must be at least 1, got " + chunkRows);
        }
        if (targets.count() <= chunkRows) {
            NDArray loss = normalised(model, hidden, targets, numItemsInBatch);
            model.backward(gc, loss);
            return loss;
        }
        if (numItemsInBatch < targets.count()) {
            throw new IllegalArgumentException("num_items_in_batch " + numItemsInBatch + " is smaller than this micro-batch's "
                    + targets.count() + " targets");
        }
        Shape s = hidden.getShape();
        NDManager mgr = hidden.getManager();
        NDArray flat = hidden.reshape(s.get(0) * s.get(1), s.get(2));               // [B*T, H]
        NDArray rows = flat.get(new NDIndex("{}", mgr.create(targets.rowIndices()))); // [N, H], in the model's graph
        NDArray leaf = rows.stopGradient();                                           // [N, H], shares storage
        leaf.setRequiresGradient(true);
        NDArray loss = mgr.zeros(new Shape());                                        // scalar float32
        int n = targets.count();
        for (int start = 0; start < n; start += chunkRows) {
            int end = Math.min(n, start + chunkRows);
            try (NDManager chunk = mgr.newSubManager()) {
                NDArray part = leaf.get(start + ":" + end);                           // [C, H]
                part.attach(chunk); // what is computed from it lands in the chunk's manager
                NDArray logp = model.lmHead(part).logSoftmax(1);                      // [C, V]
                long[] ids = java.util.Arrays.copyOfRange(targets.targetIds(), start, end);
                NDArray picked = logp.gather(chunk.create(ids, new Shape(end - start, 1)), 1); // [C, 1]
                NDArray chunkLoss = picked.sum().neg().div(chunk.create((float) numItemsInBatch)); // scalar
                gc.backward(chunkLoss); // frees the chunk's graph; its gradient accumulates into leaf
                loss.addi(chunkLoss.stopGradient());
            }
        }
        NDArray rowGrad = leaf.getGradient().stopGradient();                          // [N, H] dLoss/drows
        model.backward(gc, rows.mul(rowGrad).sum());
        return loss;
    }
}
