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
import java.util.Map;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.api.java.UDF2;
import org.apache.spark.sql.catalyst.expressions.objects.AssertNotNull;
import org.apache.spark.sql.expressions.UserDefinedFunction;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataType;
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
     *
     * <p>Built from column expressions, not a function over Java rows: only the row identity ({@code pid},
     * {@code pos}) goes through {@link PhaseSlots}, which returns the row's 0–2 phase slots, and {@code explode} makes
     * one row per slot. The text columns are carried as Spark holds them; turning every staged row into a Java
     * {@link Row} and back decoded and re-encoded all of its text (about a tenth of prepare's CPU on long traces).
     */
    public static Dataset<Row> preparedRows(Dataset<Row> staged, Broadcast<RowAssignment> assignment,
            CheckedSchema schema, PhaseParts parts, int rowsPerShard) {
        List<StructField> fields = new ArrayList<>(List.of(schema.prepared().fields()));
        fields.add(DataTypes.createStructField(PART, DataTypes.IntegerType, false));
        StructType target = new StructType(fields.toArray(new StructField[0]));
        UserDefinedFunction slots = functions.udf(new PhaseSlots(assignment, parts, rowsPerShard),
                PhaseSlots.TYPE).asNonNullable();
        Column slot = functions.col(SLOT);
        Map<String, Column> leading = Map.of(
                Columns.POSITION, slot.getField(Columns.POSITION),
                Columns.TYPE, functions.col(FormatContractTransform.STAGED_TYPE),
                Columns.PROMPT, functions.col(FormatContractTransform.USER),
                Columns.COMPLETION, functions.col(FormatContractTransform.ASSISTANT),
                Columns.PHASE_INDEX, slot.getField(Columns.PHASE_INDEX),
                Columns.SOURCE_FILE, functions.col(Columns.SOURCE_FILE),
                Columns.SOURCE_ROW, slot.getField(Columns.SOURCE_ROW),
                PART, slot.getField(PART));
        List<Column> out = new ArrayList<>();
        for (StructField f : target.fields()) {
            // Passthrough columns keep their input names in the staged rows.
            Column c = leading.getOrDefault(f.name(), functions.col(InputReader.quote(f.name())));
            out.add(f.nullable() ? c.as(f.name(), f.metadata()) : notNull(c).as(f.name(), f.metadata()));
        }
        Dataset<Row> rows = staged.filter(functions.col(FormatContractTransform.STAGED_REASON).isNull())
                .select(functions.col("*"), functions.explode(slots.apply(functions.col(FormatContractTransform.PID),
                        functions.col(FormatContractTransform.POS))).as(SLOT))
                .select(out.toArray(new Column[0]));
        if (!rows.schema().equals(target)) {
            throw new IllegalStateException("ShardWriter: the prepared rows' schema " + rows.schema().simpleString()
                    + " differs from the prepared-shard schema " + target.simpleString());
        }
        return rows;
    }

    private static final String SLOT = "__td_slot";

    /**
     * {@code c} declared not null, failing the task if a null ever arrives (Spark's {@code AssertNotNull}): the
     * prepared shard's leading columns are required, as the schema says, whatever the staged copy's nullability.
     */
    private static Column notNull(Column c) {
        return new Column(new AssertNotNull(c.expr(), scala.collection.immutable.List$.MODULE$.empty()));
    }

    /**
     * A staged row's identity ({@code pid}, {@code pos}) → its slots: one per phase that holds it (phase 1 first),
     * each (position in the phase's order, phase_index, source_row, shuffle partition {@code first(p) + position /
     * rowsPerShard}); none for a row in no phase (held out).
     */
    private static final class PhaseSlots implements UDF2<Integer, Long, Row[]> {
        private static final long serialVersionUID = 1L;
        static final DataType TYPE = DataTypes.createArrayType(new StructType(new StructField[] {
            DataTypes.createStructField(Columns.POSITION, DataTypes.LongType, false),
            DataTypes.createStructField(Columns.PHASE_INDEX, DataTypes.LongType, false),
            DataTypes.createStructField(Columns.SOURCE_ROW, DataTypes.LongType, false),
            DataTypes.createStructField(PART, DataTypes.IntegerType, false),
        }), false);
        private static final Row[] NONE = new Row[0];
        /** Per task thread: the task attempt counted, and the rows it has placed per phase (for the injection). */
        private static final ThreadLocal<long[]> EMITTED = ThreadLocal.withInitial(() -> new long[] {-1, 0, 0});
        private final Broadcast<RowAssignment> assignment;
        private final PhaseParts parts;
        private final int rowsPerShard;

        PhaseSlots(Broadcast<RowAssignment> assignment, PhaseParts parts, int rowsPerShard) {
            this.assignment = assignment;
            this.parts = parts;
            this.rowsPerShard = rowsPerShard;
        }

        @Override
        public Row[] call(Integer pid, Long pos) {
            RowAssignment a = assignment.value();
            int g = a.inputRow(pid, pos);
            int p1 = a.position(Phase.PHASE1, g);
            int p2 = a.position(Phase.PHASE2, g);
            if (p1 == RowAssignment.NONE && p2 == RowAssignment.NONE) {
                return NONE;
            }
            Row[] out = new Row[(p1 == RowAssignment.NONE ? 0 : 1) + (p2 == RowAssignment.NONE ? 0 : 1)];
            int k = 0;
            for (Phase phase : PHASES) {
                int position = phase == Phase.PHASE1 ? p1 : p2;
                if (position == RowAssignment.NONE) {
                    continue;
                }
                injectFailure(phase);
                out[k++] = RowFactory.create((long) position, (long) a.phaseIndex(phase, g), (long) a.sourceRow(g),
                        parts.first(phase) + position / rowsPerShard);
            }
            return out;
        }

        /** {@link FailureInjection} point {@code shard<n>}: at a task's second row of phase n, as before. */
        private static void injectFailure(Phase phase) {
            TaskContext tc = TaskContext.get();
            long[] e = EMITTED.get();
            long attempt = tc == null ? -1 : tc.taskAttemptId();
            if (e[0] != attempt) {
                e[0] = attempt;
                e[1] = 0;
                e[2] = 0;
            }
            if (e[1 + phase.ordinal()]++ == 1) {
                FailureInjection.maybeFail("shard" + phase.number());
            }
        }
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
