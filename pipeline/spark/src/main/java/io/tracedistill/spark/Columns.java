package io.tracedistill.spark;

import java.util.List;

/**
 * Every column name the Spark stages write or read, defined once.
 *
 * <p>Prepared shards ({@code output_dir/prepared/phase1|phase2}): {@link #POSITION}, {@link #TYPE},
 * {@link #PROMPT}, {@link #COMPLETION}, {@link #PHASE_INDEX}, {@link #SOURCE_FILE}, {@link #SOURCE_ROW},
 * then every input column the format contract did not consume (passthrough), unchanged.
 *
 * <p>Token shards ({@code output_dir/tokens/phase1|phase2}): {@link #POSITION}, {@link #TYPE},
 * {@link #INPUT_IDS}, {@link #LABELS}, {@link #NUM_TOKENS}, {@link #NUM_LOSS_TOKENS}, then passthrough.
 *
 * <p>Quarantine ({@code prepared/quarantine}): the original input columns, then {@link #QUARANTINE_REASON},
 * {@link #SOURCE_FILE}, {@link #SOURCE_ROW}, {@link #SOURCE_LINE}, {@link #QUARANTINE_DETAIL}, {@link #RAW_RECORD}.
 *
 * <p>Reference: {@code tracedistill/training.py::_run_phase} trains phase records in the order
 * {@code build_stratified_index_order(types, eff_batch, seed)}; {@link #POSITION} is the 0-based index in
 * that order, {@link #PHASE_INDEX} the 0-based index of the record in {@code build_records(phase_df)}
 * (the list the order permutes), so a later stage that drops rows can recompute the order over survivors.
 */
public final class Columns {
    private Columns() {}

    /** long: 0-based training position within the phase (shard file order + row order = position order). */
    public static final String POSITION = "position";
    /** string: Python {@code str(type)} of the row's problem family. */
    public static final String TYPE = "type";
    /** string: the user turn (prompt text + prompt suffix), as {@code build_record} makes it. */
    public static final String PROMPT = "prompt";
    /** string: the assistant turn ({@code cot.rstrip() + "\n</think>\n\\boxed{answer}"}). */
    public static final String COMPLETION = "completion";
    /**
     * long: 0-based index of the record in the reference's per-phase record list
     * ({@code build_records(phase_df)}: phase-frame order after the contract drops). Sorting a phase by this
     * column gives the list that {@code StratifiedOrder.indexOrder} permutes.
     */
    public static final String PHASE_INDEX = "phase_index";
    /** string: the input file the row came from (fully qualified path). */
    public static final String SOURCE_FILE = "source_file";
    /** long: 0-based data row within {@link #SOURCE_FILE} (header excluded; a multi-line CSV record is one row). */
    public static final String SOURCE_ROW = "source_row";
    /** string: why a quarantined row was dropped ({@code missing_cot}, {@code nan_cot}, ...). */
    public static final String QUARANTINE_REASON = "reason";
    /** long: 1-based physical line where the row's record starts in {@link #SOURCE_FILE} (CSV, JSON Lines; else null). */
    public static final String SOURCE_LINE = "source_line";
    /** string: what was wrong with a record that could not be read ({@code line 7: 5 fields where ...}), else null. */
    public static final String QUARANTINE_DETAIL = "quarantine_detail";
    /** string: the text as written of a record that could not be read, else null. */
    public static final String RAW_RECORD = "raw_record";

    /** array&lt;int&gt;: token ids of prompt + completion. */
    public static final String INPUT_IDS = "input_ids";
    /** array&lt;int&gt;: labels, -100 on the masked prompt span. */
    public static final String LABELS = "labels";
    /** int: length of {@link #INPUT_IDS}. */
    public static final String NUM_TOKENS = "num_tokens";
    /** int: number of labels that are not -100. */
    public static final String NUM_LOSS_TOKENS = "num_loss_tokens";

    /** The leading columns of a prepared shard, in order; passthrough columns follow. */
    public static final List<String> PREPARED_LEADING =
            List.of(POSITION, TYPE, PROMPT, COMPLETION, PHASE_INDEX, SOURCE_FILE, SOURCE_ROW);

    /** The leading columns of a token shard, in order; passthrough columns follow. */
    public static final List<String> TOKEN_LEADING =
            List.of(POSITION, TYPE, INPUT_IDS, LABELS, NUM_TOKENS, NUM_LOSS_TOKENS);

    /** The columns appended to the original input columns in a quarantine shard. */
    public static final List<String> QUARANTINE_TRAILING = List.of(QUARANTINE_REASON, SOURCE_FILE, SOURCE_ROW,
            SOURCE_LINE, QUARANTINE_DETAIL, RAW_RECORD);

    /** Default input column names (config key {@code columns}: prompt/cot/answer/type). */
    public static final String DEFAULT_INPUT_PROMPT = "prompt";
    public static final String DEFAULT_INPUT_COT = "generated_cot";
    public static final String DEFAULT_INPUT_ANSWER = "answer";
    public static final String DEFAULT_INPUT_TYPE = "type";
}
