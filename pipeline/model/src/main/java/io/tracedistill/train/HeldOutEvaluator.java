package io.tracedistill.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Teacher-forced loss of the held-out slice ({@code tokens/heldout/}), overall and per type, on the current LoRA
 * weights: the measurement that shows what each phase did to each type (issue 14).
 *
 * <pre>
 *   examples (slice order, truncated keep-start to max_length) -> micro-batches of batchSize, right-padded
 *   -> inference forward (no dropout, no NEFTune, no gradient) -> hidden [B, T, H]
 *   -> CE of every supervised target [N] ({@link CausalLmLoss#perTarget}) -> per batch and type: CE sum (float64), targets
 *   -> the batches' sums added in batch order
 *   loss(type) = sum CE(type) / targets(type);  loss = sum CE / targets   (token-weighted, like the training loss)
 * </pre>
 *
 * <p>With W ranks ({@code train_on: executors}), rank r runs the forwards of batches {@code b ≡ r (mod W)} only; each
 * batch's sums travel to every rank exactly (a sum of vectors that are zero outside the batch's own slots, the float64
 * sums as their bit patterns), and every rank adds them in batch order: the numbers are bit-identical to one process
 * evaluating every batch, and every rank gets them (so every rank takes the same early-stopping decision).
 *
 * The engine's random generator is not touched, so training with or without evaluations is bit-identical. The slice
 * is streamed from its reader at every evaluation (never held in memory).
 */
public final class HeldOutEvaluator {

    private final TokenShardReader slice;
    private final int batchSize;
    private final int maxLength;
    private final int padId;
    private final Collective ranks;

    /**
     * @param slice     the held-out token shards
     * @param batchSize rows per forward
     * @param maxLength keep-start truncation ({@code max_length}), as in training
     * @param padId     the pad id
     */
    public HeldOutEvaluator(TokenShardReader slice, int batchSize, int maxLength, int padId) {
        this(slice, batchSize, maxLength, padId, InProcessCollective.single());
    }

    /** As {@link #HeldOutEvaluator(TokenShardReader, int, int, int)}, the batches shared among {@code ranks}. */
    public HeldOutEvaluator(TokenShardReader slice, int batchSize, int maxLength, int padId, Collective ranks) {
        if (batchSize < 1) {
            throw new IllegalArgumentException("batchSize must be at least 1, got " + batchSize);
        }
        this.slice = slice;
        this.batchSize = batchSize;
        this.maxLength = maxLength;
        this.padId = padId;
        this.ranks = ranks;
    }

    /** One batch's share: per type {CE sum, targets}; examples are counted by every rank. */
    private record BatchSums(Map<String, double[]> byType) {
    }

    /** The held-out loss of {@code model} as it is now. Call outside a gradient collector (on every rank). */
    public HeldOutLoss evaluate(TrainableModel model) {
        Map<String, Integer> examples = new TreeMap<>();
        List<BatchSums> batches = new ArrayList<>();
        List<TokenExample> batch = new ArrayList<>(batchSize);
        Iterator<TokenExample> it = slice.open();
        while (it.hasNext()) {
            batch.add(it.next().truncated(maxLength));
            if (batch.size() == batchSize || !it.hasNext()) {
                for (TokenExample e : batch) {
                    examples.merge(typeOf(e), 1, Integer::sum);
                }
                boolean mine = batches.size() % ranks.worldSize() == ranks.rank();
                batches.add(mine ? sums(model, batch) : null);
                batch.clear();
            }
        }
        if (ranks.worldSize() > 1) {
            exchange(batches, new ArrayList<>(examples.keySet()));
        }
        // The batches' sums in batch order (the same additions on every rank and in one process).
        Map<String, double[]> sums = new HashMap<>();   // type -> {CE sum, targets}
        double total = 0;
        long targets = 0;
        for (BatchSums b : batches) {
            for (Map.Entry<String, double[]> e : b.byType().entrySet()) {
                double[] s = sums.computeIfAbsent(e.getKey(), t -> new double[2]);
                s[0] += e.getValue()[0];
                s[1] += e.getValue()[1];
                total += e.getValue()[0];
                targets += (long) e.getValue()[1];
            }
        }
        Map<String, HeldOutLoss.TypeLoss> byType = new HashMap<>();
        examples.forEach((t, n) -> {
            double[] s = sums.getOrDefault(t, new double[2]);
            byType.put(t, new HeldOutLoss.TypeLoss(s[1] == 0 ? Double.NaN : s[0] / s[1], (long) s[1], n));
        });
        return new HeldOutLoss(targets == 0 ? Double.NaN : total / targets, targets, byType);
    }

    /** Per type {CE sum, targets} of one batch (a type whose rows have no target is absent). */
    private BatchSums sums(TrainableModel model, List<TokenExample> batch) {
        Map<String, double[]> byType = new TreeMap<>();
        MicroBatch mb = MicroBatch.collate(batch, padId);
        CausalLmLoss.Targets tg = CausalLmLoss.targets(mb.labels(), mb.rows(), mb.paddedLength());
        if (tg.count() > 0) {
            float[] ce = forward(model, mb, tg);
            for (int k = 0; k < ce.length; k++) {
                int row = (int) (tg.rowIndices()[k] / mb.paddedLength());
                double[] s = byType.computeIfAbsent(typeOf(batch.get(row)), t -> new double[2]);
                s[0] += ce[k];
                s[1]++;
            }
        }
        return new BatchSums(byType);
    }

    /**
     * Gives every rank every batch's sums, exactly: slots {@code [batch][type][CE bits, targets]}, each filled by the
     * batch's rank only, summed as INT64 (x + 0 = x, whatever the bits).
     */
    private void exchange(List<BatchSums> batches, List<String> types) {
        int t = types.size();
        long[] slots = new long[batches.size() * t * 2];
        for (int b = 0; b < batches.size(); b++) {
            if (batches.get(b) == null) {
                continue;
            }
            for (int k = 0; k < t; k++) {
                double[] s = batches.get(b).byType().get(types.get(k));
                if (s != null) {
                    slots[(b * t + k) * 2] = Double.doubleToRawLongBits(s[0]);
                    slots[(b * t + k) * 2 + 1] = (long) s[1] + 1; // + 1: "present", so a type with 0 targets stays absent
                }
            }
        }
        ranks.allReduceSum(slots);
        for (int b = 0; b < batches.size(); b++) {
            Map<String, double[]> byType = new TreeMap<>();
            for (int k = 0; k < t; k++) {
                long present = slots[(b * t + k) * 2 + 1];
                if (present > 0) {
                    byType.put(types.get(k), new double[] {Double.longBitsToDouble(slots[(b * t + k) * 2]), present - 1});
                }
            }
            batches.set(b, new BatchSums(byType));
        }
    }

    /** CE of every supervised target of one micro-batch, {@code [N]} (intermediates freed with the sub-managers). */
    private static float[] forward(TrainableModel model, MicroBatch mb, CausalLmLoss.Targets tg) {
        try (NDManager m = model.manager().newSubManager()) {
            Shape shape = new Shape(mb.rows(), mb.paddedLength());
            NDArray ids = m.create(toLongs(mb.inputIds()), shape);           // [B, T]
            NDArray mask = m.create(toLongs(mb.attentionMask()), shape);     // [B, T]
            NDArray hidden = model.evalHiddenStates(ids, mask);              // [B, T, H]
            hidden.attach(m);
            // lm_head + log-softmax on at most CHUNK_ROWS targets at a time, as the training loss does: [C, V] only.
            float[] out = new float[tg.count()];
            for (int from = 0; from < tg.count(); from += CausalLmLoss.CHUNK_ROWS) {
                int to = Math.min(tg.count(), from + CausalLmLoss.CHUNK_ROWS);
                CausalLmLoss.Targets chunk = new CausalLmLoss.Targets(Arrays.copyOfRange(tg.rowIndices(), from, to),
                        Arrays.copyOfRange(tg.targetIds(), from, to));
                try (NDScope scope = new NDScope()) { // closes the chunk's [C, H], [C, V] arrays on exit
                    scope.suppressNotUsedWarning();
                    NDArray ce = CausalLmLoss.perTarget(model, hidden, chunk);  // [C]
                    System.arraycopy(ce.toFloatArray(), 0, out, from, to - from);
                }
            }
            return out;
        }
    }

    /** The example's type label; examples without one are grouped under {@code (none)}. */
    private static String typeOf(TokenExample e) {
        return e.type() == null ? "(none)" : e.type();
    }

    private static long[] toLongs(int[] a) {
        long[] out = new long[a.length];
        for (int i = 0; i < a.length; i++) {
            out[i] = a[i];
        }
        return out;
    }
}
