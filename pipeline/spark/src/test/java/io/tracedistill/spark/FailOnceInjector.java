package io.tracedistill.spark;

import java.util.Arrays;
import org.apache.spark.TaskContext;

/**
 * The test fault injector for proving exactly-once output under task retries (registered for
 * {@link FailureInjection} in {@code META-INF/services}, test classpath only).
 *
 * <p>When the JVM system property {@value #PROPERTY} lists {@code "<stage>:<partition>"} (comma-separated, e.g.
 * {@code contract:1,shard1:0}; stages {@code contract}, {@code shard1}, {@code shard2}), the first attempt
 * ({@code attemptNumber() == 0}) of that partition's task in that stage throws after it has produced some output;
 * the retry succeeds. Unset, it does nothing. Needs a master that allows retries, e.g. {@code local[2,3]}.
 */
public final class FailOnceInjector implements FailureInjection.Injector {

    /** The system property naming the stage and partition to fail once. */
    public static final String PROPERTY = "tracedistill.test.failOnce";

    @Override
    public void maybeFail(String stage) {
        String spec = System.getProperty(PROPERTY);
        if (spec == null || spec.isEmpty()) {
            return;
        }
        TaskContext tc = TaskContext.get();
        if (tc == null || tc.attemptNumber() != 0) {
            return;
        }
        if (Arrays.asList(spec.split(",")).contains(stage + ":" + tc.partitionId())) {
            throw new IllegalStateException("Injected failure (" + PROPERTY + "=" + spec + ") in stage " + stage
                    + ", partition " + tc.partitionId() + ", attempt 0");
        }
    }
}
