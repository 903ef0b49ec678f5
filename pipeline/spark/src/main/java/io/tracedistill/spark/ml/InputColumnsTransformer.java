package io.tracedistill.spark.ml;

import io.tracedistill.contract.ColumnKeys;
import org.apache.spark.ml.Transformer;
import org.apache.spark.ml.param.Param;

/**
 * A {@code spark.ml} {@link Transformer} that reads the four input columns of the format contract (config key
 * {@code columns}), holding their params once for every such stage, as Spark's {@code HasInputCol} traits hold
 * {@code inputCol}: {@code promptCol}, {@code cotCol}, {@code answerCol}, {@code typeCol}, defaults
 * {@link ColumnKeys#defaults()}. The params are public no-argument accessors, so {@code Params.params} (and with it
 * {@code DefaultParamsWritable}/{@code DefaultParamsReader}) finds them as it finds a stage's own.
 *
 * @param <S> the stage, so that {@link #setColumns} chains
 */
public abstract class InputColumnsTransformer<S extends InputColumnsTransformer<S>> extends Transformer {
    private static final long serialVersionUID = 1L;

    private final String uid;
    private final Param<String> promptCol;
    private final Param<String> cotCol;
    private final Param<String> answerCol;
    private final Param<String> typeCol;

    /** @param uid the stage's uid; set before any param is made, since a {@link Param} takes its parent's uid */
    protected InputColumnsTransformer(String uid) {
        this.uid = uid;
        promptCol = new Param<>(this, "promptCol", "the prompt column (config columns.prompt)");
        cotCol = new Param<>(this, "cotCol", "the chain-of-thought column (config columns.cot)");
        answerCol = new Param<>(this, "answerCol", "the answer column (config columns.answer)");
        typeCol = new Param<>(this, "typeCol", "the puzzle type column (config columns.type)");
        ColumnKeys d = ColumnKeys.defaults();
        setDefault(promptCol, d.prompt());
        setDefault(cotCol, d.cot());
        setDefault(answerCol, d.answer());
        setDefault(typeCol, d.type());
    }

    @Override
    public final String uid() {
        return uid;
    }

    public final Param<String> promptCol() {
        return promptCol;
    }

    public final Param<String> cotCol() {
        return cotCol;
    }

    public final Param<String> answerCol() {
        return answerCol;
    }

    public final Param<String> typeCol() {
        return typeCol;
    }

    /** The four input columns at once ({@code columns} of the config). */
    @SuppressWarnings("unchecked")
    public final S setColumns(ColumnKeys keys) {
        set(promptCol, keys.prompt());
        set(cotCol, keys.cot());
        set(answerCol, keys.answer());
        set(typeCol, keys.type());
        return (S) this;
    }

    /** The configured column names. */
    public final ColumnKeys columns() {
        return new ColumnKeys($(promptCol), $(cotCol), $(answerCol), $(typeCol));
    }
}
