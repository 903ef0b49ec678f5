package io.tracedistill.spark.prepare;

import io.tracedistill.order.StratifiedOrder;
import io.tracedistill.run.Phase;
import io.tracedistill.spark.prepare.StagedSummaryCodec.Collected;
import io.tracedistill.spark.prepare.StagedSummaryCodec.InputSummary;
import io.tracedistill.split.HeldOutSlice;
import io.tracedistill.split.TwoPhaseSplit;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * Step 4 of prepare: the two-phase split and the per-phase stratified order, computed on the driver exactly
 * as the core computes them, then handed back to the executors as a {@link RowAssignment}.
 *
 * <p>Steps (reference {@code tracedistill/training.py::train_two_phase} and {@code _run_phase}):
 * <ol>
 *   <li>Bring one small summary per staged row (partition id, position, file, type, reason, lengths) to the
 *       driver, packed per partition ({@link StagedSummaryCodec}): as a by-product of the staged write
 *       ({@link StagedSummaryCodec#fromStagingBlobs}) or, if that is incomplete, by a scan of the staged copy
 *       ({@link StagedSummaryCodec#collectWithIdentity}). Order the rows by (file path, partition id, position): this is the input
 *       row index, i.e. the frame order of {@code pd.read_csv} over the files in path order.</li>
 *   <li>With {@code holdout_fraction} &gt; 0, the held-out slice ({@link HeldOutSlice}) leaves first: a seeded
 *       sample of each type's usable rows; everything below runs over the other rows.</li>
 *   <li>{@link TwoPhaseSplit#split} over <em>all</em> (remaining) input rows (the reference splits the raw frame before
 *       {@code build_records} drops rows, so dropped rows still count towards the hard quota and the shuffle).
 *       A row without a type is never hard and never sampled, as in the reference.</li>
 *   <li>Per phase, keep the rows the contract kept (phase order): their index in that list is
 *       {@code phase_index}; {@link StratifiedOrder#indexOrder}(types, effective batch, seed) gives the training
 *       order, and {@code position} is a row's place in it.</li>
 * </ol>
 */
public final class PhaseSplitter {
    private PhaseSplitter() {}

    /**
     * Split/order parameters. {@code effectiveBatch1/2} = per-device batch × grad accumulation × world size;
     * {@code holdoutFraction} = {@code holdout_fraction} (0 = no held-out slice, the reference's split).
     */
    public record Params(Collection<String> hardTypes, long splitSeed, BigInteger orderSeed, boolean shuffle,
            int effectiveBatch1, int effectiveBatch2, double holdoutFraction) {
        /** Without a held-out slice. */
        public Params(Collection<String> hardTypes, long splitSeed, BigInteger orderSeed, boolean shuffle,
                int effectiveBatch1, int effectiveBatch2) {
            this(hardTypes, splitSeed, orderSeed, shuffle, effectiveBatch1, effectiveBatch2, 0.0);
        }
    }

    /**
     * What the split produced: the assignment plus, per phase, the input rows in training order, and the held-out
     * input rows in slice order (ascending input row; empty without a slice). {@code split}'s row indices are input
     * row indices.
     */
    public record Result(InputSummary summary, RowAssignment assignment, int[] phase1InputRowsByPosition,
            int[] phase2InputRowsByPosition, TwoPhaseSplit.SplitResult split, int[] heldOutInputRows) {}

    /**
     * Runs steps 1–3 over the staged rows.
     *
     * @throws IllegalArgumentException with the core's message (no rows, no hard rows, bad seed), or when a phase
     *     has no usable record (the reference's {@code Phase 'phase1' produced 0 usable records.})
     */
    public static Result split(Dataset<Row> staged, Params params) {
        InputSummary summary = StagedSummaryCodec.collect(staged);
        return split(summary, params);
    }

    /** Steps 2–3 on an already collected summary (pure Java; unit-testable without Spark). */
    public static Result split(InputSummary s, Params params) {
        int n = s.rows();
        List<String> typesForSplit = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            typesForSplit.add(QuarantineReason.MISSING_TYPE.equals(s.reason()[i]) ? null : s.type()[i]);
        }
        HardTypeCheck.check(typesForSplit, params.hardTypes());
        // The held-out slice leaves the input before the split: the split sees the remaining rows only (all rows when
        // holdout_fraction is 0, so the reference's split is unchanged), and its indices are mapped back.
        boolean[] usable = new boolean[n];
        for (int i = 0; i < n; i++) {
            usable[i] = s.reason()[i] == null;
        }
        int[] heldOut = HeldOutSlice.select(typesForSplit, usable, params.holdoutFraction(), params.splitSeed());
        TwoPhaseSplit.SplitResult split = heldOut.length == 0
                ? TwoPhaseSplit.split(typesForSplit, params.hardTypes(), params.splitSeed(), params.shuffle())
                : splitRemaining(typesForSplit, heldOut, params);
        int[][] position = new int[2][n];
        int[][] phaseIndex = new int[2][n];
        int[][] byPosition = new int[2][];
        for (int p = 0; p < 2; p++) {
            Arrays.fill(position[p], RowAssignment.NONE);
            Arrays.fill(phaseIndex[p], RowAssignment.NONE);
            int[] rows = p == 0 ? split.phase1Rows() : split.phase2Rows();
            int[] kept = Arrays.stream(rows).filter(r -> s.reason()[r] == null).toArray();
            if (kept.length == 0) {
                throw new IllegalArgumentException("Phase '" + Phase.values()[p] + "' produced 0 usable records ("
                        + rows.length + " rows were split into it, all quarantined); check the quarantine reasons "
                        + "in prepared/quarantine and the hard_types");
            }
            List<String> labels = new ArrayList<>(kept.length);
            for (int i = 0; i < kept.length; i++) {
                phaseIndex[p][kept[i]] = i;
                labels.add(s.type()[kept[i]]);
            }
            int batch = p == 0 ? params.effectiveBatch1() : params.effectiveBatch2();
            int[] order = StratifiedOrder.indexOrder(labels, batch, params.orderSeed());
            byPosition[p] = new int[order.length];
            for (int k = 0; k < order.length; k++) {
                int row = kept[order[k]];
                position[p][row] = k;
                byPosition[p][k] = row;
            }
        }
        int[] heldOutPosition = null;
        if (heldOut.length > 0) {
            heldOutPosition = new int[n];
            Arrays.fill(heldOutPosition, RowAssignment.NONE);
            for (int k = 0; k < heldOut.length; k++) {
                heldOutPosition[heldOut[k]] = k;
            }
        }
        RowAssignment a = new RowAssignment(null, s.sourceRow(), position, phaseIndex, heldOutPosition);
        return new Result(s, a, byPosition[0], byPosition[1], split, heldOut);
    }

    /** The two-phase split of the rows not held out, its row indices mapped back to input row indices. */
    private static TwoPhaseSplit.SplitResult splitRemaining(List<String> types, int[] heldOut, Params params) {
        boolean[] out = new boolean[types.size()];
        for (int r : heldOut) {
            out[r] = true;
        }
        int[] inputRow = new int[types.size() - heldOut.length];
        List<String> remaining = new ArrayList<>(inputRow.length);
        for (int i = 0, k = 0; i < types.size(); i++) {
            if (!out[i]) {
                inputRow[k++] = i;
                remaining.add(types.get(i));
            }
        }
        TwoPhaseSplit.SplitResult r = TwoPhaseSplit.split(remaining, params.hardTypes(), params.splitSeed(), params.shuffle());
        return new TwoPhaseSplit.SplitResult(map(r.phase1Rows(), inputRow), map(r.phase2Rows(), inputRow),
                map(r.shuffledRows(), inputRow), r.quota(), r.easyGroupSamples());
    }

    private static int[] map(int[] rows, int[] inputRow) {
        int[] o = new int[rows.length];
        for (int i = 0; i < rows.length; i++) {
            o[i] = inputRow[rows[i]];
        }
        return o;
    }

    /** {@link #split(InputSummary, Params)} plus the executor-side identity map. */
    public static Result split(Collected c, Params params) {
        Result r = split(c.summary(), params);
        RowAssignment a = r.assignment();
        RowAssignment withIdentity = new RowAssignment(c.inputRowByPidPos(), c.summary().sourceRow(),
                a.positionArrays(), a.phaseIndexArrays(), a.heldOutPositionArray());
        return new Result(r.summary(), withIdentity, r.phase1InputRowsByPosition(), r.phase2InputRowsByPosition(),
                r.split(), r.heldOutInputRows());
    }

}
