package io.tracedistill.contract;

import io.tracedistill.python.PyText;
import io.tracedistill.python.PyValue;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The SFT target format: {@code (prompt, cot, answer)} → user turn {@code str(prompt) + suffix}
 * and assistant turn {@code strip_boxed(str(cot)).rstrip() + "\n</think>\n\\boxed{" + str(answer) + "}"}.
 * The opening {@code <think>} comes from the chat template, not from here.
 *
 * <p>Reference: {@code tracedistill.formatting.build_record} / {@code build_records} at commit
 * 400d131, pinned by {@code golden/build_record.json} (411 cases) and
 * {@code golden/build_records.json} (61 cases). Drop rules, in order, are listed on
 * {@link DropReason}. Lengths are code points after Python {@code strip()} ({@link PyText}),
 * and every cell is rendered with Python {@code str()} ({@link PyValue#pyStr()}), so a NaN
 * prompt or answer renders as {@code nan} and a float answer 4 as {@code 4.0}.
 */
public final class FormatContract {

    /** The instruction the competition grader appends to every prompt (reused verbatim). */
    public static final String DEFAULT_PROMPT_SUFFIX =
            "\nPlease put your final answer inside `\\boxed{}`. For example: `\\boxed{your answer}`";

    /** Reference default for {@code min_cot_len}. */
    public static final int DEFAULT_MIN_COT_LEN = 5;

    private FormatContract() {
    }

    /** {@link #build(PyValue, PyValue, PyValue, String, int)} with the default suffix and min length. */
    public static RecordOutcome build(PyValue prompt, PyValue cot, PyValue answer) {
        return build(prompt, cot, answer, DEFAULT_PROMPT_SUFFIX, DEFAULT_MIN_COT_LEN);
    }

    /**
     * Python {@code build_record(prompt, cot, answer, prompt_suffix=..., min_cot_len=...)}.
     * A {@code min_cot_len} of 0 or less keeps whitespace-only traces (as the reference does).
     */
    public static RecordOutcome build(PyValue prompt, PyValue cot, PyValue answer,
                                      String promptSuffix, int minCotLen) {
        Objects.requireNonNull(prompt, "prompt");
        Objects.requireNonNull(cot, "cot");
        Objects.requireNonNull(answer, "answer");
        Objects.requireNonNull(promptSuffix, "promptSuffix");
        if (cot instanceof PyValue.None) {
            return new RecordOutcome.Dropped(DropReason.MISSING_COT);
        }
        if (cot.isNaN()) {
            return new RecordOutcome.Dropped(DropReason.NAN_COT);
        }
        String cotText = cot.pyStr();
        if (cotText.isEmpty()) {
            return new RecordOutcome.Dropped(DropReason.EMPTY_COT);
        }
        if (cotText.equals("nan")) {
            return new RecordOutcome.Dropped(DropReason.NAN_COT);
        }
        if (PyText.len(PyText.strip(cotText)) < minCotLen) {
            return new RecordOutcome.Dropped(DropReason.SHORT_COT);
        }
        String cleaned = PyText.rstrip(BoxedText.strip(cotText));
        if (PyText.len(PyText.strip(cleaned)) < minCotLen) {
            return new RecordOutcome.Dropped(DropReason.SHORT_AFTER_STRIP_BOXED);
        }
        String user = prompt.pyStr() + promptSuffix;
        String assistant = cleaned + ANSWER_OPEN + answer.pyStr() + "}";
        return new RecordOutcome.Kept(new ChatRecord(user, assistant));
    }

    /** What separates the cleaned trace from the answer in an assistant turn: {@code "\n</think>\n\\boxed{"}. */
    private static final String ANSWER_OPEN = "\n</think>\n\\boxed{";

    /**
     * The inverse of the assistant turn {@link #build} writes: {@code str(answer)} back from
     * {@code cleaned + "\n</think>\n\\boxed{" + str(answer) + "}"} (what follows the last separator, without the
     * closing brace). The trace before it may hold anything; an answer that itself contains the separator is not
     * recovered (no such answer passes through a boxed grader anyway).
     *
     * @return the answer, or empty when {@code assistant} is not in that form
     */
    public static Optional<String> answerOf(String assistant) {
        int at = assistant.lastIndexOf(ANSWER_OPEN);
        if (at < 0 || !assistant.endsWith("}")) {
            return Optional.empty();
        }
        return Optional.of(assistant.substring(at + ANSWER_OPEN.length(), assistant.length() - 1));
    }

    /** Kept records and their type labels, parallel lists ({@code types.get(i)} labels {@code records.get(i)}). */
    public record BuildResult(List<ChatRecord> records, List<String> types) {
        public BuildResult {
            if (records.size() != types.size()) {
                throw new IllegalArgumentException("records (" + records.size() + ") and types ("
                        + types.size() + ") must be parallel lists");
            }
            records = Collections.unmodifiableList(records);
            types = Collections.unmodifiableList(types);
        }
    }

    /**
     * Python {@code build_records(rows, prompt_key=..., cot_key=..., answer_key=..., type_key=...)}:
     * {@link #build} over each row, skipping dropped rows; {@code types[i] = str(row[type_key])}
     * (a None type becomes {@code "None"}).
     *
     * @throws IllegalArgumentException naming the row index and the missing column (the reference
     *         raises {@code KeyError}) when a row lacks one of the four keys
     */
    public static BuildResult buildRecords(List<? extends Map<String, ? extends PyValue>> rows, ColumnKeys keys,
                                           String promptSuffix, int minCotLen) {
        List<ChatRecord> records = new ArrayList<>();
        List<String> types = new ArrayList<>();
        for (int i = 0; i < rows.size(); i++) {
            Map<String, ? extends PyValue> row = rows.get(i);
            RecordOutcome outcome = build(cell(row, keys.prompt(), i), cell(row, keys.cot(), i),
                    cell(row, keys.answer(), i), promptSuffix, minCotLen);
            if (outcome instanceof RecordOutcome.Kept kept) {
                records.add(kept.chatRecord());
                types.add(cell(row, keys.type(), i).pyStr());
            }
        }
        return new BuildResult(records, types);
    }

    /** {@link #buildRecords(List, ColumnKeys, String, int)} with default keys, suffix and min length. */
    public static BuildResult buildRecords(List<? extends Map<String, ? extends PyValue>> rows) {
        return buildRecords(rows, ColumnKeys.defaults(), DEFAULT_PROMPT_SUFFIX, DEFAULT_MIN_COT_LEN);
    }

    private static PyValue cell(Map<String, ? extends PyValue> row, String key, int rowIndex) {
        PyValue v = row.get(key);
        if (v == null) {
            if (row.containsKey(key)) {
                return PyValue.none();
            }
            throw new IllegalArgumentException("Row " + rowIndex + " has no column " + PyText.repr(key)
                    + "; it has " + PyText.reprSortedList(row.keySet())
                    + ". Set the columns mapping in the config to the input's column names.");
        }
        return v;
    }
}
