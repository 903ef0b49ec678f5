package io.tracedistill.spark.eval;

import java.util.List;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * Columns of the predictions table {@code output_dir/eval/predictions/} (one row per eval row and arm, sorted by arm
 * order then {@link #ROW_INDEX}), defined once. Passthrough input columns (e.g. {@code id}) follow the leading ones
 * unchanged.
 */
public final class PredictionColumns {
    private PredictionColumns() {
    }

    /** long: 0-based index of the eval row in input order (file path, then row). */
    public static final String ROW_INDEX = "row_index";
    /** string: {@code base} or the adapter directory's name. */
    public static final String ARM = "arm";
    /** string: {@code str(type)}. */
    public static final String ROW_TYPE = "type";
    /** string: {@code str(answer)}, the gold answer graded against. */
    public static final String GOLD = "gold";
    /** string: the decoded new tokens, special tokens skipped ("" when not decoded). */
    public static final String OUTPUT = "output";
    /** string: the graded box content ("" when unparsed). */
    public static final String EXTRACTED = "extracted";
    /** boolean: the output holds a gradable box. */
    public static final String PARSED = "parsed";
    /** boolean: graded correct. */
    public static final String CORRECT = "correct";
    /** int: prompt tokens after the chat template (0 on a template error). */
    public static final String PROMPT_TOKENS = "prompt_tokens";
    /** int: generated tokens, eos included (0 when not decoded). */
    public static final String NUM_NEW_TOKENS = "num_new_tokens";
    /** string: {@code eos}, {@code max_new_tokens} or {@code not_decoded}. */
    public static final String FINISH = "finish";
    /** string, null when decoded: {@code prompt_too_long}, {@code template_error} or {@code malformed_input}. */
    public static final String SKIP_REASON = "reason";

    /** The leading columns, in order. */
    public static final StructType LEADING = new StructType(new StructField[] {
        DataTypes.createStructField(ROW_INDEX, DataTypes.LongType, false),
        DataTypes.createStructField(ARM, DataTypes.StringType, false),
        DataTypes.createStructField(ROW_TYPE, DataTypes.StringType, false),
        DataTypes.createStructField(GOLD, DataTypes.StringType, false),
        DataTypes.createStructField(OUTPUT, DataTypes.StringType, false),
        DataTypes.createStructField(EXTRACTED, DataTypes.StringType, false),
        DataTypes.createStructField(PARSED, DataTypes.BooleanType, false),
        DataTypes.createStructField(CORRECT, DataTypes.BooleanType, false),
        DataTypes.createStructField(PROMPT_TOKENS, DataTypes.IntegerType, false),
        DataTypes.createStructField(NUM_NEW_TOKENS, DataTypes.IntegerType, false),
        DataTypes.createStructField(FINISH, DataTypes.StringType, false),
        DataTypes.createStructField(SKIP_REASON, DataTypes.StringType, true),
    });

    public static List<String> leadingNames() {
        return List.of(LEADING.fieldNames());
    }

    /**
     * The table schema: {@link #LEADING} then {@code passthrough}.
     *
     * @throws IllegalArgumentException naming a passthrough column whose name is a prediction column
     */
    public static StructType schema(StructType passthrough) {
        List<StructField> fields = new java.util.ArrayList<>(List.of(LEADING.fields()));
        for (StructField f : passthrough.fields()) {
            if (leadingNames().contains(f.name())) {
                throw new IllegalArgumentException("Eval input column '" + f.name() + "' has the name of a "
                        + "predictions column " + leadingNames() + "; rename it in the eval file");
            }
            fields.add(f);
        }
        return new StructType(fields.toArray(new StructField[0]));
    }
}
