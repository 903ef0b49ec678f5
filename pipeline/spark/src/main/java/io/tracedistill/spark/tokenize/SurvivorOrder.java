package io.tracedistill.spark.tokenize;

import io.tracedistill.order.StratifiedOrder;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;

/**
 * Recomputes a phase's training order over the rows that survived tokenization.
 *
 * <p>The reference builds the order after every drop ({@code training.py::_run_phase}: {@code build_records}, then
 * {@code _tokenize_records} skips truncated rows, then {@code build_stratified_index_order(types, eff_batch, seed)} over
 * the survivors). The prepare stage computed positions over all records; when tokenization drops any row those
 * positions are stale, so they are recomputed here exactly as the reference does: survivors in record order
 * ({@code phase_index}), their types, {@link StratifiedOrder#indexOrder}.
 */
public final class SurvivorOrder {

    private SurvivorOrder() {}

    /**
     * New 0-based positions for the survivors.
     *
     * @param survivorPhaseIndices the survivors' {@code phase_index} values, strictly increasing (record order)
     * @param survivorTypes their types, same order
     * @param effectiveBatch the phase's effective batch
     * @param seed the run seed
     * @return {@code position[j]} = training position of survivor {@code j} (the inverse of the order permutation)
     */
    public static long[] positions(long[] survivorPhaseIndices, List<String> survivorTypes, int effectiveBatch,
            BigInteger seed) {
        if (survivorPhaseIndices.length != survivorTypes.size()) {
            throw new IllegalArgumentException("phase indices and types differ in length: "
                    + survivorPhaseIndices.length + " vs " + survivorTypes.size());
        }
        for (int j = 1; j < survivorPhaseIndices.length; j++) {
            if (survivorPhaseIndices[j] <= survivorPhaseIndices[j - 1]) {
                throw new IllegalArgumentException("phase_index must be strictly increasing in record order, got "
                        + survivorPhaseIndices[j - 1] + " then " + survivorPhaseIndices[j]
                        + "; the prepared shard has duplicate phase_index values — re-run prepare");
            }
        }
        int[] order = StratifiedOrder.indexOrder(new ArrayList<>(survivorTypes), effectiveBatch, seed);
        long[] position = new long[order.length];
        for (int k = 0; k < order.length; k++) {
            position[order[k]] = k;
        }
        return position;
    }
}
