package io.tracedistill.spark.prepare;

import io.tracedistill.config.Redaction;
import io.tracedistill.python.PyText;
import io.tracedistill.spark.Columns;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;

/**
 * Fails prepare when not one input row could be read as a record (every row {@link QuarantineReason#MALFORMED_CSV} or
 * {@link QuarantineReason#MALFORMED_JSON}). Without this, the rows' empty cells reach the split, which then reports an
 * empty type column: true, but it hides that the file itself is in another format, delimiter or encoding. The message
 * names the files, the first malformed line with its problem and text, and the likely cause ({@link #likelyCause}).
 * For JSON Lines none of whose lines is an object there are no columns at all, so {@link SchemaCheck} asks
 * {@link #checkRead} first.
 */
final class AllRowsMalformed {
    /** How much of the first malformed line the message shows. */
    private static final int SHOWN_CHARS = 160;

    private AllRowsMalformed() {}

    /**
     * @param summary every input row's reason, file and row ({@link StagedSummaryCodec})
     * @param staged the staged rows ({@link FormatContractTransform#stagedSchema}): read only when every row is
     *     malformed, for the first one's line, problem and text
     * @throws InputSchemaException when there are rows and every one is malformed
     */
    static void check(StagedSummaryCodec.InputSummary summary, Dataset<Row> staged, String dataPath,
            InputFormat format) {
        int n = summary.rows();
        if (n == 0) {
            return;
        }
        Set<String> files = new TreeSet<>();
        for (int i = 0; i < n; i++) {
            String r = summary.reason()[i];
            if (!QuarantineReason.MALFORMED_CSV.equals(r) && !QuarantineReason.MALFORMED_JSON.equals(r)) {
                return;
            }
            files.add(Redaction.text(summary.files().get(summary.fileOfRow()[i])));
        }
        Row first = staged.orderBy(functions.col(Columns.SOURCE_FILE), functions.col(InputReader.LINE)).limit(1)
                .collectAsList().get(0);
        throw failure(n, dataPath, format, first.getString(first.fieldIndex(FormatContractTransform.STAGED_REASON)),
                files, first);
    }

    /**
     * The same check on what {@link InputReader} read, for an input none of whose records gave a column: JSON Lines
     * whose every line is malformed has no schema, so the schema check would only report that every column is
     * missing. Runs Spark jobs over the rows; call it only when the input has no columns.
     *
     * @throws InputSchemaException when there are rows and every one has a read problem
     */
    static void checkRead(InputTable table) {
        Dataset<Row> rows = table.rows();
        Column reason = functions.col(InputReader.READ_REASON);
        if (rows.limit(1).count() == 0 || rows.filter(reason.isNull()).limit(1).count() > 0) {
            return;
        }
        long n = rows.count();
        Set<String> files = new TreeSet<>();
        for (Row r : rows.select(Columns.SOURCE_FILE).distinct().collectAsList()) {
            files.add(Redaction.text(r.getString(0)));
        }
        Row first = rows.orderBy(functions.col(Columns.SOURCE_FILE), functions.col(InputReader.LINE)).limit(1)
                .collectAsList().get(0);
        throw failure(n, table.dataPath(), table.format(), first.getString(first.fieldIndex(InputReader.READ_REASON)),
                files, first);
    }

    /** The message: how many rows, the files, the first malformed row's file, line, problem and text, the cause. */
    private static InputSchemaException failure(long n, String dataPath, InputFormat format, String reason,
            Set<String> files, Row first) {
        String file = first.getString(first.fieldIndex(Columns.SOURCE_FILE));
        String detail = first.getString(first.fieldIndex(InputReader.READ_DETAIL));
        String raw = first.getString(first.fieldIndex(InputReader.READ_RAW));
        String shown = raw == null ? "" : raw.length() > SHOWN_CHARS ? raw.substring(0, SHOWN_CHARS) + "…" : raw;
        return new InputSchemaException("Not one of the " + n + " rows of data_path '" + Redaction.text(dataPath)
                + "' could be read as a " + format.name() + " record: every row is quarantined as " + reason + " (files "
                + PyText.reprList(List.copyOf(files)) + "). The first, in '" + Redaction.text(file) + "' "
                + detail + "; its text: " + PyText.repr(shown) + ". Likely cause: " + likelyCause(format, raw));
    }

    /** The likeliest reason a whole file's records fail, judged from one of them, with the fix. */
    static String likelyCause(InputFormat format, String raw) {
        String text = raw == null ? "" : raw;
        if (text.indexOf('\uFFFD') >= 0 || text.indexOf('\u0000') >= 0) {
            return "the file is not UTF-8 (e.g. UTF-16 or Latin-1 text, or a binary file): re-save it as UTF-8";
        }
        if (format == InputFormat.CSV) {
            for (char d : new char[] {';', '\t', '|'}) {
                if (count(text, d) > count(text, ',')) {
                    return "the rows look " + PyText.repr(String.valueOf(d)) + "-separated, but the header is read"
                            + " as comma-separated CSV: re-save the file with commas as the delimiter (quote cells"
                            + " that hold commas)";
                }
            }
            if (text.endsWith(",")) {
                return "every record ends with a comma, so it has one field more than the header: remove the trailing"
                        + " commas, or add a column name for them to the header";
            }
            return "the header and the rows disagree on the number of fields (cells holding commas must be quoted),"
                    + " or the file is not CSV: check the delimiter and the quoting against the header";
        }
        String t = text.strip();
        if (t.startsWith("[") || t.equals("{") || t.equals("}") || t.endsWith(",")) {
            return "the file looks like one JSON document (an array, or objects spread over several lines), not JSON"
                    + " Lines: write one complete {...} object per line";
        }
        return "each line must be one complete JSON object {...}: check that the file is JSON Lines, not CSV or"
                + " another format";
    }

    private static int count(String s, char c) {
        int k = 0;
        for (int i = 0; i < s.length(); i++) {
            k += s.charAt(i) == c ? 1 : 0;
        }
        return k;
    }
}
