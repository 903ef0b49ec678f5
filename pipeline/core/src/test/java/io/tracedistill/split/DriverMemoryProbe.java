package io.tracedistill.split;

import io.tracedistill.order.StratifiedOrder;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;

/**
 * Measures the driver-side heap of the split + order for N rows (not a test; run by hand):
 * {@code java -cp target/classes:target/test-classes:<jackson> io.tracedistill.split.DriverMemoryProbe 1000000}.
 * Prints retained bytes per row (after GC) for the collected type strings and for the results,
 * and bytes allocated per row while splitting and ordering.
 */
public final class DriverMemoryProbe {

    private static final String[] TYPES = {
        "bit_manipulation", "cryptarithm_deduce", "cryptarithm_guess", "equation_numeric_deduce",
        "equation_numeric_guess", "gravity", "numeral_system", "text_cipher", "unit_conversion",
        "geometry_area", "geometry_angle", "probability_basic", "probability_conditional", "sequence_next",
        "sequence_rule", "logic_grid", "logic_truth", "graph_path", "graph_color", "calendar_days",
    };

    public static void main(String[] args) {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long tid = Thread.currentThread().getId();

        long base = used();
        // As collected from Spark: one new String object per row (not interned).
        List<String> types = new ArrayList<>(n);
        java.util.Random skew = new java.util.Random(1);
        for (int i = 0; i < n; i++) {
            int t = Math.min(TYPES.length - 1, (int) Math.abs(skew.nextGaussian() * 6)); // uneven type sizes
            types.add(new String(TYPES[t].toCharArray()));
        }
        long afterTypes = used();

        long a0 = mx.getThreadAllocatedBytes(tid);
        long t0 = mx.getCurrentThreadCpuTime();
        TwoPhaseSplit.SplitResult split = TwoPhaseSplit.split(types, List.of("cryptarithm_deduce", "gravity"), 42, true);
        long t1 = mx.getCurrentThreadCpuTime();
        long a1 = mx.getThreadAllocatedBytes(tid);
        long afterSplit = used();

        List<String> phase1Labels = new ArrayList<>(split.phase1Rows().length);
        for (int row : split.phase1Rows()) {
            phase1Labels.add(types.get(row));
        }
        long a2 = mx.getThreadAllocatedBytes(tid);
        long t2 = mx.getCurrentThreadCpuTime();
        int[] order = StratifiedOrder.indexOrder(phase1Labels, 32, 42);
        long t3 = mx.getCurrentThreadCpuTime();
        long a3 = mx.getThreadAllocatedBytes(tid);
        long afterOrder = used();

        System.out.printf("rows=%d phase1=%d phase2=%d quota=%d order=%d%n", n, split.phase1Rows().length,
                split.phase2Rows().length, split.quota(), order.length);
        System.out.printf("retained: type strings (list + one String per row) %.1f B/row%n", (afterTypes - base) / (double) n);
        System.out.printf("retained: split result incl. debug %.1f B/row%n", (afterSplit - afterTypes) / (double) n);
        int m = order.length;
        System.out.printf("retained: phase-1 label list + order %.1f B per phase-1 row%n", (afterOrder - afterSplit) / (double) m);
        System.out.printf("allocated while splitting %.1f B/row, %d ms CPU%n", (a1 - a0) / (double) n, (t1 - t0) / 1_000_000);
        System.out.printf("allocated while ordering phase 1 %.1f B per phase-1 row, %d ms CPU%n", (a3 - a2) / (double) m,
                (t3 - t2) / 1_000_000);
        System.out.printf("max heap %d MiB%n", Runtime.getRuntime().maxMemory() >> 20);
        // keep everything reachable until the last measurement
        if (types.size() + split.quota() + order.length + phase1Labels.size() == 42) {
            System.out.println();
        }
    }

    private static long used() {
        Runtime rt = Runtime.getRuntime();
        for (int i = 0; i < 4; i++) {
            System.gc();
        }
        return rt.totalMemory() - rt.freeMemory();
    }
}
