package io.tracedistill.spark.ml;

import io.tracedistill.spark.tokenize.ChatTemplateTurnRenderer;
import io.tracedistill.spark.tokenize.TokenizeStage;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import org.apache.spark.ml.Transformer;
import org.apache.spark.ml.param.BooleanParam;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.ml.util.DefaultParamsWritable;
import org.apache.spark.ml.util.Identifiable$;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructType;

/**
 * Chat render + tokenize + completion-only mask as a {@code spark.ml} {@link Transformer}: tokenize's own per-row work
 * ({@link TokenizeStage#tokenizeRows}, which the tokenize job runs on each phase), on the executors.
 *
 * <p>Input: prepared rows ({@code prepared/phase1} or {@code phase2} as the prepare job writes them: position, type,
 * prompt, completion, phase_index, source_file, source_row, passthrough columns). Output: those columns, then
 * {@link TokenizeStage#TOKENIZED_COLUMNS}: the quarantine reason and detail (null for a kept row), the token ids,
 * the labels ({@code -100} over the prompt span), the token and loss-token counts.
 *
 * <p>Params: {@code modelDir} ({@code base_model}: its {@code tokenizer.json} and chat template; a Hadoop URI is
 * copied to each node's cache), {@code maxLength}, {@code enableThinking}, {@code chatDate} ({@code yyyy-MM-dd}, the
 * date the template's {@code strftime_now} sees; empty = today, UTC). Saved and loaded with
 * {@code MLWritable}/{@code MLReadable}.
 */
public final class TokenizeMaskStage extends Transformer implements DefaultParamsWritable {
    private static final long serialVersionUID = 1L;

    private final String uid;
    private final Param<String> modelDir;
    private final IntParam maxLength;
    private final BooleanParam enableThinking;
    private final Param<String> chatDate;

    public TokenizeMaskStage() {
        this(Identifiable$.MODULE$.randomUID("tokenizeMask"));
    }

    /** With {@code uid} (the constructor {@code MLReader} calls). */
    public TokenizeMaskStage(String uid) {
        this.uid = uid;
        modelDir = new Param<>(this, "modelDir", "the base model folder (tokenizer.json, chat template): base_model");
        maxLength = new IntParam(this, "maxLength", "longer rows are quarantined as truncated (max_length)");
        enableThinking = new BooleanParam(this, "enableThinking", "passed to the chat template (enable_thinking)");
        chatDate = new Param<>(this, "chatDate", "yyyy-MM-dd the chat template's strftime_now sees; empty = today (UTC)");
        setDefault(maxLength, 8192);
        setDefault(enableThinking, true);
        setDefault(chatDate, "");
    }

    public static MLReader<TokenizeMaskStage> read() {
        return new DefaultParamsReader<>();
    }

    public static TokenizeMaskStage load(String path) {
        return read().load(path);
    }

    @Override
    public String uid() {
        return uid;
    }

    public Param<String> modelDir() {
        return modelDir;
    }

    public IntParam maxLength() {
        return maxLength;
    }

    public BooleanParam enableThinking() {
        return enableThinking;
    }

    public Param<String> chatDate() {
        return chatDate;
    }

    public TokenizeMaskStage setModelDir(String v) {
        set(modelDir, v);
        return this;
    }

    public TokenizeMaskStage setMaxLength(int v) {
        set(maxLength, v);
        return this;
    }

    public TokenizeMaskStage setEnableThinking(boolean v) {
        set(enableThinking, v);
        return this;
    }

    public TokenizeMaskStage setChatDate(String v) {
        set(chatDate, v);
        return this;
    }

    private LocalDate date() {
        String d = $(chatDate);
        if (d == null || d.isBlank()) {
            return LocalDate.now(ZoneOffset.UTC);
        }
        try {
            return LocalDate.parse(d.strip());
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("TokenizeMaskStage param chatDate is '" + d + "'; give a date as yyyy-MM-dd"
                    + " (e.g. 2025-07-10) or leave it empty for today", e);
        }
    }

    private String model() {
        if (!isDefined(modelDir)) {
            throw new IllegalArgumentException("TokenizeMaskStage: set modelDir (setModelDir) to the base model folder"
                    + " holding tokenizer.json and the chat template");
        }
        return $(modelDir);
    }

    @Override
    public Dataset<Row> transform(Dataset<?> dataset) {
        transformSchema(dataset.schema());
        return TokenizeStage.tokenizeRows(dataset.toDF(), model(), (Integer) $(maxLength), (Boolean) $(enableThinking),
                date(), ChatTemplateTurnRenderer.FACTORY, "the input of " + uid);
    }

    @Override
    public StructType transformSchema(StructType schema) {
        model();
        date();
        return TokenizeStage.tokenizedSchema(schema, "the input of " + uid);
    }

    @Override
    public TokenizeMaskStage copy(ParamMap extra) {
        return defaultCopy(extra);
    }
}
