package io.tracedistill.spark.tokenize;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.util.CollectionAccumulator;

/**
 * The executor side of the tokenize stage's summary: counts a partition's tokenize outcomes so that the driver
 * receives counts, not rows. Input rows: {@code (type, reason, num_tokens, num_loss_tokens)} ({@link #INPUT_COLUMNS}
 * of the work rows); output: one row per {@code (type, reason, num_tokens)} with its row count and summed loss
 * tokens ({@link #SCHEMA}; {@code num_tokens} null for a dropped row). A partition sends at most types × (distinct
 * lengths ≤ {@code max_length} + reasons) rows, however many rows it holds; {@link TokenStats} merges them.
 */
final class OutcomeCounts implements MapPartitionsFunction<Row, Row> {

    private static final long serialVersionUID = 1L;

    /** The work columns read, in this order. */
    static final List<String> INPUT_COLUMNS = List.of(io.tracedistill.spark.Columns.TYPE, TokenizePartition.W_REASON,
            TokenizePartition.W_NUM_TOKENS, TokenizePartition.W_NUM_LOSS_TOKENS);

    /** type, reason (null: kept), num_tokens (null: dropped), rows, loss_tokens. */
    static final StructType SCHEMA = new StructType()
            .add("type", DataTypes.StringType, true)
            .add("reason", DataTypes.StringType, true)
            .add("num_tokens", DataTypes.IntegerType, true)
            .add("rows", DataTypes.LongType, false)
            .add("loss_tokens", DataTypes.LongType, false);

    @Override
    public Iterator<Row> call(Iterator<Row> rows) {
        Counter counter = new Counter();
        while (rows.hasNext()) {
            Row r = rows.next();
            boolean kept = r.isNullAt(1);
            counter.add(r.getString(0), r.getString(1), kept ? r.getInt(2) : 0, kept ? r.getInt(3) : 0);
        }
        return counter.rows().iterator();
    }

    /** One partition's counts, built row by row: {@link #call}'s, and the tokenize pass's own ({@link Partition}). */
    static final class Counter {
        private final Map<List<Object>, long[]> counts = new HashMap<>(); // (type, reason, num_tokens) -> {rows, loss}

        /** One row's outcome: {@code reason} null for a kept row (then its token counts), else the drop reason. */
        void add(String type, String reason, int numTokens, int numLossTokens) {
            boolean kept = reason == null;
            long[] c = counts.computeIfAbsent(Arrays.asList(type, reason, kept ? numTokens : null), k -> new long[2]);
            c[0]++;
            if (kept) {
                c[1] += numLossTokens;
            }
        }

        /** The counts as rows of {@link #SCHEMA}. */
        List<Row> rows() {
            List<Row> out = new ArrayList<>(counts.size());
            counts.forEach((k, c) -> out.add(RowFactory.create(k.get(0), k.get(1), k.get(2), c[0], c[1])));
            return out;
        }
    }

    /**
     * The counts of one partition of slice {@code slice} ({@code phase1}, {@code phase2}, {@code heldout}), as the
     * tokenize pass sends them to the driver through an accumulator once it has mapped the whole partition, so that
     * the counts need no job of their own (as prepare's staged summaries travel with its staged write).
     */
    record Partition(String slice, int partition, List<Row> counts) implements Serializable {}

    /**
     * The counts of {@code slice} from the accumulated {@link Partition}s, if every one of its {@code partitions}
     * partitions sent them (a partition computed twice, by a retried stage, sends the same counts twice and is taken
     * once); empty otherwise, and the caller counts the rows with a job.
     */
    static Optional<List<Row>> fromPartitions(CollectionAccumulator<Partition> sent, String slice, int partitions) {
        Map<Integer, Partition> byPartition = new HashMap<>();
        for (Partition p : sent.value()) {
            if (p.slice().equals(slice)) {
                byPartition.putIfAbsent(p.partition(), p);
            }
        }
        if (byPartition.size() != partitions) {
            return Optional.empty();
        }
        List<Row> out = new ArrayList<>();
        byPartition.values().forEach(p -> out.addAll(p.counts()));
        return Optional.of(out);
    }

    /** Adds one output row of {@link #call} to {@code stats}. */
    static void addTo(TokenStats stats, Row counted) {
        if (counted.isNullAt(1)) {
            stats.addKept(counted.getString(0), counted.getInt(2), counted.getLong(3), counted.getLong(4));
        } else {
            stats.addDropped(counted.getString(0), counted.getString(1), counted.getLong(3));
        }
    }
}
