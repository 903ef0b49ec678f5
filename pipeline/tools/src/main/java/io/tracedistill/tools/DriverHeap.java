package io.tracedistill.tools;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * The driver heap a piece of work holds at its peak: the live heap ({@link #liveHeapBytes}: what a full GC left)
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

    /**
     * The live heap: a full GC ({@code System.gc()}), then what the heap pools held right after it (their collection
     * usage). Not the heap's current use: the work's threads keep allocating between the GC and the reading, and a
     * thread's fresh allocation buffer counts as used in full (G1: several MB), which showed as ±15 MB of noise.
     */
    static long liveHeapBytes() {
        System.gc();
        long live = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            MemoryUsage afterGc = pool.getType() == MemoryType.HEAP ? pool.getCollectionUsage() : null;
            live += afterGc == null ? 0 : afterGc.getUsed();
        }
        return live;
    }

    /** Runs {@code work}, which returns the input rows it ran on, while sampling the live heap. */
    static Peak measure(LongSupplier work) {
        long baseline = liveHeapBytes();
        AtomicLong peak = new AtomicLong(baseline);
        AtomicBoolean done = new AtomicBoolean();
        Thread sampler = new Thread(() -> {
            while (!done.get()) {
                peak.accumulateAndGet(liveHeapBytes(), Math::max);
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
        long after = liveHeapBytes();
        return new Peak(baseline, Math.max(peak.get(), after), after, rows);
    }

    /** Growth of the held heap per million more input rows between two sizes, in MB: what the driver needs per million rows. */
    static double heldMbPerMillionRows(Peak small, Peak large) {
        return (large.heldBytes() - small.heldBytes()) / (double) (large.rows() - small.rows());
    }
}
