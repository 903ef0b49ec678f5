package io.tracedistill.spark.tokenize;

import io.tracedistill.python.PyText;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * Accumulates the per-phase, per-type numbers of {@code tokens/manifest.json}: input/kept/quarantined counts (input =
 * kept + quarantined for every type), drop reasons, token-length percentiles, loss-token totals and the share of rows
 * within 5% of {@code max_length} (a sign that {@code max_length} is too small).
 *
 * <p>Types are listed in code-point order (as the reference sorts labels). Percentiles use the nearest-rank definition
 * on the exact lengths (the smallest length with at least p% of rows at or below it), so they are integers that occur
 * in the data.
 */
final class TokenStats {

    private final int maxLength;
    private final Map<String, TypeStats> byType = new TreeMap<>(PyText::compareCodePoints);

    TokenStats(int maxLength) {
        this.maxLength = maxLength;
    }

    void addKept(String type, int numTokens, int numLossTokens) {
        TypeStats t = byType.computeIfAbsent(type, k -> new TypeStats());
        t.kept++;
        t.lengths = append(t.lengths, t.kept - 1, numTokens);
        t.lossTokens += numLossTokens;
    }

    void addDropped(String type, String reason) {
        TypeStats t = byType.computeIfAbsent(type, k -> new TypeStats());
        t.dropped.merge(reason, 1L, Long::sum);
    }

    long kept() {
        return byType.values().stream().mapToLong(t -> t.kept).sum();
    }

    long quarantined() {
        return byType.values().stream().mapToLong(TypeStats::droppedTotal).sum();
    }

    Map<String, Long> droppedByReason() {
        Map<String, Long> out = new TreeMap<>();
        byType.values().forEach(t -> t.dropped.forEach((r, n) -> out.merge(r, n, Long::sum)));
        return out;
    }

    /** The phase section of the manifest (insertion-ordered for stable JSON). */
    Map<String, Object> toManifest() {
        Map<String, Object> out = new LinkedHashMap<>();
        long kept = kept();
        long quarantined = quarantined();
        out.put("input_rows", kept + quarantined);
        out.put("kept", kept);
        out.put("quarantined", quarantined);
        out.put("quarantined_by_reason", droppedByReason());
        int[] all = byType.values().stream().flatMapToInt(t -> Arrays.stream(t.lengths, 0, (int) t.kept)).toArray();
        out.put("total_tokens", Arrays.stream(all).asLongStream().sum());
        out.put("total_loss_tokens", byType.values().stream().mapToLong(t -> t.lossTokens).sum());
        long near = nearMax(all);
        out.put("rows_within_5pct_of_max_length", near);
        out.put("share_within_5pct_of_max_length", kept == 0 ? 0.0 : (double) near / kept);
        out.put("num_tokens", lengthSummary(all));
        Map<String, Object> types = new LinkedHashMap<>();
        byType.forEach((type, t) -> {
            Map<String, Object> m = new LinkedHashMap<>();
            int[] lengths = Arrays.copyOf(t.lengths, (int) t.kept);
            m.put("input_rows", t.kept + t.droppedTotal());
            m.put("kept", t.kept);
            m.put("quarantined", t.droppedTotal());
            m.put("quarantined_by_reason", new TreeMap<>(t.dropped));
            m.put("total_loss_tokens", t.lossTokens);
            m.put("rows_within_5pct_of_max_length", nearMax(lengths));
            m.put("num_tokens", lengthSummary(lengths));
            types.put(type, m);
        });
        out.put("by_type", types);
        return out;
    }

    /** Rows with {@code num_tokens >= 0.95 * max_length}. */
    private long nearMax(int[] lengths) {
        double threshold = 0.95 * maxLength;
        return Arrays.stream(lengths).filter(n -> n >= threshold).count();
    }

    static Map<String, Object> lengthSummary(int[] lengths) {
        Map<String, Object> m = new LinkedHashMap<>();
        if (lengths.length == 0) {
            return m;
        }
        int[] sorted = lengths.clone();
        Arrays.sort(sorted);
        m.put("min", sorted[0]);
        m.put("p50", nearestRank(sorted, 50));
        m.put("p90", nearestRank(sorted, 90));
        m.put("p99", nearestRank(sorted, 99));
        m.put("max", sorted[sorted.length - 1]);
        m.put("mean", Arrays.stream(sorted).asLongStream().sum() / (double) sorted.length);
        return m;
    }

    /** Nearest-rank percentile of sorted values: element ceil(p/100 * n), 1-based. */
    static int nearestRank(int[] sorted, int percent) {
        int rank = (int) Math.ceil(percent / 100.0 * sorted.length);
        return sorted[Math.max(0, rank - 1)];
    }

    private static int[] append(int[] a, long index, int value) {
        int i = (int) index;
        int[] out = i < a.length ? a : Arrays.copyOf(a, Math.max(16, a.length * 2));
        out[i] = value;
        return out;
    }

    private static final class TypeStats {
        long kept;
        int[] lengths = new int[0];
        long lossTokens;
        final Map<String, Long> dropped = new TreeMap<>();

        long droppedTotal() {
            return dropped.values().stream().mapToLong(Long::longValue).sum();
        }
    }
}
