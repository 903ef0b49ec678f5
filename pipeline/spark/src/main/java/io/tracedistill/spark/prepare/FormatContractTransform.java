package io.tracedistill.spark.prepare;

import io.tracedistill.contract.BoxedText;
import io.tracedistill.contract.ColumnKeys;
import io.tracedistill.contract.FormatContract;
import io.tracedistill.contract.RecordOutcome;
import io.tracedistill.python.PyText;
import io.tracedistill.python.PyValue;
import io.tracedistill.spark.Columns;
import io.tracedistill.spark.FailureInjection;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.util.CollectionAccumulator;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;

/**
 * Step 3 of prepare: the format contract as a DataFrame transform. Every input row goes through
 * {@link FormatContract#build} exactly as the reference's {@code build_record} would see it, and comes out as
 * one "staged" row: the outcome (user/assistant turns or a quarantine reason), the row's identity in the read
 * (partition id and position, which {@link PhaseSplitter} turns into the input row index), data-quality
 * measurements, and the original columns (all of them for a dropped row, for the quarantine; the passthrough
 * ones for a kept row).
 *
 * <p>Cell semantics (where prepare differs from the reference's pandas, see the README): a CSV cell is its text;
 * an empty CSV cell is pandas' NaN (so a blank cot is {@code nan_cot}, a blank prompt or answer renders as
 * {@code nan}); a JSON/Parquet null is Python {@code None}; Parquet numbers and booleans keep their type
 * ({@code str(4.0) == "4.0"}). Reference: {@code tracedistill/formatting.py::build_record}.
 */
public final class FormatContractTransform {
    private FormatContractTransform() {}

    /** Staged columns (prefixed so they cannot meet an input column). */
    public static final String PID = "__td_pid";
    public static final String POS = "__td_pos";
    public static final String STAGED_REASON = "__td_reason";
    public static final String STAGED_TYPE = "__td_type";
    public static final String USER = "__td_user";
    public static final String ASSISTANT = "__td_assistant";
    public static final String COT_LEN = "__td_cot_len";
    public static final String PROMPT_LEN = "__td_prompt_len";
    public static final String BOXED = "__td_boxed";
    /** The row's {@link TargetIssue} set (0 = none). */
    public static final String ISSUES = "__td_issues";

    /** {@link #BOXED} values: the trace's last balanced \boxed{} equals str(answer) (both stripped). */
    public static final byte BOXED_AGREES = 0;
    /** The trace's last \boxed{} differs from str(answer). */
    public static final byte BOXED_DISAGREES = 1;
    /** The trace has no balanced \boxed{}. */
    public static final byte BOXED_ABSENT = 2;

    /** The staged leading columns; the input's own columns follow. */
    public static final StructType STAGED_LEADING = new StructType(new StructField[] {
        DataTypes.createStructField(PID, DataTypes.IntegerType, false),
        DataTypes.createStructField(POS, DataTypes.LongType, false),
        DataTypes.createStructField(Columns.SOURCE_FILE, DataTypes.StringType, false),
        DataTypes.createStructField(STAGED_REASON, DataTypes.StringType, true),
        DataTypes.createStructField(STAGED_TYPE, DataTypes.StringType, true),
        DataTypes.createStructField(USER, DataTypes.StringType, true),
        DataTypes.createStructField(ASSISTANT, DataTypes.StringType, true),
        DataTypes.createStructField(COT_LEN, DataTypes.IntegerType, false),
        DataTypes.createStructField(PROMPT_LEN, DataTypes.IntegerType, false),
        DataTypes.createStructField(BOXED, DataTypes.ByteType, false),
        // Where the row was read and what kept it from being read (InputReader.READ_TRAILING), for the quarantine.
        DataTypes.createStructField(InputReader.LINE, DataTypes.LongType, true),
        DataTypes.createStructField(InputReader.READ_DETAIL, DataTypes.StringType, true),
        DataTypes.createStructField(InputReader.READ_RAW, DataTypes.StringType, true),
        DataTypes.createStructField(ISSUES, DataTypes.ByteType, false),
    });

    /**
     * The contract parameters (config keys {@code prompt_suffix}, {@code min_cot_len}, {@code strict_data}: quarantine
     * rows whose target is malformed, {@link TargetIssue}, instead of keeping them as the reference does).
     */
    public record Params(String promptSuffix, int minCotLen, boolean strictData) implements java.io.Serializable {
        public Params(String promptSuffix, int minCotLen) {
            this(promptSuffix, minCotLen, false);
        }

        public static Params defaults() {
            return new Params(FormatContract.DEFAULT_PROMPT_SUFFIX, FormatContract.DEFAULT_MIN_COT_LEN);
        }
    }

    /** The staged schema for an input schema (stated before any data moves). */
    public static StructType stagedSchema(StructType input) {
        List<StructField> fields = new ArrayList<>(List.of(STAGED_LEADING.fields()));
        for (StructField f : input.fields()) {
            // Nullable: the consumed cells of a kept row are staged as null.
            fields.add(DataTypes.createStructField(f.name(), f.dataType(), true, f.metadata()));
        }
        return new StructType(fields.toArray(new StructField[0]));
    }

    /**
     * Applies the contract to every row of {@code table.rows()} (input columns + source_file).
     *
     * @return the staged rows, schema {@link #stagedSchema(StructType)}
     */
    public static Dataset<Row> transform(InputTable table, CheckedSchema schema, Params params) {
        return transform(table, schema, params, null);
    }

    /**
     * {@link #transform(InputTable, CheckedSchema, Params)} that also adds, when a task has staged its whole
     * partition, that partition's split summary to {@code summaries} (see
     * {@link PhaseSplitter#fromStagingBlobs}): the staged write then doubles as the summary pass. Spark merges a
     * result task's accumulator update once, for its successful attempt; the driver checks that exactly one blob
     * per partition arrived and scans the staged copy otherwise.
     */
    public static Dataset<Row> transform(InputTable table, CheckedSchema schema, Params params,
            CollectionAccumulator<byte[]> summaries) {
        StructType input = schema.input();
        ColumnKeys k = schema.keys();
        RowFn fn = new RowFn(table.format(), input.fieldIndex(k.prompt()), input.fieldIndex(k.cot()),
                input.fieldIndex(k.answer()), input.fieldIndex(k.type()), input.fields().length, params, summaries);
        // On the reader's Java rows (InputTable#javaRows): a CSV cell is then encoded once, as a staged cell.
        return table.rows().sparkSession().createDataFrame(table.javaRows().mapPartitions(fn::call), stagedSchema(input));
    }

    /** Python value of one cell, per the format's semantics (see the class comment). */
    public static PyValue cell(InputFormat format, Object v) {
        switch (format) {
            case CSV:
                if (v == null || (v instanceof String s && s.isEmpty())) {
                    return new PyValue.Float(Double.NaN); // pandas read_csv: empty cell -> NaN
                }
                return PyValue.ofJava(v);
            case JSONL:
            case PARQUET:
            default:
                return PyValue.ofJava(v);
        }
    }

    /** True when {@code s} holds U+FFFD (the decoder's replacement character) or a lone surrogate. */
    public static boolean badEncoding(String s) {
        int n = s.length();
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (c == '\uFFFD') {
                return true;
            }
            if (Character.isHighSurrogate(c)) {
                if (i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
                    i++;
                    continue;
                }
                return true;
            }
            if (Character.isLowSurrogate(c)) {
                return true;
            }
        }
        return false;
    }

    /** Outcome of one row, independent of Spark (unit-testable). */
    public record Staged(String reason, String type, String user, String assistant, int cotLen, int promptLen,
            byte boxed, byte issues) {}

    /** Applies the contract and the prepare-level checks to one row's four cells. */
    public static Staged stage(PyValue prompt, PyValue cot, PyValue answer, PyValue type, Params params) {
        String typeStr = io.tracedistill.split.TwoPhaseSplit.typeString(type);
        String reason = null;
        for (PyValue v : new PyValue[] {prompt, cot, answer, type}) {
            if (v instanceof PyValue.Str s && badEncoding(s.value())) {
                reason = QuarantineReason.BAD_ENCODING;
                break;
            }
        }
        RecordOutcome outcome = FormatContract.build(prompt, cot, answer, params.promptSuffix(), params.minCotLen());
        if (reason == null && !outcome.isKept()) {
            reason = outcome.dropReason().orElseThrow().code();
        }
        if (reason == null && (typeStr == null || typeStr.isEmpty())) {
            reason = QuarantineReason.MISSING_TYPE;
        }
        byte issues = TargetIssue.of(prompt, cot, answer);
        if (reason == null && issues != 0 && params.strictData()) {
            reason = TargetIssue.in(issues).get(0).code();
        }
        String cotText = cot.pyStr();
        int cotLen = PyText.len(cotText);
        int promptLen = PyText.len(prompt.pyStr());
        Optional<String> last = BoxedText.lastBoxed(cotText);
        byte boxed = last.isEmpty() ? BOXED_ABSENT
                : PyText.strip(last.get()).equals(PyText.strip(answer.pyStr())) ? BOXED_AGREES : BOXED_DISAGREES;
        if (reason != null) {
            return new Staged(reason, typeStr, null, null, cotLen, promptLen, boxed, issues);
        }
        return new Staged(null, typeStr, outcome.chatRecord().user(), outcome.chatRecord().assistant(), cotLen,
                promptLen, boxed, issues);
    }

    /** The per-partition function; serializable, holds only indices and parameters. */
    private static final class RowFn implements MapPartitionsFunction<Row, Row> {
        private static final long serialVersionUID = 1L;
        private final InputFormat format;
        private final int promptIdx;
        private final int cotIdx;
        private final int answerIdx;
        private final int typeIdx;
        private final int inputWidth;
        private final Params params;

        private final boolean[] consumed;
        private final CollectionAccumulator<byte[]> summaries;

        RowFn(InputFormat format, int promptIdx, int cotIdx, int answerIdx, int typeIdx, int inputWidth,
                Params params, CollectionAccumulator<byte[]> summaries) {
            this.summaries = summaries;
            this.format = format;
            this.promptIdx = promptIdx;
            this.cotIdx = cotIdx;
            this.answerIdx = answerIdx;
            this.typeIdx = typeIdx;
            this.inputWidth = inputWidth;
            this.params = params;
            this.consumed = new boolean[inputWidth];
            for (int i : new int[] {promptIdx, cotIdx, answerIdx, typeIdx}) {
                consumed[i] = true;
            }
        }

        @Override
        public Iterator<Row> call(Iterator<Row> rows) {
            final int pid = TaskContext.getPartitionId();
            final int partitions = TaskContext.get() == null ? -1 : TaskContext.get().numPartitions();
            final StagedSummaryCodec.SummaryPacker packer = summaries == null ? null : new StagedSummaryCodec.SummaryPacker();
            return new Iterator<>() {
                private long pos = 0;
                private boolean published;

                @Override
                public boolean hasNext() {
                    boolean more = rows.hasNext();
                    if (!more && packer != null && !published) {
                        published = true;
                        summaries.add(packer.toStagingBlob(pid, partitions));
                    }
                    return more;
                }

                @Override
                public Row next() {
                    Row r = rows.next();
                    if (pos == 1) {
                        FailureInjection.maybeFail("contract");
                    }
                    String readReason = r.getString(inputWidth + 2);
                    Staged s = readReason != null ? new Staged(readReason, null, null, null, 0, 0, BOXED_ABSENT,
                            (byte) 0)
                            : stage(cell(format, r.get(promptIdx)), cell(format, r.get(cotIdx)),
                                    cell(format, r.get(answerIdx)), cell(format, r.get(typeIdx)), params);
                    Object[] out = new Object[STAGED_LEADING.size() + inputWidth];
                    out[0] = pid;
                    out[1] = pos++;
                    out[2] = r.getString(inputWidth); // source_file follows the input columns
                    out[3] = s.reason();
                    out[4] = s.type();
                    out[5] = s.user();
                    out[6] = s.assistant();
                    out[7] = s.cotLen();
                    out[8] = s.promptLen();
                    out[9] = s.boxed();
                    out[10] = r.get(inputWidth + 1); // line
                    out[11] = r.get(inputWidth + 3); // read problem
                    out[12] = r.get(inputWidth + 4); // raw record
                    out[13] = s.issues();
                    if (packer != null) {
                        packer.add(pid, pos - 1, (String) out[2], s.type(), s.reason(), s.cotLen(), s.promptLen(),
                                s.boxed(), s.issues());
                    }
                    // A kept row needs only its passthrough columns later (its turns are staged); a dropped row
                    // keeps every original column for the quarantine. Nulling the consumed cells of kept rows
                    // halves the staged volume.
                    boolean kept = s.reason() == null;
                    for (int i = 0; i < inputWidth; i++) {
                        out[STAGED_LEADING.size() + i] = kept && consumed[i] ? null : r.get(i);
                    }
                    return RowFactory.create(out);
                }
            };
        }
    }
}
