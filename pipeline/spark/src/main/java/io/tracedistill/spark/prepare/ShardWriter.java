package io.tracedistill.spark.prepare;

import io.tracedistill.config.ShardFormat;
import io.tracedistill.run.Phase;
import io.tracedistill.spark.Columns;
import io.tracedistill.spark.ExactPartitions;
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
 * Step 5 of prepare: writes the prepared shards of both phases in training order, and the quarantine.
 *
 * <p>Phase shards: every kept staged row becomes a {@link ShardSchemas#prepared} row in each phase that holds it
 * (a hard row can be in both). One pass and one shuffle serve both phases: phase {@code p}'s positions
 * {@code [b*rowsPerShard, (b+1)*rowsPerShard)} go to shuffle partition {@code first(p) + b} exactly
 * ({@link ExactPartitions}) and are sorted within it, so one partition is one file holding a contiguous block of
 * positions; publishing renumbers each phase's files from {@code part-00000}, so file names sort in position
 * order. Quarantine rows are written in input row order. The writes go through Spark's commit protocol, so a
 * retried task leaves neither duplicates nor gaps.
 */
public final class ShardWriter {
    private ShardWriter() {}

    /** Default rows per shard file. */
    public static final int DEFAULT_ROWS_PER_SHARD = 50_000;

    private static final String INPUT_ROW = "__td_input_row";
    /** {@link Phase#values()} once (the per-row loop must not clone it). */
    private static final Phase[] PHASES = Phase.values();
    /** The shuffle partition of a row of {@link #preparedRows} (phase {@code p}'s block {@code b}: first(p) + b). */
    public static final String PART = "__td_part";

    /** A single shard of up to this many rows is written by one task without a shuffle. */
    static final long SMALL_ROWS = 20_000;

    /** Where {@link #writePhases} put each phase: shuffle partitions {@code [0, shards1)} are phase 1, the rest phase 2. */
    public record PhaseParts(int shards1, int shards2) implements java.io.Serializable {
        /** The first shuffle partition of {@code phase}. */
        public int first(Phase phase) {
            return phase == Phase.PHASE1 ? 0 : shards1;
        }

        /** The number of shards of {@code phase}. */
        public int count(Phase phase) {
            return phase == Phase.PHASE1 ? shards1 : shards2;
        }
    }

    /**
     * Writes both phases' prepared rows to {@code dir} in one pass over the staged rows and one shuffle: phase
     * {@code p}'s position block {@code b} ({@code rowsPerShard} positions) is shuffle partition
     * {@code first(p) + b}, sorted by position, one file each ({@code part-<partition>…}).
     * {@link io.tracedistill.spark.ShardFiles#publishParts} then moves them into the phase directories.
     */
    public static PhaseParts writePhases(Dataset<Row> staged, Broadcast<RowAssignment> assignment, CheckedSchema schema,
            ShardFormat format, String dir, long rows1, long rows2, int rowsPerShard) {
        PhaseParts parts = new PhaseParts(shards(rows1, rowsPerShard), shards(rows2, rowsPerShard));
        Dataset<Row> rows = preparedRows(staged, assignment, schema, parts, rowsPerShard);
        write(ExactPartitions.shuffle(rows, PART, parts.shards1() + parts.shards2(), Columns.POSITION), format, dir);
        return parts;
    }

    /**
     * The prepared rows of both phases: each kept staged row once per phase that holds it (schema
     * {@code schema.prepared()}: position in that phase's training order, type, prompt, completion, phase_index,
     * source_file, source_row, passthrough columns), then {@link #PART}. What {@link #writePhases} writes; the
     * {@code spark.ml} stage {@code PhaseSplitStage} returns it.
     */
    public static Dataset<Row> preparedRows(Dataset<Row> staged, Broadcast<RowAssignment> assignment,
            CheckedSchema schema, PhaseParts parts, int rowsPerShard) {
        List<StructField> fields = new ArrayList<>(List.of(schema.prepared().fields()));
        fields.add(DataTypes.createStructField(PART, DataTypes.IntegerType, false));
        return staged.filter(functions.col(FormatContractTransform.STAGED_REASON).isNull())
                .mapPartitions(new PhaseFn(assignment, passthroughIndices(schema), parts, rowsPerShard),
                        Encoders.row(new StructType(fields.toArray(new StructField[0]))));
    }

    /** The quarantine rows (original columns + {@link Columns#QUARANTINE_TRAILING}), in input row order. */
    public static void writeQuarantine(Dataset<Row> staged, Broadcast<RowAssignment> assignment, CheckedSchema schema,
            ShardFormat format, String dir, long rows, int rowsPerShard) {
        List<StructField> fields = new ArrayList<>(List.of(schema.quarantine().fields()));
        fields.add(DataTypes.createStructField(INPUT_ROW, DataTypes.LongType, false));
        StructType withRow = new StructType(fields.toArray(new StructField[0]));
        int inputWidth = schema.input().fields().length;
        // Only the identity, the reason and the original columns are read: the staged turns (the largest columns)
        // are replaced by nulls before the scan, so Parquet skips them.
        List<org.apache.spark.sql.Column> cols = new ArrayList<>();
        for (StructField f : FormatContractTransform.STAGED_LEADING.fields()) {
            boolean needed = List.of(FormatContractTransform.PID, FormatContractTransform.POS, Columns.SOURCE_FILE,
                    FormatContractTransform.STAGED_REASON, InputReader.LINE, InputReader.READ_DETAIL,
                    InputReader.READ_RAW).contains(f.name());
            cols.add(needed ? functions.col(f.name()) : functions.lit(null).cast(f.dataType()).as(f.name()));
        }
        for (StructField f : schema.input().fields()) {
            cols.add(functions.col(f.name()));
        }
        Dataset<Row> q = staged.filter(functions.col(FormatContractTransform.STAGED_REASON).isNotNull())
                .select(cols.toArray(new org.apache.spark.sql.Column[0]))
                .mapPartitions(new QuarantineFn(assignment, inputWidth), Encoders.row(withRow));
        // Input row indices of quarantined rows are sparse: one ordered shard per rowsPerShard rows is enough here.
        Dataset<Row> ordered = shards(rows, rowsPerShard) == 1 && rows <= SMALL_ROWS
                ? q.coalesce(1).sortWithinPartitions(INPUT_ROW)
                : q.repartitionByRange(shards(rows, rowsPerShard), functions.col(INPUT_ROW)).sortWithinPartitions(INPUT_ROW);
        write(ordered.drop(INPUT_ROW), format, dir);
    }

    /** Writes a staged dataset (internal, always Parquet). */
    public static void writeStaged(Dataset<Row> staged, String dir) {
        parquetDictionaryOnlyFor(staged.write().mode(SaveMode.ErrorIfExists), List.of(FormatContractTransform.STAGED_TYPE,
                FormatContractTransform.STAGED_REASON, Columns.SOURCE_FILE)).parquet(dir);
    }

    static void write(Dataset<Row> ds, ShardFormat format, String dir) {
        var w = ds.write().mode(SaveMode.ErrorIfExists).format(format.sparkSource());
        if (format == ShardFormat.JSONL) {
            w = w.option("ignoreNullFields", "false").option("encoding", "UTF-8");
        } else {
            List<String> present = List.of(ds.columns());
            List<String> low = new ArrayList<>();
            for (String c : List.of(Columns.TYPE, Columns.SOURCE_FILE, Columns.QUARANTINE_REASON)) {
                if (present.contains(c)) {
                    low.add(c);
                }
            }
            w = parquetDictionaryOnlyFor(w, low);
        }
        w.save(dir);
    }

    /**
     * Parquet dictionary encoding only for the low-cardinality columns: on long unique text (prompts, traces) the
     * writer hashes every value until its dictionary overflows and then falls back anyway, which costs CPU and
     * saves nothing (parquet-mr per-column config {@code parquet.enable.dictionary#<column>}).
     */
    private static org.apache.spark.sql.DataFrameWriter<Row> parquetDictionaryOnlyFor(
            org.apache.spark.sql.DataFrameWriter<Row> w, List<String> columns) {
        w = w.option("parquet.enable.dictionary", "false");
        for (String c : columns) {
            w = w.option("parquet.enable.dictionary#" + c, "true");
        }
        return w;
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

    /** Staged kept row → its prepared row in each phase that holds it, tagged with its shuffle partition. */
    private static final class PhaseFn implements MapPartitionsFunction<Row, Row> {
        private static final long serialVersionUID = 1L;
        private final Broadcast<RowAssignment> assignment;
        private final int[] passIdx;
        private final PhaseParts parts;
        private final int rowsPerShard;

        PhaseFn(Broadcast<RowAssignment> assignment, int[] passIdx, PhaseParts parts, int rowsPerShard) {
            this.assignment = assignment;
            this.passIdx = passIdx;
            this.parts = parts;
            this.rowsPerShard = rowsPerShard;
        }

        @Override
        public Iterator<Row> call(Iterator<Row> rows) {
            RowAssignment a = assignment.value();
            int lead = Columns.PREPARED_LEADING.size();
            return new Iterator<>() {
                private final Row[] pending = new Row[2];
                private int pendingCount;
                private int pendingNext;
                private final long[] emitted = new long[2];

                @Override
                public boolean hasNext() {
                    while (pendingNext == pendingCount && rows.hasNext()) {
                        pendingCount = 0;
                        pendingNext = 0;
                        Row r = rows.next();
                        int g = a.inputRow(r.getInt(0), r.getLong(1));
                        for (Phase phase : PHASES) {
                            int position = a.position(phase, g);
                            if (position == RowAssignment.NONE) {
                                continue;
                            }
                            Object[] out = preparedValues(r, position, a.phaseIndex(phase, g), a.sourceRow(g), passIdx, 1);
                            out[lead + passIdx.length] = parts.first(phase) + position / rowsPerShard;
                            if (emitted[phase.ordinal()]++ == 1) {
                                FailureInjection.maybeFail("shard" + phase.number());
                            }
                            pending[pendingCount++] = RowFactory.create(out);
                        }
                    }
                    return pendingNext < pendingCount;
                }

                @Override
                public Row next() {
                    if (!hasNext()) {
                        throw new NoSuchElementException();
                    }
                    Row r = pending[pendingNext];
                    pending[pendingNext++] = null;
                    return r;
                }
            };
        }
    }

    /**
     * The prepared columns of a staged kept row ({@link Columns#PREPARED_LEADING} + passthrough), plus {@code extra}
     * empty slots at the end for the caller.
     */
    private static Object[] preparedValues(Row r, long position, long phaseIndex, long sourceRow, int[] passIdx, int extra) {
        int lead = Columns.PREPARED_LEADING.size();
        Object[] out = new Object[lead + passIdx.length + extra];
        out[0] = position;
        out[1] = r.getString(4); // type
        out[2] = r.getString(5); // user turn
        out[3] = r.getString(6); // assistant turn
        out[4] = phaseIndex;
        out[5] = r.getString(2); // source_file
        out[6] = sourceRow;
        for (int i = 0; i < passIdx.length; i++) {
            out[lead + i] = r.get(passIdx[i]);
        }
        return out;
    }

    /**
     * The held-out slice ({@code holdout_fraction}): its kept staged rows as prepared rows, {@code position} =
     * {@code phase_index} = the row's place in the slice (ascending input row), range-partitioned and sorted by
     * position so file name order is slice order.
     */
    public static void writeHeldOut(Dataset<Row> staged, Broadcast<RowAssignment> assignment, CheckedSchema schema,
            ShardFormat format, String dir, long rows, int rowsPerShard) {
        int[] passIdx = passthroughIndices(schema);
        Dataset<Row> held = staged.filter(functions.col(FormatContractTransform.STAGED_REASON).isNull())
                .mapPartitions((MapPartitionsFunction<Row, Row>) it -> {
                    RowAssignment a = assignment.value();
                    List<Row> out = new ArrayList<>();
                    while (it.hasNext()) {
                        Row r = it.next();
                        int g = a.inputRow(r.getInt(0), r.getLong(1));
                        int p = a.heldOutPosition(g);
                        if (p != RowAssignment.NONE) {
                            out.add(RowFactory.create(preparedValues(r, p, p, a.sourceRow(g), passIdx, 0)));
                        }
                    }
                    return out.iterator();
                }, Encoders.row(schema.prepared()));
        Dataset<Row> ordered = shards(rows, rowsPerShard) == 1 && rows <= SMALL_ROWS
                ? held.coalesce(1).sortWithinPartitions(Columns.POSITION)
                : held.repartitionByRange(shards(rows, rowsPerShard), functions.col(Columns.POSITION))
                        .sortWithinPartitions(Columns.POSITION);
        write(ordered, format, dir);
    }

    /** Staged dropped row → original columns + reason, source_file, source_row, source_line, quarantine_detail, raw_record, input row. */
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
                    Object[] out = new Object[inputWidth + 7];
                    for (int i = 0; i < inputWidth; i++) {
                        out[i] = r.get(lead + i);
                    }
                    out[inputWidth] = r.getString(3); // reason
                    out[inputWidth + 1] = r.getString(2); // source_file
                    out[inputWidth + 2] = (long) a.sourceRow(g);
                    out[inputWidth + 3] = r.get(10); // source_line
                    out[inputWidth + 4] = r.get(11); // detail
                    out[inputWidth + 5] = r.get(12); // raw_record
                    out[inputWidth + 6] = (long) g;
                    return RowFactory.create(out);
                }
            };
        }
    }
}
