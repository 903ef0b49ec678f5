package io.tracedistill.spark.prepare;

import io.tracedistill.run.Phase;

import java.io.Serializable;

/**
 * Where every input row goes, computed on the driver by {@link PhaseSplitter} and broadcast to the
 * executors. Rows are addressed by their identity in the read ({@code pid}, {@code pos}: partition id and
 * position within it, as staged by {@link FormatContractTransform}); everything else is indexed by the
 * input row index (0-based, file order then row order).
 *
 * <p>Memory: about 24 bytes per input row (six int arrays; 28 with a held-out slice), i.e. about 24 MB per million rows.
 */
public final class RowAssignment implements Serializable {
    private static final long serialVersionUID = 1L;

    /** Not in a phase. */
    public static final int NONE = -1;

    private final int[][] inputRowByPidPos;
    private final int[] sourceRow;
    private final int[][] position; // [phase-1][inputRow] -> training position or NONE
    private final int[][] phaseIndex; // [phase-1][inputRow] -> index in the phase's record list or NONE
    private final int[] heldOutPosition; // [inputRow] -> position in the held-out slice or NONE; null = no slice

    RowAssignment(int[][] inputRowByPidPos, int[] sourceRow, int[][] position, int[][] phaseIndex, int[] heldOutPosition) {
        this.inputRowByPidPos = inputRowByPidPos;
        this.sourceRow = sourceRow;
        this.position = position;
        this.phaseIndex = phaseIndex;
        this.heldOutPosition = heldOutPosition;
    }

    /** Input row index of the staged row ({@code pid}, {@code pos}). */
    public int inputRow(int pid, long pos) {
        return inputRowByPidPos[pid][(int) pos];
    }

    /** 0-based data row within the row's source file. */
    public int sourceRow(int inputRow) {
        return sourceRow[inputRow];
    }

    /** Training position in {@code phase}, or {@link #NONE}. */
    public int position(Phase phase, int inputRow) {
        return position[phase.ordinal()][inputRow];
    }

    /** Index in the phase's record list (before the stratified order), or {@link #NONE}. */
    public int phaseIndex(Phase phase, int inputRow) {
        return phaseIndex[phase.ordinal()][inputRow];
    }

    /** Position in the held-out slice (ascending input row), or {@link #NONE} (always NONE without a slice). */
    public int heldOutPosition(int inputRow) {
        return heldOutPosition == null ? NONE : heldOutPosition[inputRow];
    }

    int[] heldOutPositionArray() {
        return heldOutPosition;
    }

    int[][] positionArrays() {
        return position;
    }

    int[][] phaseIndexArrays() {
        return phaseIndex;
    }

    /** Number of input rows. */
    public int inputRows() {
        return sourceRow.length;
    }
}
