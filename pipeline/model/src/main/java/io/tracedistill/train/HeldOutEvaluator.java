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

/**
 * Teacher-forced loss of the held-out slice ({@code tokens/heldout/}), overall and per type, on the current LoRA
 * weights: the measurement that shows what each phase did to each type (issue 14).
 *
 * <pre>
 *   examples (slice order, truncated keep-start to max_length) -> micro-batches of batchSize, right-padded
 *   -> inference forward (no dropout, no NEFTune, no gradient) -> hidden [B, T, H]
 *   -> CE of every supervised target [N] ({@link CausalLmLoss#perTarget}) -> summed per row's type (float64)
 *   loss(type) = sum CE(type) / targets(type);  loss = sum CE / targets   (token-weighted, like the training loss)
 * </pre>
 *
 * The engine's random generator is not touched, so training with or without evaluations is bit-identical. The slice
 * is streamed from its reader at every evaluation (never held in memory).
 */
public final class HeldOutEvaluator {

    private final TokenShardReader slice;
    private final int batchSize;
    private final int maxLength;
    private final int padId;

    /**
     * @param slice     the held-out token shards
     * @param batchSize rows per forward
     * @param maxLength keep-start truncation ({@code max_length}), as in training
     * @param padId     the pad id
     */
    public HeldOutEvaluator(TokenShardReader slice, int batchSize, int maxLength, int padId) {
        if (batchSize < 1) {
            throw new IllegalArgumentException("batchSize must be at least 1, got " + batchSize);
        }
        this.slice = slice;
        this.batchSize = batchSize;
        this.maxLength = maxLength;
        this.padId = padId;
    }

    /** The held-out loss of {@code model} as it is now. Call outside a gradient collector. */
    public HeldOutLoss evaluate(TrainableModel model) {
        Map<String, double[]> sums = new HashMap<>();   // type -> {CE sum, targets, examples}
        double total = 0;
        long targets = 0;
        List<TokenExample> batch = new ArrayList<>(batchSize);
        Iterator<TokenExample> it = slice.open();
        while (it.hasNext() || !batch.isEmpty()) {
            if (it.hasNext()) {
                batch.add(it.next().truncated(maxLength));
                if (batch.size() < batchSize && it.hasNext()) {
                    continue;
                }
            }
            MicroBatch mb = MicroBatch.collate(batch, padId);
            for (TokenExample e : batch) {
                sums.computeIfAbsent(typeOf(e), t -> new double[3])[2]++;
            }
            CausalLmLoss.Targets tg = CausalLmLoss.targets(mb.labels(), mb.rows(), mb.paddedLength());
            if (tg.count() > 0) {
                float[] ce = forward(model, mb, tg);
                for (int k = 0; k < ce.length; k++) {
                    int row = (int) (tg.rowIndices()[k] / mb.paddedLength());
                    double[] s = sums.get(typeOf(batch.get(row)));
                    s[0] += ce[k];
                    s[1]++;
                    total += ce[k];
                    targets++;
                }
            }
            batch.clear();
        }
        Map<String, HeldOutLoss.TypeLoss> byType = new HashMap<>();
        sums.forEach((t, s) -> byType.put(t, new HeldOutLoss.TypeLoss(s[1] == 0 ? Double.NaN : s[0] / s[1], (long) s[1],
                (int) s[2])));
        return new HeldOutLoss(targets == 0 ? Double.NaN : total / targets, targets, byType);
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
