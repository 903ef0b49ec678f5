package io.tracedistill.tools;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * The driver heap a piece of work holds at its peak: the live heap (used right after a full {@code System.gc()})
 * sampled every {@link #SAMPLE_MS} ms while the work runs, maximum minus the live heap before it, and the live heap
 * after it (what the work left behind). The forced GCs slow the work down, so a benchmark measures this in an untimed
 * run of its own. Prepare's figure ({@link PrepareBenchmark#driverMemory}) is the retained heap of its driver-side
 * step; this one covers a whole stage ({@link DriverHeapBench}: with the executors in JVMs of their own).
 */
final class DriverHeap {
    static final long SAMPLE_MS = 100;

    private DriverHeap() {}

    /** Live heap before, at the peak during and after {@code work}, in bytes, and the input rows it ran on. */
    record Peak(long baselineBytes, long peakBytes, long afterBytes, long rows) {
        long heldBytes() {
            return Math.max(0, peakBytes - baselineBytes);
        }

        /** {@code "3,234 rows: live heap 61.2 MB before, 75.9 MB at peak (14.7 MB held), 61.5 MB after"}. */
        @Override
        public String toString() {
            return String.format(Locale.ROOT, "%,d rows: live heap %.1f MB before, %.1f MB at peak (%.1f MB held), %.1f MB after",
                    rows, baselineBytes / 1e6, peakBytes / 1e6, heldBytes() / 1e6, afterBytes / 1e6);
        }
    }

    /** Runs {@code work}, which returns the input rows it ran on, while sampling the live heap. */
    static Peak measure(LongSupplier work) {
        MemoryMXBean mx = ManagementFactory.getMemoryMXBean();
        System.gc();
        long baseline = mx.getHeapMemoryUsage().getUsed();
        AtomicLong peak = new AtomicLong(baseline);
        AtomicBoolean done = new AtomicBoolean();
        Thread sampler = new Thread(() -> {
            while (!done.get()) {
                System.gc();
                peak.accumulateAndGet(mx.getHeapMemoryUsage().getUsed(), Math::max);
                try {
                    Thread.sleep(SAMPLE_MS);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "driver-heap-sampler");
        sampler.setDaemon(true);
        sampler.start();
        long rows;
        try {
            rows = work.getAsLong();
        } finally {
            done.set(true);
            try {
                sampler.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        System.gc();
        long after = mx.getHeapMemoryUsage().getUsed();
        return new Peak(baseline, Math.max(peak.get(), after), after, rows);
    }

    /** Growth of the held heap per million more input rows between two sizes, in MB: what the driver needs per million rows. */
    static double heldMbPerMillionRows(Peak small, Peak large) {
        return (large.heldBytes() - small.heldBytes()) / (double) (large.rows() - small.rows());
    }
}
