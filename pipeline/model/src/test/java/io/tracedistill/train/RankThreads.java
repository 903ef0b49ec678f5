package io.tracedistill.train;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/** Runs W ranks of an {@link InProcessCollective} group on their own threads, as Spark runs barrier tasks. */
final class RankThreads {

    @FunctionalInterface
    interface Body<T> {
        T run(Collective collective) throws Exception;
    }

    private RankThreads() {
    }

    /** Each rank's result, by rank; the first failure of any rank is rethrown. */
    static <T> List<T> run(int worldSize, Body<T> body) throws Exception {
        List<Collective> group = InProcessCollective.group(worldSize, Duration.ofMinutes(5));
        ExecutorService pool = Executors.newFixedThreadPool(worldSize);
        try {
            List<Future<T>> futures = new ArrayList<>();
            for (Collective c : group) {
                futures.add(pool.submit(() -> {
                    try (c) {
                        return body.run(c);
                    }
                }));
            }
            List<T> out = new ArrayList<>();
            for (Future<T> f : futures) {
                out.add(f.get(20, TimeUnit.MINUTES));
            }
            return out;
        } finally {
            pool.shutdownNow();
        }
    }
}
