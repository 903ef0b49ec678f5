package io.tracedistill.spark.prepare;

import io.tracedistill.config.ShardFormat;
import io.tracedistill.spark.Columns;
import io.tracedistill.spark.FailureInjection;
import io.tracedistill.spark.ShardSchemas;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * Step 5 of prepare: writes the prepared shards of one phase in training order, and the quarantine.
 *
 * <p>Phase shards: every kept staged row of the phase becomes a {@link ShardSchemas#prepared} row; the rows are
 * range-partitioned by {@link Columns#POSITION} into {@code ceil(rows / rowsPerShard)} partitions and sorted
 * within each, so one partition is one file holding a contiguous block of positions, and Spark's file names
 * ({@code part-00000-…}, {@code part-00001-…}) sort in position order. Quarantine rows are written in input row
 * order. The write goes through Spark's commit protocol, so a retried task leaves neither duplicates nor gaps.
 */
public final class ShardWriter {
    private ShardWriter() {}

    /** Default rows per shard file. */
    public static final int DEFAULT_ROWS_PER_SHARD = 50_000;

    private static final String INPUT_ROW = "__td_input_row";

    /** A single shard of up to this many rows is written by one task without a shuffle. */
    static final long SMALL_ROWS = 20_000;

    /** The prepared rows of {@code phase} (1 or 2), unordered; schema {@code schema.prepared()}. */
    public static Dataset<Row> phaseRows(Dataset<Row> staged, Broadcast<RowAssignment> assignment, int phase,
            CheckedSchema schema) {
        int[] passIdx = passthroughIndices(schema);
        Dataset<Row> kept = staged.filter(functions.col(FormatContractTransform.REASON).isNull());
        return kept.mapPartitions(new PhaseFn(assignment, phase, passIdx), Encoders.row(schema.prepared()));
    }

    /** Writes {@code phase}'s {@code rows} rows to {@code dir} as {@code ceil(rows / rowsPerShard)} shards. */
    public static void writePhase(Dataset<Row> staged, Broadcast<RowAssignment> assignment, int phase,
            CheckedSchema schema, ShardFormat format, String dir, long rows, int rowsPerShard) {
        Dataset<Row> prepared = phaseRows(staged, assignment, phase, schema);
        write(orderByKey(prepared, 0, rows, rowsPerShard), format, dir);
    }

    /**
     * Orders {@code ds} by its long column {@code keyIdx} (dense keys 0..rows-1) into contiguous key ranges of
     * {@code rowsPerShard}, one partition each, sorted within. One shard: a single partition, no shuffle. More: an
     * exact range partitioner on the key (the keys are known to be dense, so no sampling job is needed).
     */
    static Dataset<Row> orderByKey(Dataset<Row> ds, int keyIdx, long rows, int rowsPerShard) {
        int shards = shards(rows, rowsPerShard);
        String key = ds.columns()[keyIdx];
        if (shards == 1 && rows <= SMALL_ROWS) {
            // One small shard: one task, no shuffle (coalesce keeps the upstream in that task, which is fine at this size).
            return ds.coalesce(1).sortWithinPartitions(key);
        }
        StructType schema = ds.schema();
        org.apache.spark.api.java.JavaRDD<Row> sorted = ds.javaRDD()
                .mapToPair(r -> new scala.Tuple2<>(r.getLong(keyIdx), r))
                .repartitionAndSortWithinPartitions(new DenseRangePartitioner(shards, rowsPerShard))
                .values();
        return ds.sparkSession().createDataFrame(sorted, schema);
    }

    /** Partition {@code k} holds keys {@code [k*rowsPerShard, (k+1)*rowsPerShard)}. */
    static final class DenseRangePartitioner extends org.apache.spark.Partitioner {
        private static final long serialVersionUID = 1L;
        private final int partitions;
        private final long rowsPerShard;

        DenseRangePartitioner(int partitions, long rowsPerShard) {
            this.partitions = partitions;
            this.rowsPerShard = rowsPerShard;
        }

        @Override
        public int numPartitions() {
            return partitions;
        }

        @Override
        public int getPartition(Object key) {
            long k = (Long) key;
            return (int) Math.min(partitions - 1, Math.max(0, k / rowsPerShard));
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof DenseRangePartitioner d && d.partitions == partitions && d.rowsPerShard == rowsPerShard;
        }

        @Override
        public int hashCode() {
            return Long.hashCode(partitions * 31L + rowsPerShard);
        }
    }

    /** The quarantine rows (original columns + reason, source_file, source_row), in input row order. */
    public static void writeQuarantine(Dataset<Row> staged, Broadcast<RowAssignment> assignment, CheckedSchema schema,
            ShardFormat format, String dir, long rows, int rowsPerShard) {
        List<StructField> fields = new ArrayList<>(List.of(schema.quarantine().fields()));
        fields.add(DataTypes.createStructField(INPUT_ROW, DataTypes.LongType, false));
        StructType withRow = new StructType(fields.toArray(new StructField[0]));
        int inputWidth = schema.input().fields().length;
        Dataset<Row> q = staged.filter(functions.col(FormatContractTransform.REASON).isNotNull())
                .mapPartitions(new QuarantineFn(assignment, inputWidth), Encoders.row(withRow));
        // Input row indices of quarantined rows are sparse: one ordered shard per rowsPerShard rows is enough here.
        Dataset<Row> ordered = shards(rows, rowsPerShard) == 1 && rows <= SMALL_ROWS
                ? q.coalesce(1).sortWithinPartitions(INPUT_ROW)
                : q.repartitionByRange(shards(rows, rowsPerShard), functions.col(INPUT_ROW)).sortWithinPartitions(INPUT_ROW);
        write(ordered.drop(INPUT_ROW), format, dir);
    }

    /** Writes a staged dataset (internal, always Parquet). */
    public static void writeStaged(Dataset<Row> staged, String dir) {
        staged.write().mode(SaveMode.ErrorIfExists).parquet(dir);
    }

    static void write(Dataset<Row> ds, ShardFormat format, String dir) {
        var w = ds.write().mode(SaveMode.ErrorIfExists).format(sparkSource(format));
        if (format == ShardFormat.JSONL) {
            w = w.option("ignoreNullFields", "false").option("encoding", "UTF-8");
        }
        w.save(dir);
    }

    /** The Spark data source of a shard format. */
    public static String sparkSource(ShardFormat format) {
        return switch (format) {
            case PARQUET -> "parquet";
            case JSONL -> "json";
        };
    }

    static int shards(long rows, int rowsPerShard) {
        if (rowsPerShard < 1) {
            throw new IllegalArgumentException("rowsPerShard must be at least 1, got " + rowsPerShard);
        }
        return (int) Math.max(1, (rows + rowsPerShard - 1) / rowsPerShard);
    }

    private static int[] passthroughIndices(CheckedSchema schema) {
        int lead = FormatContractTransform.STAGED_LEADING.size();
        int[] idx = new int[schema.passthrough().size()];
        for (int i = 0; i < idx.length; i++) {
            idx[i] = lead + schema.input().fieldIndex(schema.passthrough().fields()[i].name());
        }
        return idx;
    }

    /** Staged kept row → prepared row of one phase (rows not in the phase are skipped). */
    private static final class PhaseFn implements MapPartitionsFunction<Row, Row> {
        private static final long serialVersionUID = 1L;
        private final Broadcast<RowAssignment> assignment;
        private final int phase;
        private final int[] passIdx;

        PhaseFn(Broadcast<RowAssignment> assignment, int phase, int[] passIdx) {
            this.assignment = assignment;
            this.phase = phase;
            this.passIdx = passIdx;
        }

        @Override
        public Iterator<Row> call(Iterator<Row> rows) {
            RowAssignment a = assignment.value();
            int lead = Columns.PREPARED_LEADING.size();
            return new Iterator<>() {
                private Row next;
                private long emitted;

                @Override
                public boolean hasNext() {
                    while (next == null && rows.hasNext()) {
                        Row r = rows.next();
                        int g = a.inputRow(r.getInt(0), r.getLong(1));
                        int position = a.position(phase, g);
                        if (position == RowAssignment.NONE) {
                            continue;
                        }
                        Object[] out = new Object[lead + passIdx.length];
                        out[0] = (long) position;
                        out[1] = r.getString(4); // type
                        out[2] = r.getString(5); // user turn
                        out[3] = r.getString(6); // assistant turn
                        out[4] = (long) a.phaseIndex(phase, g);
                        out[5] = r.getString(2); // source_file
                        out[6] = (long) a.sourceRow(g);
                        for (int i = 0; i < passIdx.length; i++) {
                            out[lead + i] = r.get(passIdx[i]);
                        }
                        next = RowFactory.create(out);
                    }
                    return next != null;
                }

                @Override
                public Row next() {
                    if (!hasNext()) {
                        throw new NoSuchElementException();
                    }
                    if (emitted++ == 1) {
                        FailureInjection.maybeFail("shard" + phase);
                    }
                    Row r = next;
                    next = null;
                    return r;
                }
            };
        }
    }

    /** Staged dropped row → original columns + reason, source_file, source_row, input row. */
    private static final class QuarantineFn implements MapPartitionsFunction<Row, Row> {
        private static final long serialVersionUID = 1L;
        private final Broadcast<RowAssignment> assignment;
        private final int inputWidth;

        QuarantineFn(Broadcast<RowAssignment> assignment, int inputWidth) {
            this.assignment = assignment;
            this.inputWidth = inputWidth;
        }

        @Override
        public Iterator<Row> call(Iterator<Row> rows) {
            RowAssignment a = assignment.value();
            int lead = FormatContractTransform.STAGED_LEADING.size();
            return new Iterator<>() {
                @Override
                public boolean hasNext() {
                    return rows.hasNext();
                }

                @Override
                public Row next() {
                    Row r = rows.next();
                    int g = a.inputRow(r.getInt(0), r.getLong(1));
                    Object[] out = new Object[inputWidth + 4];
                    for (int i = 0; i < inputWidth; i++) {
                        out[i] = r.get(lead + i);
                    }
                    out[inputWidth] = r.getString(3); // reason
                    out[inputWidth + 1] = r.getString(2); // source_file
                    out[inputWidth + 2] = (long) a.sourceRow(g);
                    out[inputWidth + 3] = (long) g;
                    return RowFactory.create(out);
                }
            };
        }
    }
}
