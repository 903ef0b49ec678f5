package io.tracedistill.eval;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Cuts the decodable rows into decode batches: sorted by (prompt tokens, row index) so a batch holds prompts of
 * similar length (little left padding), then chunks of {@code eval_batch_size}. The plan depends only on the eval set
 * and the batch size, never on Spark partitioning; since a batch's padding changes the float arithmetic, this is what
 * makes Spark predictions equal one-process predictions exactly.
 */
public final class BatchPlan {
    private BatchPlan() {
    }

    /**
     * Batch ids for decodable rows given as parallel arrays.
     *
     * @param rowIndex     each row's stable index (unique)
     * @param promptTokens each row's prompt length
     * @return {@code batchId[i]} for row {@code i}; batch 0 holds the shortest prompts
     */
    public static int[] assign(long[] rowIndex, int[] promptTokens, int batchSize) {
        if (rowIndex.length != promptTokens.length) {
            throw new IllegalArgumentException("rowIndex (" + rowIndex.length + ") and promptTokens ("
                    + promptTokens.length + ") must be parallel arrays");
        }
        Integer[] order = new Integer[rowIndex.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, BY_LENGTH_THEN_ROW.apply(rowIndex, promptTokens));
        int[] batch = new int[rowIndex.length];
        for (int k = 0; k < order.length; k++) {
            batch[order[k]] = k / batchSize;
        }
        return batch;
    }

    private interface OrderFactory {
        Comparator<Integer> apply(long[] rowIndex, int[] promptTokens);
    }

    private static final OrderFactory BY_LENGTH_THEN_ROW = (row, len) -> (a, b) -> {
        int c = Integer.compare(len[a], len[b]);
        return c != 0 ? c : Long.compare(row[a], row[b]);
    };

    /** The decode order inside a batch (and of the whole plan): prompt length, then row index. */
    public static final Comparator<EncodedPrompt> IN_BATCH_ORDER =
            Comparator.<EncodedPrompt>comparingInt(EncodedPrompt::promptTokens)
                    .thenComparingLong(p -> p.example().rowIndex());

    /** The batches of the decodable prompts in {@code prompts} (skipped rows are ignored), in batch-id order. */
    public static List<EvalBatch> plan(List<EncodedPrompt> prompts, int batchSize) {
        List<EncodedPrompt> ok = new ArrayList<>();
        for (EncodedPrompt p : prompts) {
            if (p.decodable()) {
                ok.add(p);
            }
        }
        long[] rows = new long[ok.size()];
        int[] lens = new int[ok.size()];
        for (int i = 0; i < rows.length; i++) {
            rows[i] = ok.get(i).example().rowIndex();
            lens[i] = ok.get(i).promptTokens();
        }
        int[] ids = assign(rows, lens, batchSize);
        int n = ok.isEmpty() ? 0 : Arrays.stream(ids).max().getAsInt() + 1;
        List<List<EncodedPrompt>> groups = new ArrayList<>();
        for (int b = 0; b < n; b++) {
            groups.add(new ArrayList<>());
        }
        for (int i = 0; i < ok.size(); i++) {
            groups.get(ids[i]).add(ok.get(i));
        }
        List<EvalBatch> out = new ArrayList<>();
        for (int b = 0; b < n; b++) {
            out.add(new EvalBatch(b, groups.get(b)));
        }
        return out;
    }
}
