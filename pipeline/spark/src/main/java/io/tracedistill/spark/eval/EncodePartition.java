package io.tracedistill.spark.eval;

import io.tracedistill.eval.ArmModels;
import io.tracedistill.eval.ContextLimit;
import io.tracedistill.eval.EncodedPrompt;
import io.tracedistill.eval.SkipReason;
import io.tracedistill.eval.EvalExample;
import io.tracedistill.eval.EvalPromptEncoder;
import io.tracedistill.eval.EvalSettings;
import io.tracedistill.spark.ModelFolders;
import io.tracedistill.spark.Columns;
import io.tracedistill.spark.prepare.FormatContractTransform;
import io.tracedistill.spark.prepare.InputFormat;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * Eval step 1, on the executors: each input row → user turn ({@code str(prompt) + prompt_suffix}, as in training),
 * chat-template render and tokenization (cached encoder per JVM), the context rule, and the row's identity in the
 * read ({@code (partition id, position)}, turned into the input row index on the driver as prepare does). The input
 * row itself follows, for the passthrough columns.
 */
final class EncodePartition implements MapPartitionsFunction<Row, Row> {
    private static final long serialVersionUID = 1L;

    static final String PID = "__eval_pid";
    static final String POS = "__eval_pos";
    static final String EVAL_TYPE = "__eval_type";
    static final String GOLD = "__eval_gold";
    static final String IDS = "__eval_ids";
    static final String NTOK = "__eval_prompt_tokens";
    static final String SKIP = "__eval_skip";
    static final String DETAIL = "__eval_detail";

    /** The staged leading columns; the input's own columns follow. */
    static final StructType LEADING = new StructType(new StructField[] {
        DataTypes.createStructField(PID, DataTypes.IntegerType, false),
        DataTypes.createStructField(POS, DataTypes.LongType, false),
        DataTypes.createStructField(Columns.SOURCE_FILE, DataTypes.StringType, false),
        DataTypes.createStructField(EVAL_TYPE, DataTypes.StringType, false),
        DataTypes.createStructField(GOLD, DataTypes.StringType, false),
        DataTypes.createStructField(IDS, DataTypes.createArrayType(DataTypes.IntegerType, false), false),
        DataTypes.createStructField(NTOK, DataTypes.IntegerType, false),
        DataTypes.createStructField(SKIP, DataTypes.StringType, true),
        DataTypes.createStructField(DETAIL, DataTypes.StringType, false),
    });

    static StructType stagedSchema(StructType input) {
        List<StructField> f = new ArrayList<>(List.of(LEADING.fields()));
        f.addAll(List.of(input.fields()));
        return new StructType(f.toArray(new StructField[0]));
    }

    private final InputFormat format;
    private final int promptIdx;
    private final int answerIdx;
    private final int typeIdx;
    private final int inputWidth;
    private final EvalSettings settings;
    private final ContextLimit limit;

    EncodePartition(InputFormat format, EvalInputCheck.Checked checked, int inputWidth, EvalSettings settings,
            ContextLimit limit) {
        this.format = format;
        this.promptIdx = checked.promptIdx();
        this.answerIdx = checked.answerIdx();
        this.typeIdx = checked.typeIdx();
        this.inputWidth = inputWidth;
        this.settings = settings;
        this.limit = limit;
    }

    @Override
    public Iterator<Row> call(Iterator<Row> rows) {
        final int pid = TaskContext.getPartitionId();
        final EvalPromptEncoder encoder = ArmModels.encoder(ModelFolders.local(ModelFolders.taskConf(), settings)
                .modelPath(), settings.enableThinking(),
                settings.chatDateOpt());
        return new Iterator<>() {
            private long pos = 0;

            @Override
            public boolean hasNext() {
                return rows.hasNext();
            }

            @Override
            public Row next() {
                Row r = rows.next();
                String user = FormatContractTransform.cell(format, r.get(promptIdx)).pyStr() + settings.promptSuffix();
                String gold = FormatContractTransform.cell(format, r.get(answerIdx)).pyStr();
                String type = FormatContractTransform.cell(format, r.get(typeIdx)).pyStr();
                // Row index 0 is a placeholder: the driver assigns the real one from (pid, pos).
                String unread = r.getString(inputWidth + 3); // InputReader.READ_DETAIL: the record was not read
                EncodedPrompt e = unread != null
                        ? EncodedPrompt.skipped(new EvalExample(0, type, gold, user), SkipReason.MALFORMED_INPUT,
                                unread, 0)
                        : encoder.encode(new EvalExample(0, type, gold, user), limit);
                Object[] out = new Object[LEADING.size() + inputWidth];
                out[0] = pid;
                out[1] = pos++;
                out[2] = r.getString(inputWidth); // source_file follows the input columns
                out[3] = type;
                out[4] = gold;
                out[5] = e.ids();
                out[6] = e.promptTokens();
                out[7] = e.skip().map(s -> s.code()).orElse(null);
                out[8] = e.detail();
                for (int i = 0; i < inputWidth; i++) {
                    out[LEADING.size() + i] = r.get(i);
                }
                return RowFactory.create(out);
            }
        };
    }
}
