package io.tracedistill.tools;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * The driver heap a piece of work holds at its peak: the live heap (used right after a full {@code System.gc()})
 * sampled every {@link #SAMPLE_MS} ms while the work runs, maximum minus the live heap before it. The forced GCs slow
 * the work down, so a benchmark measures this in an untimed run of its own. Prepare's figure
 * ({@link PrepareBenchmark#driverMemory}) is the retained heap of its driver-side step; this one covers a whole stage.
 */
final class DriverHeap {
    static final long SAMPLE_MS = 100;

    private DriverHeap() {}

    /** Live heap before, peak live heap during {@code work}, in bytes, and the input rows it ran on. */
    record Peak(long baselineBytes, long peakBytes, long rows) {
        long heldBytes() {
            return Math.max(0, peakBytes - baselineBytes);
        }

        /** {@code "3,234 rows: live heap 61.2 MB before, 75.9 MB at peak: 14.7 MB held"}. */
        @Override
        public String toString() {
            return String.format(Locale.ROOT, "%,d rows: live heap %.1f MB before, %.1f MB at peak: %.1f MB held",
                    rows, baselineBytes / 1e6, peakBytes / 1e6, heldBytes() / 1e6);
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
        return new Peak(baseline, peak.get(), rows);
    }

    /** Growth per million rows between two sizes: what the driver needs per million more input rows. */
    static String perMillionRows(Peak small, Peak large) {
        double perRow = (large.heldBytes() - small.heldBytes()) / (double) (large.rows() - small.rows());
        return String.format(Locale.ROOT, "%s; %s; growth %.1f MB per million rows", small, large, perRow);
    }
}
