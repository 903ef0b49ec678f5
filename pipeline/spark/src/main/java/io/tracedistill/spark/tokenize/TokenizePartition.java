package io.tracedistill.spark.tokenize;

import io.tracedistill.tokens.MaskedExample;
import java.io.Serializable;
import java.time.LocalDate;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.util.CollectionAccumulator;

/**
 * The executor side of the tokenize stage: maps a partition of prepared rows to "work" rows = the prepared row
 * followed by the tokenize outcome columns ({@link #WORK_COLUMNS}). The tokenizer and template come from the per-JVM
 * {@link ExecutorResources} cache, so a JVM loads them once however many tasks and partitions it runs.
 */
final class TokenizePartition implements MapPartitionsFunction<Row, Row> {

    private static final long serialVersionUID = 1L;

    /** Internal work columns (prefixed so they cannot collide with passthrough input columns). */
    static final String W_REASON = "_td_reason";
    static final String W_DETAIL = "_td_detail";
    static final String W_INPUT_IDS = "_td_input_ids";
    static final String W_LABELS = "_td_labels";
    static final String W_NUM_TOKENS = "_td_num_tokens";
    static final String W_NUM_LOSS_TOKENS = "_td_num_loss_tokens";
    static final List<String> WORK_COLUMNS =
            List.of(W_REASON, W_DETAIL, W_INPUT_IDS, W_LABELS, W_NUM_TOKENS, W_NUM_LOSS_TOKENS);

    private final String modelDir;
    private final boolean enableThinking;
    private final LocalDate chatDate;
    private final int maxLength;
    private final TurnRenderer.Factory factory;
    private final int userIndex;
    private final int assistantIndex;
    /** Where the outcome counts go; null when the caller does not want them. */
    private final Outcomes outcomes;

    /**
     * Sends each partition's outcome counts ({@link OutcomeCounts.Counter}), once it is mapped to its end, to
     * {@code accumulator} as one {@link OutcomeCounts.Partition} of slice {@code slice}; {@code typeIndex} is the
     * prepared {@code type} column's position.
     */
    record Outcomes(CollectionAccumulator<OutcomeCounts.Partition> accumulator, String slice, int typeIndex)
            implements Serializable {}

    TokenizePartition(String modelDir, boolean enableThinking, LocalDate chatDate, int maxLength,
            TurnRenderer.Factory factory, int userIndex, int assistantIndex, Outcomes outcomes) {
        this.modelDir = modelDir;
        this.enableThinking = enableThinking;
        this.chatDate = chatDate;
        this.maxLength = maxLength;
        this.factory = factory;
        this.userIndex = userIndex;
        this.assistantIndex = assistantIndex;
        this.outcomes = outcomes;
    }

    /** The work schema: the prepared schema + the outcome columns (all nullable: set for kept or for dropped rows). */
    static StructType workSchema(StructType prepared) {
        StructType s = prepared;
        s = s.add(DataTypes.createStructField(W_REASON, DataTypes.StringType, true));
        s = s.add(DataTypes.createStructField(W_DETAIL, DataTypes.StringType, true));
        s = s.add(DataTypes.createStructField(W_INPUT_IDS, DataTypes.createArrayType(DataTypes.IntegerType, false),
                true));
        s = s.add(DataTypes.createStructField(W_LABELS, DataTypes.createArrayType(DataTypes.IntegerType, false),
                true));
        s = s.add(DataTypes.createStructField(W_NUM_TOKENS, DataTypes.IntegerType, true));
        s = s.add(DataTypes.createStructField(W_NUM_LOSS_TOKENS, DataTypes.IntegerType, true));
        return s;
    }

    @Override
    public Iterator<Row> call(Iterator<Row> rows) {
        ExecutorResources resources = ExecutorResources.get(modelDir, enableThinking, chatDate, factory);
        RowTokenizer rowTokenizer = new RowTokenizer(resources.tokenizer(), resources.renderer(), maxLength);
        OutcomeCounts.Counter counter = outcomes == null ? null : new OutcomeCounts.Counter();
        return new Iterator<>() {
            private boolean sent;

            @Override
            public boolean hasNext() {
                boolean more = rows.hasNext();
                if (!more && counter != null && !sent) { // the whole partition is mapped: its counts, once
                    sent = true;
                    outcomes.accumulator().add(new OutcomeCounts.Partition(outcomes.slice(),
                            TaskContext.getPartitionId(), counter.rows()));
                }
                return more;
            }

            @Override
            public Row next() {
                return toWorkRow(rows.next(), rowTokenizer, counter);
            }
        };
    }

    private Row toWorkRow(Row row, RowTokenizer rowTokenizer, OutcomeCounts.Counter counter) {
        int n = row.length();
        Object[] values = new Object[n + WORK_COLUMNS.size()];
        for (int i = 0; i < n; i++) {
            values[i] = row.get(i);
        }
        TokenizedRow outcome = rowTokenizer.tokenize(row.getString(userIndex), row.getString(assistantIndex));
        if (outcome instanceof TokenizedRow.Kept kept) {
            MaskedExample ex = kept.example();
            values[n + 2] = ex.inputIds();
            values[n + 3] = ex.labels();
            values[n + 4] = ex.numTokens();
            values[n + 5] = ex.numLossTokens();
            if (counter != null) {
                counter.add(row.getString(outcomes.typeIndex()), null, ex.numTokens(), ex.numLossTokens());
            }
        } else if (outcome instanceof TokenizedRow.Dropped dropped) {
            values[n] = dropped.reason().code();
            values[n + 1] = dropped.detail();
            if (counter != null) {
                counter.add(row.getString(outcomes.typeIndex()), dropped.reason().code(), 0, 0);
            }
        }
        return RowFactory.create(values);
    }

    /** Index of a field, with an error naming the missing column and the columns found. */
    static int fieldIndex(StructType schema, String column, String where) {
        for (int i = 0; i < schema.fields().length; i++) {
            StructField f = schema.fields()[i];
            if (f.name().equals(column)) {
                return i;
            }
        }
        throw new IllegalArgumentException("Prepared shard " + where + " has no column '" + column
                + "' (columns found: " + String.join(", ", schema.fieldNames())
                + "). Re-run the prepare stage with this version of tracedistill.");
    }
}
