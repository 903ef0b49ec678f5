package io.tracedistill.spark.tokenize;

import io.tracedistill.python.PyText;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;

/**
 * Accumulates the per-phase, per-type numbers of {@code tokens/manifest.json}: input/kept/quarantined counts (input =
 * kept + quarantined for every type), drop reasons, token-length percentiles, loss-token totals and the share of rows
 * within 5% of {@code max_length} (a sign that {@code max_length} is too small).
 *
 * <p>It holds counts, not rows: per type a histogram of token lengths (length → rows; at most {@code max_length}
 * entries), so the driver's memory does not grow with the row count; the executors send it grouped
 * ({@link TokenizeStage}: rows counted per type, outcome and length).
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

    /** One kept row of {@code numTokens} tokens, {@code numLossTokens} of them supervised. */
    void addKept(String type, int numTokens, int numLossTokens) {
        addKept(type, numTokens, 1, numLossTokens);
    }

    /** {@code rows} kept rows of {@code numTokens} tokens each, {@code lossTokens} supervised tokens in all of them. */
    void addKept(String type, int numTokens, long rows, long lossTokens) {
        TypeStats t = byType.computeIfAbsent(type, k -> new TypeStats());
        t.kept += rows;
        t.lengths.merge(numTokens, rows, Long::sum);
        t.lossTokens += lossTokens;
    }

    void addDropped(String type, String reason) {
        addDropped(type, reason, 1);
    }

    /** {@code rows} rows dropped for {@code reason}. */
    void addDropped(String type, String reason, long rows) {
        TypeStats t = byType.computeIfAbsent(type, k -> new TypeStats());
        t.dropped.merge(reason, rows, Long::sum);
    }

    long kept() {
        return byType.values().stream().mapToLong(t -> t.kept).sum();
    }

    long quarantined() {
        return byType.values().stream().mapToLong(TypeStats::droppedTotal).sum();
    }

    /** The types seen, in code-point order. */
    List<String> types() {
        return List.copyOf(byType.keySet());
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
        TreeMap<Integer, Long> all = new TreeMap<>();
        byType.values().forEach(t -> t.lengths.forEach((len, n) -> all.merge(len, n, Long::sum)));
        out.put("total_tokens", all.entrySet().stream().mapToLong(e -> e.getKey() * e.getValue()).sum());
        out.put("total_loss_tokens", byType.values().stream().mapToLong(t -> t.lossTokens).sum());
        long near = nearMax(all);
        out.put("rows_within_5pct_of_max_length", near);
        out.put("share_within_5pct_of_max_length", kept == 0 ? 0.0 : (double) near / kept);
        out.put("num_tokens", lengthSummary(all));
        Map<String, Object> types = new LinkedHashMap<>();
        byType.forEach((type, t) -> {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("input_rows", t.kept + t.droppedTotal());
            m.put("kept", t.kept);
            m.put("quarantined", t.droppedTotal());
            m.put("quarantined_by_reason", new TreeMap<>(t.dropped));
            m.put("total_loss_tokens", t.lossTokens);
            m.put("rows_within_5pct_of_max_length", nearMax(t.lengths));
            m.put("num_tokens", lengthSummary(t.lengths));
            types.put(type, m);
        });
        out.put("by_type", types);
        return out;
    }

    /** Rows with {@code num_tokens >= 0.95 * max_length}, from a length histogram. */
    private long nearMax(NavigableMap<Integer, Long> lengths) {
        double threshold = 0.95 * maxLength;
        return lengths.entrySet().stream().filter(e -> e.getKey() >= threshold).mapToLong(Map.Entry::getValue).sum();
    }

    /** min, p50, p90, p99, max and mean of a length histogram (length → rows); empty when it holds no row. */
    static Map<String, Object> lengthSummary(NavigableMap<Integer, Long> lengths) {
        Map<String, Object> m = new LinkedHashMap<>();
        long n = lengths.values().stream().mapToLong(Long::longValue).sum();
        if (n == 0) {
            return m;
        }
        m.put("min", lengths.firstKey());
        m.put("p50", nearestRank(lengths, n, 50));
        m.put("p90", nearestRank(lengths, n, 90));
        m.put("p99", nearestRank(lengths, n, 99));
        m.put("max", lengths.lastKey());
        m.put("mean", lengths.entrySet().stream().mapToLong(e -> e.getKey() * e.getValue()).sum() / (double) n);
        return m;
    }

    /**
     * Nearest-rank percentile of a length histogram holding {@code n} rows: the ceil(p/100 * n)-th smallest length
     * (1-based), i.e. the smallest length with at least that many rows at or below it.
     */
    static int nearestRank(NavigableMap<Integer, Long> lengths, long n, int percent) {
        long rank = Math.max(1, (long) Math.ceil(percent / 100.0 * n));
        long seen = 0;
        for (Map.Entry<Integer, Long> e : lengths.entrySet()) {
            seen += e.getValue();
            if (seen >= rank) {
                return e.getKey();
            }
        }
        return lengths.lastKey();
    }

    private static final class TypeStats {
        long kept;
        /** Token length → kept rows of that length. */
        final TreeMap<Integer, Long> lengths = new TreeMap<>();
        long lossTokens;
        final Map<String, Long> dropped = new TreeMap<>();

        long droppedTotal() {
            return dropped.values().stream().mapToLong(Long::longValue).sum();
        }
    }
}
