package io.tracedistill.spark;

import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * The input row order of a table read by Spark, shared by prepare ({@code PhaseSplitter}) and eval ({@code EvalPlan}):
 * file path, then read partition id, then position within the partition. With files read in path order this is the
 * frame order of {@code pd.read_csv} over the files in path order, i.e. the reference's row index.
 */
public final class InputRowOrder {
    private InputRowOrder() {}

    /** Per file id, its rank in path order: {@code rank[f]} = number of files whose path sorts before file {@code f}. */
    public static int[] fileRanks(List<String> files) {
        Integer[] byPath = new Integer[files.size()];
        for (int i = 0; i < byPath.length; i++) {
            byPath[i] = i;
        }
        Arrays.sort(byPath, Comparator.comparing(files::get));
        int[] rank = new int[files.size()];
        for (int r = 0; r < byPath.length; r++) {
            rank[byPath[r]] = r;
        }
        return rank;
    }

    /**
     * The collected rows (by collect index) in input row order: file rank, then partition id, then position. The
     * rows arrive as runs (same file and partition, consecutive positions: a partition's rows of one file), so
     * sorting the runs by their first key orders every row, in O(runs log runs) instead of a million-row sort.
     *
     * @param file per row, its file id (an index into {@code fileRank})
     * @param pid per row, the read partition id
     * @param pos per row, the position within its partition
     * @param fileRank per file id, its rank ({@link #fileRanks})
     * @return row indices in input row order
     */
    public static int[] order(int[] file, int[] pid, int[] pos, int[] fileRank) {
        int n = pid.length;
        int[] startsBuf = new int[Math.max(16, n)];
        int runs = 0;
        for (int i = 0; i < n; i++) {
            if (i == 0 || file[i] != file[i - 1] || pid[i] != pid[i - 1] || pos[i] != pos[i - 1] + 1) {
                startsBuf[runs++] = i;
            }
        }
        int[] starts = Arrays.copyOf(startsBuf, runs);
        Integer[] byKey = new Integer[runs];
        for (int r = 0; r < runs; r++) {
            byKey[r] = r;
        }
        Arrays.sort(byKey, (x, y) -> {
            int a = starts[x];
            int b = starts[y];
            int c = Integer.compare(fileRank[file[a]], fileRank[file[b]]);
            if (c != 0) {
                return c;
            }
            c = Integer.compare(pid[a], pid[b]);
            return c != 0 ? c : Integer.compare(pos[a], pos[b]);
        });
        int[] idx = new int[n];
        int g = 0;
        for (Integer r : byKey) {
            int end = r + 1 < runs ? starts[r + 1] : n;
            for (int i = starts[r]; i < end; i++) {
                idx[g++] = i;
            }
        }
        return idx;
    }
}
