package io.tracedistill.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** {@link InputRowOrder#order} (run sort) equals a full sort by (file rank, partition id, position). */
class InputRowOrderTest {

    @Test
    void handCheckedPartitionsHoldingSeveralFiles() {
        // partition 1 holds file 1 (rank 0) then file 0 (rank 1); partition 0 holds file 1 only.
        int[] file = {1, 1, 0, 0, 1, 1};
        int[] pid = {1, 1, 1, 1, 0, 0};
        int[] pos = {0, 1, 2, 3, 0, 1};
        int[] rank = {1, 0};
        // file rank 0 (file 1): pid 0 pos 0,1 (idx 4,5), pid 1 pos 0,1 (idx 0,1); then rank 1 (file 0): idx 2,3
        assertArrayEquals(new int[] {4, 5, 0, 1, 2, 3}, InputRowOrder.order(file, pid, pos, rank));
    }

    @Test
    void fileRanksFollowPathOrder() {
        assertArrayEquals(new int[] {1, 0, 2}, InputRowOrder.fileRanks(List.of("s3a://b/x/part-1.csv",
                "s3a://b/x/part-0.csv", "s3a://b/y/part-0.csv")));
    }

    @Test
    void randomLayoutsMatchAFullSort() {
        Random rnd = new Random(7);
        for (int trial = 0; trial < 200; trial++) {
            int files = 1 + rnd.nextInt(5);
            int parts = 1 + rnd.nextInt(6);
            List<int[]> rows = new ArrayList<>(); // {file, pid, pos}
            for (int p = 0; p < parts; p++) {
                int pos = 0;
                int pieces = 1 + rnd.nextInt(3);
                for (int k = 0; k < pieces; k++) {
                    int f = rnd.nextInt(files);
                    int len = rnd.nextInt(6);
                    for (int i = 0; i < len; i++) {
                        rows.add(new int[] {f, p, pos++});
                    }
                }
            }
            // Blobs may arrive in any partition order; rows within a partition keep their order.
            List<Integer> pidOrder = new ArrayList<>();
            for (int p = 0; p < parts; p++) {
                pidOrder.add(p);
            }
            Collections.shuffle(pidOrder, rnd);
            List<int[]> arrived = new ArrayList<>();
            for (int p : pidOrder) {
                for (int[] r : rows) {
                    if (r[1] == p) {
                        arrived.add(r);
                    }
                }
            }
            int n = arrived.size();
            int[] file = new int[n];
            int[] pid = new int[n];
            int[] pos = new int[n];
            for (int i = 0; i < n; i++) {
                file[i] = arrived.get(i)[0];
                pid[i] = arrived.get(i)[1];
                pos[i] = arrived.get(i)[2];
            }
            List<Integer> perm = new ArrayList<>();
            for (int f = 0; f < files; f++) {
                perm.add(f);
            }
            Collections.shuffle(perm, rnd);
            int[] rank = perm.stream().mapToInt(Integer::intValue).toArray();
            Integer[] expected = new Integer[n];
            for (int i = 0; i < n; i++) {
                expected[i] = i;
            }
            Arrays.sort(expected, (x, y) -> {
                int c = Integer.compare(rank[file[x]], rank[file[y]]);
                if (c != 0) {
                    return c;
                }
                c = Integer.compare(pid[x], pid[y]);
                return c != 0 ? c : Integer.compare(pos[x], pos[y]);
            });
            assertArrayEquals(Arrays.stream(expected).mapToInt(Integer::intValue).toArray(),
                    InputRowOrder.order(file, pid, pos, rank), "trial " + trial);
        }
    }
}
