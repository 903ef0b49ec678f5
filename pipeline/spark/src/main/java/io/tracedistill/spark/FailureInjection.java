package io.tracedistill.spark;

import java.util.List;
import java.util.ServiceLoader;

/**
 * The points in the prepare tasks where a test may fail the first attempt after it has produced some output, to
 * prove exactly-once output under task retries ({@code contract}, {@code shard1}, {@code shard2}).
 *
 * <p>The injectors are found with {@link ServiceLoader}. The library ships none (the test fault injector is
 * {@code FailOnceInjector} in this module's tests), so in production {@link #maybeFail} loops over an empty list.
 */
public final class FailureInjection {
    private FailureInjection() {}

    /** Decides, inside a running task, whether to throw at {@code stage}. */
    public interface Injector {
        void maybeFail(String stage);
    }

    private static final List<Injector> INJECTORS = ServiceLoader
            .load(Injector.class, FailureInjection.class.getClassLoader()).stream()
            .map(ServiceLoader.Provider::get).toList();

    /** Runs every registered injector for {@code stage} (none in production). */
    public static void maybeFail(String stage) {
        for (Injector i : INJECTORS) {
            i.maybeFail(stage);
        }
    }
}
