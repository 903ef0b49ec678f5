package io.tracedistill.spark.train;

import io.tracedistill.testdata.LoopbackNamespace;
import io.tracedistill.spark.SparkSessions;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The barrier stage on {@code local[2]}: tracker in partition 0's task, address by allGather, ranks =
 * partition ids, a failed attempt retried in the same JVM, a refusal not retried, too few slots refused before any task runs.
 * Runs in the loopback-only network namespace.
 */
class BarrierTrainingIT {

    private static SparkSession spark;

    @BeforeAll
    static void start() throws Exception {
        assumeTrue(LoopbackNamespace.inside(), LoopbackNamespace.whyNotInside());
        spark = SparkSessions.builder("local[2]", "barrier-training-it").getOrCreate();
    }

    @AfterAll
    static void stop() {
        if (spark != null) {
            spark.stop();
        }
    }

    private static BarrierTraining.Settings settings(int w, int attempts) {
        return new BarrierTraining.Settings(w, Duration.ofSeconds(20), attempts);
    }

    @Test
    void everyRankSumsTheSameAndRank0sResultReturns() {
        float[] sum = BarrierTraining.run(spark, settings(2, 1), (c, attempt) -> {
            float[] v = new float[1_000_001];
            Arrays.fill(v, c.rank() + 1f);
            long tokens = c.allReduceSum((1L << 30) * (c.rank() + 1));
            c.allReduceSum(v);
            return new float[] {c.rank(), c.worldSize(), v[0], v[v.length - 1], (float) (tokens >> 30)};
        });
        assertArrayEquals(new float[] {0f, 2f, 3f, 3f, 3f}, sum);
    }

    @Test
    void aFailedAttemptIsRetriedAndTheGroupForms_again() {
        long t0 = System.nanoTime();
        Integer attempt = BarrierTraining.run(spark, settings(2, 2), (c, a) -> {
            float[] v = {1f};
            c.allReduceSum(v);
            if (a == 1 && c.rank() == 1) {
                throw new IllegalStateException("injected failure of rank 1 in attempt 1");
            }
            c.allReduceSum(v); // rank 0 of attempt 1 fails here: its peer left
            assertEquals(2f * 2f, v[0]);
            return a;
        });
        double s = (System.nanoTime() - t0) / 1e9;
        System.out.printf("barrier stage: failed attempt + retry took %.1f s%n", s);
        assertEquals(2, attempt, "the second attempt succeeded");
    }

    @Test
    void allAttemptsFailingReportsTheLastError() {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> BarrierTraining.run(spark, settings(2, 2), (c, a) -> {
            if (c.rank() == 0) {
                throw new IllegalStateException("rank 0 always fails");
            }
            return 0;
        }));
        assertTrue(e.getMessage().contains("failed in all 2 attempt(s)") && e.getMessage().contains("rank 0 always fails"), e.getMessage());
    }

    /** Attempts of {@link #aRefusalFailsAtOnceWithItsOwnMessageAndIsNotRetried} seen by rank 0 (local mode: one JVM). */
    private static final AtomicInteger REFUSING_ATTEMPTS = new AtomicInteger();

    @Test
    void aRefusalFailsAtOnceWithItsOwnMessageAndIsNotRetried() {
        String why = "phase1 already finished under other settings (learning_rate 1.0E-3) than this run (learning_rate 2.0E-3);"
                + " run with --resume --force";
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> BarrierTraining.run(spark, settings(2, 3), (c, a) -> {
            if (c.rank() == 0) {
                REFUSING_ATTEMPTS.incrementAndGet();
            }
            c.allReduceSum(new float[] {1f}); // both ranks are in the group when they refuse
            throw new BarrierTraining.Refusal(new IllegalArgumentException(why));
        }));
        assertEquals(why, e.getMessage(), "the refusal itself, not a retry summary");
        assertEquals(1, REFUSING_ATTEMPTS.get(), "attempts run (train_max_attempts 3)");
    }

    @Test
    void moreRanksThanSlotsFailsFastWithTheNumbers() {
        long t0 = System.nanoTime();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> BarrierTraining.run(spark, settings(3, 1), (c, a) -> 0));
        assertTrue(e.getMessage().contains("world_size") && e.getMessage().contains("has 2 task slot(s)"), e.getMessage());
        assertTrue((System.nanoTime() - t0) / 1e9 < 5);
    }
}
