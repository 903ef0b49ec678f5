package io.tracedistill.spark.ml;

import io.tracedistill.contract.ColumnKeys;
import io.tracedistill.contract.FormatContract;
import io.tracedistill.spark.Columns;
import io.tracedistill.spark.prepare.CheckedSchema;
import io.tracedistill.spark.prepare.FormatContractTransform;
import io.tracedistill.spark.prepare.InputFile;
import io.tracedistill.spark.prepare.InputFormat;
import io.tracedistill.spark.prepare.InputReader;
import io.tracedistill.spark.prepare.InputTable;
import io.tracedistill.spark.prepare.SchemaCheck;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.apache.spark.ml.Transformer;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.ml.util.DefaultParamsWritable;
import org.apache.spark.ml.util.Identifiable$;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * The format contract + quarantine column as a {@code spark.ml} {@link Transformer}, for
 * {@code new Pipeline().setStages(...)} over a DataFrame in a notebook. It is prepare's own contract:
 * {@link #transform} calls {@link FormatContractTransform#transform} (the function {@code PrepareStage} runs) after
 * the same {@link SchemaCheck}, so its rows are the job's staged rows.
 *
 * <p>Input: the CoT rows as {@code InputReader} reads them (the input's own columns, then
 * {@link InputReader#READ_TRAILING}: {@code source_file}, line, read problem; a row the reader could not read is
 * quarantined with its reason, as in the job). Any DataFrame works: one without {@code source_file} gets the constant
 * {@value #DATAFRAME_SOURCE}, without the line/read-problem columns nulls (every row read). Output: one staged row per input
 * row, schema {@link FormatContractTransform#stagedSchema}: {@code __td_reason} is the quarantine column (null = kept,
 * else the reason), {@code __td_user}/{@code __td_assistant} the chat turns of a kept row, then the input's columns.
 *
 * <p>Params: {@code inputFormat} ({@code csv}: an empty cell is NaN as pandas reads it; {@code jsonl}; {@code parquet}),
 * {@code promptCol}, {@code cotCol}, {@code answerCol}, {@code typeCol} (config key {@code columns}),
 * {@code promptSuffix}, {@code minCotLen}. Saved and loaded with {@code MLWritable}/{@code MLReadable}
 * ({@code stage.save(path)}, {@code FormatContractStage.load(path)}).
 */
public final class FormatContractStage extends InputColumnsTransformer<FormatContractStage>
        implements DefaultParamsWritable {
    private static final long serialVersionUID = 1L;
    /** {@code source_file} of rows from a DataFrame that has none. */
    public static final String DATAFRAME_SOURCE = "<DataFrame>";

    private final Param<String> inputFormat;
    private final Param<String> promptSuffix;
    private final IntParam minCotLen;

    public FormatContractStage() {
        this(Identifiable$.MODULE$.randomUID("formatContract"));
    }

    /** With {@code uid} (the constructor {@code MLReader} calls). */
    public FormatContractStage(String uid) {
        super(uid);
        inputFormat = new Param<>(this, "inputFormat",
                "how cells are read: csv (an empty cell is NaN, as pandas reads it), jsonl or parquet");
        promptSuffix = new Param<>(this, "promptSuffix", "appended to the prompt to make the user turn (prompt_suffix)");
        minCotLen = new IntParam(this, "minCotLen", "shorter traces are quarantined (min_cot_len)");
        setDefault(inputFormat, "csv");
        setDefault(promptSuffix, FormatContract.DEFAULT_PROMPT_SUFFIX);
        setDefault(minCotLen, FormatContract.DEFAULT_MIN_COT_LEN);
    }

    public static MLReader<FormatContractStage> read() {
        return new DefaultParamsReader<>();
    }

    public static FormatContractStage load(String path) {
        return read().load(path);
    }

    public Param<String> inputFormat() {
        return inputFormat;
    }

    public Param<String> promptSuffix() {
        return promptSuffix;
    }

    public IntParam minCotLen() {
        return minCotLen;
    }

    public FormatContractStage setInputFormat(String v) {
        set(inputFormat, v);
        return this;
    }

    public FormatContractStage setPromptSuffix(String v) {
        set(promptSuffix, v);
        return this;
    }

    public FormatContractStage setMinCotLen(int v) {
        set(minCotLen, v);
        return this;
    }

    /** The contract parameters as prepare holds them. */
    public FormatContractTransform.Params contractParams() {
        return new FormatContractTransform.Params($(promptSuffix), (Integer) $(minCotLen));
    }

    private InputFormat format() {
        String f = $(inputFormat);
        for (InputFormat v : InputFormat.values()) {
            if (v.name().equalsIgnoreCase(f)) {
                return v;
            }
        }
        throw new IllegalArgumentException("FormatContractStage param inputFormat is '" + f + "'; set it to one of "
                + Arrays.stream(InputFormat.values()).map(v -> v.name().toLowerCase(Locale.ROOT)).toList());
    }

    /** The input's own columns: {@code schema} without the reader's trailing columns ({@link InputReader#READ_TRAILING}). */
    private static StructType inputSchema(StructType schema) {
        List<String> trailing = Arrays.asList(InputReader.READ_TRAILING.fieldNames());
        return new StructType(Arrays.stream(schema.fields()).filter(f -> !trailing.contains(f.name()))
                .toArray(StructField[]::new));
    }

    /**
     * The DataFrame as the table {@link InputReader#read} gives: the input's own columns in order, then
     * {@link InputReader#READ_TRAILING} (the layout {@link FormatContractTransform} reads by position). A trailing
     * column the DataFrame lacks is filled: {@code source_file} with {@value #DATAFRAME_SOURCE}, the line and read
     * problem with null (every row was read). No line counts: they belong to the prepare manifest, not the rows.
     */
    private InputTable table(Dataset<?> dataset) {
        Dataset<Row> rows = dataset.toDF();
        List<String> present = Arrays.asList(rows.columns());
        StructType input = inputSchema(rows.schema());
        List<Column> cols = new ArrayList<>();
        for (String n : input.fieldNames()) {
            cols.add(rows.col("`" + n.replace("`", "``") + "`"));
        }
        for (StructField f : InputReader.READ_TRAILING.fields()) {
            if (present.contains(f.name())) {
                cols.add(rows.col(f.name()).cast(f.dataType()));
            } else if (f.name().equals(Columns.SOURCE_FILE)) {
                cols.add(functions.lit(DATAFRAME_SOURCE).as(f.name()));
            } else {
                cols.add(functions.lit(null).cast(f.dataType()).as(f.name()));
            }
        }
        rows = rows.select(cols.toArray(new Column[0]));
        return new InputTable(DATAFRAME_SOURCE, format(), List.of(new InputFile(DATAFRAME_SOURCE, 0, 0)), input, rows,
                null);
    }

    @Override
    public Dataset<Row> transform(Dataset<?> dataset) {
        transformSchema(dataset.schema());
        InputTable t = table(dataset);
        CheckedSchema checked = SchemaCheck.check(t, columns(), null);
        return FormatContractTransform.transform(t, checked, contractParams());
    }

    /**
     * The staged schema; fails like prepare (naming the missing columns and the param that maps them) when an input
     * column is missing or not a scalar.
     */
    @Override
    public StructType transformSchema(StructType schema) {
        format();
        StructType input = inputSchema(schema);
        ColumnKeys keys = columns();
        for (String c : List.of(keys.prompt(), keys.cot(), keys.answer(), keys.type())) {
            if (!Arrays.asList(input.fieldNames()).contains(c)) {
                throw new IllegalArgumentException("FormatContractStage: the input has no column '" + c + "' (columns: "
                        + Arrays.toString(input.fieldNames()) + "); map the input's columns with setColumns or the params"
                        + " promptCol, cotCol, answerCol, typeCol");
            }
        }
        return FormatContractTransform.stagedSchema(input);
    }

    @Override
    public FormatContractStage copy(ParamMap extra) {
        return defaultCopy(extra);
    }
}
