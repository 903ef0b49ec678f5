package io.tracedistill.spark.train;

import io.tracedistill.testdata.LoopbackNamespace;
import io.tracedistill.train.Collective;
import io.tracedistill.train.CollectiveException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The xgboost collective on loopback: ranks on threads of this JVM (the communicator is per thread)
 * and, for the failure cases, a peer in a child JVM that is killed or frozen. Runs in the loopback-only
 * network namespace (the workers listen on all interfaces).
 */
class XgboostCollectiveIT {

    /** How long a worker waits for a peer (dmlc_timeout): short, so the failure tests are quick. */
    private static final Duration TIMEOUT = Duration.ofSeconds(5);
    /** How long the tracker waits for every worker to connect: a peer JVM takes seconds to start. */
    private static final Duration TRACKER_TIMEOUT = Duration.ofSeconds(60);

    @BeforeAll
    static void onlyInTheLoopbackNamespace() throws Exception {
        assumeTrue(LoopbackNamespace.inside(), LoopbackNamespace.whyNotInside());
    }

    /** Starts a tracker, joins {@code w} ranks on their own threads, runs {@code body} on each, closes. */
    private static <T> List<T> onGroup(int w, Function<Collective, T> body) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(w);
        try (XgboostCollective.Tracker tracker = XgboostCollective.Tracker.start("127.0.0.1", w, TRACKER_TIMEOUT)) {
            List<Future<T>> futures = new ArrayList<>();
            for (int r = 0; r < w; r++) {
                int task = r;
                futures.add(pool.submit(() -> {
                    try (XgboostCollective c = XgboostCollective.join(tracker.address(), task, TIMEOUT)) {
                        assertEquals(task, c.rank(), "ranks follow task ids");
                        assertEquals(w, c.worldSize());
                        return body.apply(c);
                    }
                }));
            }
            List<T> out = new ArrayList<>();
            for (Future<T> f : futures) {
                out.add(f.get(2, TimeUnit.MINUTES));
            }
            return out;
        } finally {
            pool.shutdownNow();
        }
    }

    /** Rank r's input: small integers and halves, so any summation order is exact in float32. */
    private static float input(int rank, int i) {
        return (rank + 1) * 0.5f + (i % 13) - 6;
    }

    @Test
    void sumsAreExactOnEveryRankForOddSizesAndAcrossChunks() throws Exception {
        int w = 3;
        // MAX + 5: 2 calls; (8 << 20) + 5: more than 8M floats (the size), 9 calls
        int[] sizes = {1, 7, 1_000_003, XgboostCollective.MAX_FLOATS_PER_CALL + 5, (8 << 20) + 5};
        List<List<float[]>> results = onGroup(w, c -> {
            List<float[]> mine = new ArrayList<>();
            for (int n : sizes) {
                float[] v = new float[n];
                for (int i = 0; i < n; i++) {
                    v[i] = input(c.rank(), i);
                }
                c.allReduceSum(v);
                mine.add(v);
            }
            return mine;
        });
        assertExactSums("xgboost all-reduce", w, sizes, 0, results);
    }

    /**
     * Every rank's result r of size {@code sizes[s]} (after {@code lead} untouched elements of -1) is the exact sum of the
     * ranks' {@link #input}s, the same on every rank.
     */
    private static void assertExactSums(String what, int w, int[] sizes, int lead, List<List<float[]>> results) {
        for (int s = 0; s < sizes.length; s++) {
            float maxDiff = 0;
            for (int r = 0; r < w; r++) {
                float[] v = results.get(r).get(s);
                assertEquals(lead + sizes[s], v.length);
                for (int i = 0; i < lead; i++) {
                    assertEquals(-1f, v[i], "before the position: untouched");
                }
                for (int i = 0; i < sizes[s]; i++) {
                    float expected = 0;
                    for (int q = 0; q < w; q++) {
                        expected += input(q, i);
                    }
                    maxDiff = Math.max(maxDiff, Math.abs(v[lead + i] - expected));
                }
                assertArrayEquals(results.get(0).get(s), v, "size " + sizes[s] + ": rank " + r + " differs from rank 0");
            }
            System.out.println(what + ", " + w + " ranks, " + sizes[s] + " floats: largest difference " + maxDiff);
            assertEquals(0f, maxDiff, "size " + sizes[s]);
        }
    }

    /**
     * {@link XgboostCollective#allReduceSumFloat32}: in place on a direct buffer, from its position (3 floats in, which
     * are left alone) to its limit, across the chunk boundary; the same exact sums as the float[] call.
     */
    @Test
    void directBufferSumsAreExactInPlaceFromThePositionAndAcrossChunks() throws Exception {
        int w = 2;
        int lead = 3;
        int[] sizes = {1, 1_000_003, XgboostCollective.MAX_FLOATS_PER_CALL + 5};
        List<List<float[]>> results = onGroup(w, c -> {
            List<float[]> mine = new ArrayList<>();
            for (int n : sizes) {
                java.nio.ByteBuffer b = java.nio.ByteBuffer.allocateDirect((lead + n) * Float.BYTES).order(java.nio.ByteOrder.nativeOrder());
                java.nio.FloatBuffer f = b.asFloatBuffer();
                for (int i = 0; i < lead; i++) {
                    f.put(i, -1f);
                }
                for (int i = 0; i < n; i++) {
                    f.put(lead + i, input(c.rank(), i));
                }
                c.allReduceSumFloat32(b.position(lead * Float.BYTES));
                assertEquals(lead * Float.BYTES, b.position(), "the position is left as it was");
                float[] v = new float[lead + n];
                f.get(0, v);
                mine.add(v);
            }
            return mine;
        });
        assertExactSums("xgboost all-reduce on a direct buffer", w, sizes, lead, results);
        List<String> refused = onGroup(1, c -> assertThrows(IllegalArgumentException.class,
                () -> c.allReduceSumFloat32(java.nio.ByteBuffer.allocate(8))).getMessage());
        assertTrue(refused.get(0).contains("direct buffer"), refused.get(0));
    }

    @Test
    void int64SumIsExactAbove2To24AndGatherKeepsEveryRanksValue() throws Exception {
        List<long[]> results = onGroup(2, c -> {
            long tokens = (1L << 24) + 1 + c.rank(); // float32 would round these
            long sum = c.allReduceSum(tokens);
            long[] gathered = c.allGather(c.rank() == 0 ? -3L : Long.MAX_VALUE);
            return new long[] {sum, gathered[0], gathered[1]};
        });
        for (long[] r : results) {
            assertArrayEquals(new long[] {(1L << 25) + 3, -3L, Long.MAX_VALUE}, r);
        }
    }

    @Test
    void aCallFromAnotherThreadIsRefused() throws Exception {
        List<String> messages = onGroup(1, c -> {
            ExecutorService other = Executors.newSingleThreadExecutor();
            try {
                Future<?> f = other.submit(() -> c.allReduceSum(new float[] {1f}));
                Throwable e = assertThrows(java.util.concurrent.ExecutionException.class, f::get).getCause();
                return e.getMessage();
            } finally {
                other.shutdownNow();
            }
        });
        assertTrue(messages.get(0).contains("per thread"), messages.get(0));
    }

    /** A peer JVM ({@link CollectivePeerMain}) as task 1 of a tracker's group, and its output. */
    private record Peer(Process process, BufferedReader out, StringBuilder seen) {
        static Peer start(XgboostCollective.Tracker tracker, int n, String then) throws Exception {
            String java = ProcessHandle.current().info().command().orElseThrow();
            Process p = new ProcessBuilder(java, "-Xmx256m", "-cp", System.getProperty("java.class.path"),
                    CollectivePeerMain.class.getName(), tracker.address().toString(), "1", Integer.toString(n), then)
                    .redirectErrorStream(true).start();
            Peer peer = new Peer(p, new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8)), new StringBuilder());
            peer.await("JOINING"); // the peer joins right after: join now too, within the timeout
            return peer;
        }

        void await(String prefix) throws Exception {
            for (String line; (line = out.readLine()) != null; ) {
                seen.append(line).append('\n');
                if (line.startsWith(prefix)) {
                    return;
                }
            }
            throw new AssertionError("peer exited without printing " + prefix + ":\n" + seen);
        }
    }

    @Test
    void aDeadPeerGivesAnErrorNeverAWrongSumAndTheThreadCanJoinAgain() throws Exception {
        int n = 1_000_001;
        XgboostCollective me;
        Process p;
        Peer alive;
        try (XgboostCollective.Tracker tracker = XgboostCollective.Tracker.start("127.0.0.1", 2, TRACKER_TIMEOUT)) {
            alive = Peer.start(tracker, n, "wait");
            p = alive.process();
            me = XgboostCollective.join(tracker.address(), 0, TIMEOUT);
            float[] ones = new float[n];
            java.util.Arrays.fill(ones, 1f);
            me.allReduceSum(ones);
            assertEquals(2f, ones[n - 1], "the first call, with the peer alive, sums");
            alive.await("SUMMED");
            p.destroyForcibly(); // SIGKILL: the peer's sockets close without a goodbye
            assertTrue(p.waitFor(30, TimeUnit.SECONDS));

            float[] again = new float[n];
            java.util.Arrays.fill(again, 1f);
            long t0 = System.nanoTime();
            CollectiveException e = assertThrows(CollectiveException.class, () -> me.allReduceSum(again));
            double s = (System.nanoTime() - t0) / 1e9;
            System.out.printf("dead peer: all-reduce failed after %.2f s: %s%n", s, e.getMessage());
            assertTrue(s < 60, "the failure took " + s + " s");
            assertThrows(CollectiveException.class, () -> me.allReduceSum(new float[] {1f}), "a broken rank stays broken");
        }
        me.close();
        // Re-initialise on the same thread (a retried stage runs in the same executor JVMs).
        try (XgboostCollective.Tracker tracker = XgboostCollective.Tracker.start("127.0.0.1", 2, TRACKER_TIMEOUT)) {
            Process fresh = Peer.start(tracker, 3, "leave").process();
            try (XgboostCollective c = XgboostCollective.join(tracker.address(), 0, TIMEOUT)) {
                float[] v = {1f, 2f, 3f};
                // the peer adds ones
                c.allReduceSum(v);
                assertArrayEquals(new float[] {2f, 3f, 4f}, v, "a new group after a failure sums correctly");
            }
            assertTrue(fresh.waitFor(30, TimeUnit.SECONDS));
            assertEquals(0, fresh.exitValue());
        }
    }

    @Test
    void aFrozenPeerFailsTheCallAfterTheTimeout() throws Exception {
        try (XgboostCollective.Tracker tracker = XgboostCollective.Tracker.start("127.0.0.1", 2, TRACKER_TIMEOUT)) {
            Peer peer = Peer.start(tracker, 5, "wait"); // sums once, then never calls again
            Process p = peer.process();
            try (XgboostCollective me = XgboostCollective.join(tracker.address(), 0, TIMEOUT)) {
                float[] v = new float[5];
                me.allReduceSum(v);
                peer.await("SUMMED");
                long t0 = System.nanoTime();
                assertThrows(CollectiveException.class, () -> me.allReduceSum(new float[5]));
                double s = (System.nanoTime() - t0) / 1e9;
                System.out.printf("frozen peer: all-reduce failed after %.2f s (timeout %d s)%n", s, TIMEOUT.toSeconds());
                assertTrue(s < 4 * TIMEOUT.toSeconds() + 10, "the failure took " + s + " s");
            } finally {
                p.destroyForcibly();
            }
        }
    }
}
