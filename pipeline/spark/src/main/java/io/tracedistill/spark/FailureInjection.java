package io.tracedistill.spark;

import org.apache.spark.TaskContext;

/**
 * A test-only fault injector for proving exactly-once output under task retries.
 *
 * <p>When the JVM system property {@value #PROPERTY} lists {@code "<stage>:<partition>"} (comma-separated, e.g.
 * {@code contract:1,shard1:0}; stages {@code contract}, {@code shard1}, {@code shard2}), the first attempt ({@code attemptNumber() == 0}) of that partition's task in that stage
 * throws after it has produced some output; the retry succeeds. Unset in production, so this is a no-op there.
 * Needs a master that allows retries, e.g. {@code local[2,3]}.
 */
public final class FailureInjection {
    private FailureInjection() {}

    /** The system property naming the stage and partition to fail once. */
    public static final String PROPERTY = "tracedistill.test.failOnce";

    /** Throws if this task is the first attempt of the configured stage/partition. */
    public static void maybeFail(String stage) {
        String spec = System.getProperty(PROPERTY);
        if (spec == null || spec.isEmpty()) {
            return;
        }
        TaskContext tc = TaskContext.get();
        if (tc == null || tc.attemptNumber() != 0) {
            return;
        }
        if (java.util.Arrays.asList(spec.split(",")).contains(stage + ":" + tc.partitionId())) {
            throw new IllegalStateException("Injected failure (" + PROPERTY + "=" + spec + ") in stage " + stage
                    + ", partition " + tc.partitionId() + ", attempt 0");
        }
    }
}
