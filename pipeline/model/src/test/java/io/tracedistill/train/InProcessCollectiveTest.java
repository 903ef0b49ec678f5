package io.tracedistill.train;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class InProcessCollectiveTest {

    /** Runs {@code body} on one thread per rank and returns each rank's result. */
    private static <T> List<T> onEveryRank(List<Collective> ranks, Function<Collective, T> body) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(ranks.size());
        try {
            List<Future<T>> futures = new ArrayList<>();
            for (Collective c : ranks) {
                futures.add(pool.submit(() -> body.apply(c)));
            }
            List<T> out = new ArrayList<>();
            for (Future<T> f : futures) {
                out.add(f.get());
            }
            return out;
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void sumsExactlyAndIdenticallyOnEveryRank() throws Exception {
        int w = 3;
        int n = 1_000_003; // odd
        List<float[]> results = onEveryRank(InProcessCollective.group(w, Duration.ofSeconds(30)), c -> {
            float[] v = new float[n];
            for (int i = 0; i < n; i++) {
                v[i] = (c.rank() + 1) * 0.5f + i % 7; // small integers and halves: exact in float32
            }
            c.allReduceSum(v);
            return v;
        });
        for (int r = 0; r < w; r++) {
            float[] v = results.get(r);
            for (int i = 0; i < n; i += 9973) {
                assertEquals(3.0f + 3 * (i % 7), v[i], 0f, "rank " + r + " element " + i);
            }
            assertArrayEquals(results.get(0), v, "rank " + r + " differs from rank 0");
        }
    }

    @Test
    void int64SumsAndGatherAreExactAbove2To24() throws Exception {
        List<long[]> results = onEveryRank(InProcessCollective.group(2, Duration.ofSeconds(30)), c -> {
            long big = (1L << 40) + 1 + c.rank();
            long sum = c.allReduceSum(big);
            long[] gathered = c.allGather(c.rank() == 0 ? Long.MIN_VALUE : 42L);
            return new long[] {sum, gathered[0], gathered[1]};
        });
        for (long[] r : results) {
            assertArrayEquals(new long[] {(1L << 41) + 3, Long.MIN_VALUE, 42L}, r);
        }
    }

    @Test
    void singleRankLeavesValuesAsTheyAre() {
        try (Collective c = InProcessCollective.single()) {
            float[] v = {1.5f, -2f};
            c.allReduceSum(v);
            assertArrayEquals(new float[] {1.5f, -2f}, v);
            assertEquals(7L, c.allReduceSum(7L));
            assertEquals(0, c.rank());
            assertEquals(1, c.worldSize());
        }
    }

    @Test
    void aPeerThatLeavesFailsTheOthersInsteadOfGivingAPartialSum() throws Exception {
        List<Collective> ranks = InProcessCollective.group(2, Duration.ofSeconds(30));
        List<String> outcomes = onEveryRank(ranks, c -> {
            if (c.rank() == 1) {
                c.close(); // dies before the call
                return "closed";
            }
            float[] v = {1f};
            CollectiveException e = assertThrows(CollectiveException.class, () -> {
                // May arrive before or after the peer left: either way an error, never v = {1}.
                c.allReduceSum(v);
                c.allReduceSum(v);
            });
            return e.getMessage();
        });
        assertTrue(outcomes.get(0).contains("rank 1 left the group") || outcomes.get(0).contains("a peer failed"), outcomes.get(0));
    }

    @Test
    void aPeerThatHangsFailsTheOthersAfterTheTimeout() throws Exception {
        List<Collective> ranks = InProcessCollective.group(2, Duration.ofMillis(300));
        List<String> outcomes = onEveryRank(ranks, c -> {
            if (c.rank() == 1) {
                return "never called";
            }
            long t0 = System.nanoTime();
            CollectiveException e = assertThrows(CollectiveException.class, () -> c.allReduceSum(new float[] {1f}));
            double s = (System.nanoTime() - t0) / 1e9;
            assertTrue(s < 10, "failed after " + s + " s");
            return e.getMessage();
        });
        assertTrue(outcomes.get(0).contains("did not arrive within"), outcomes.get(0));
    }

    @Test
    void mismatchedLengthsFailOnEveryRank() throws Exception {
        List<String> outcomes = onEveryRank(InProcessCollective.group(2, Duration.ofSeconds(30)), c -> {
            float[] v = new float[c.rank() == 0 ? 3 : 4];
            return assertThrows(CollectiveException.class, () -> c.allReduceSum(v)).getMessage();
        });
        assertTrue(outcomes.get(0).contains("rank 0 all-reduces length 3 but rank 1 posted length 4"), outcomes.get(0));
        assertTrue(outcomes.get(1).contains("rank 1 all-reduces length 4 but rank 0 posted length 3"), outcomes.get(1));
    }
}
