package io.tracedistill.spark.prepare;

import java.io.IOException;
import java.io.Reader;
import java.util.ArrayList;
import java.util.List;

/**
 * A strict RFC 4180 record reader that knows where it is: every record comes with the physical lines it spans, its
 * raw text, and what is wrong with it. It is the one CSV parser of prepare (headers and rows).
 *
 * <p>Cells as Spark's CSV source read them with prepare's options ({@link InputReader#readOptions}): {@code "} quotes
 * and doubles itself, a quote inside an unquoted field is a literal character, whitespace is kept, an empty field
 * (quoted or not) is {@code null}, lines that are empty outside quotes are skipped (pandas' {@code skip_blank_lines}),
 * a leading BOM is dropped, and inside quotes the file's line separator (the first one in the file, as univocity
 * detects it) becomes {@code \n}. Outside quotes {@code \n}, {@code \r\n} and {@code \r} all end a record.
 *
 * <p>What the reference's pandas and Spark would have read silently as garbage is a <em>problem</em> here:
 * <ul>
 *   <li>text after a closing quote ({@code "abc"d,}): the quoting broke on that line;</li>
 *   <li>a quote that never closes: the quoting broke on the line it opened;</li>
 *   <li>(checked by the caller) a field count other than the header's.</li>
 * </ul>
 * A record with a quoting problem is cut back to its first physical line, and reading resumes on the next line, so a
 * stray quote costs one line, not the rest of the file, and every physical line is in exactly one record, blank line
 * or the header: {@code lines = header lines + record lines + blank lines}.
 */
final class CsvRecords {
    /** A record over this many characters is refused (a quote left open would otherwise buffer the whole file). */
    static final int MAX_RECORD_CHARS = 64 << 20;

    /**
     * One record.
     *
     * @param fields    the cells ({@code null} = empty); empty for a record with a quoting problem
     * @param startLine 1-based physical line where it starts
     * @param lines     physical lines it spans (1 for a record with a quoting problem)
     * @param raw       the record's text as written, without its final line terminator (for a record with a quoting
     *                  problem: its first physical line); {@code null} for a well-formed record with the
     *                  {@link #expectFields expected} number of fields, whose text nobody reads
     * @param problem   what broke the quoting, or {@code null}
     */
    record Record(List<String> fields, long startLine, int lines, String raw, String problem) {}

    private static final int NONE = -2;

    private final Reader in;
    private final String file;
    /** Fields a well-formed record should have ({@code -1}: unknown, every record keeps its raw text). */
    private int expectedFields = -1;
    /** The record being read: its text as written and its current cell (reused from record to record). */
    private StringBuilder raw = new StringBuilder();
    private StringBuilder cell = new StringBuilder();
    /**
     * The file's characters, read a block at a time: a {@link java.io.BufferedReader}'s {@code read()} takes a lock
     * per character, which was a third of prepare's CPU on long traces. Runs of ordinary characters are copied from
     * here in bulk ({@link #appendRun}).
     */
    private final char[] buf = new char[1 << 16];
    private int bufPos;
    private int bufLim;
    private boolean eof;
    /** Characters given back after a quoting problem, read before {@link #buf}. */
    private final StringBuilder replay = new StringBuilder();
    private int replayPos;
    /** One character of look-ahead ({@code -1} = end of file), read before {@link #replay}. */
    private int pushed = NONE;
    private boolean started;
    /** The last character taken from the file itself ({@code -1}: none yet). */
    private int lastFileChar = -1;
    /** Line terminators in the file itself, counted as blocks arrive, apart from the parse ({@code \r\n} once). */
    private long fileTerminators;
    /** 1-based line of the next character. */
    private long line = 1;
    private long blankLines;
    /** The file's line separator inside quotes, as univocity detects it: the first terminator in the file. */
    private String separator;

    CsvRecords(Reader in, String file) {
        this.in = in;
        this.file = file;
    }

    /**
     * Physical lines of the file, once {@link #next} has returned {@code null}: its line terminators ({@code \n},
     * {@code \r\n}, a lone {@code \r}), plus a last line without one. Counted from the characters as they come
     * from the file, apart from the parse, so it checks the parse's own count.
     */
    long physicalLines() {
        // A last \r is a terminator not yet counted; a last character that is no terminator ends an open line.
        return fileTerminators + (lastFileChar == -1 || lastFileChar == '\n' ? 0 : 1);
    }

    /** Lines skipped because they were empty outside quotes. */
    long blankLines() {
        return blankLines;
    }

    /**
     * From now on, a well-formed record with {@code n} fields comes without its raw text ({@link Record#raw} null):
     * only a record the caller quarantines needs it, and copying every record's text once more cost as much as
     * reading it.
     */
    void expectFields(int n) {
        expectedFields = n;
    }

    /** The next record, or {@code null} at the end of the file; blank lines are skipped (and counted). */
    Record next() throws IOException {
        while (true) {
            Record r = readRecord();
            if (r == null || r.problem() != null || r.fields().size() != 1 || r.raw() == null || !r.raw().isEmpty()) {
                return r;
            }
            blankLines++;
        }
    }

    private int read() throws IOException {
        if (pushed != NONE) {
            int c = pushed;
            pushed = NONE;
            return c;
        }
        if (replayPos < replay.length()) {
            return replay.charAt(replayPos++);
        }
        if (bufPos == bufLim && !fill()) {
            return -1;
        }
        return buf[bufPos++];
    }

    /**
     * Reads the next block of the file into {@link #buf} (a leading BOM dropped) and counts its line terminators.
     *
     * @return false at the end of the file
     */
    private boolean fill() throws IOException {
        while (!eof && bufPos == bufLim) {
            int n = in.read(buf, 0, buf.length);
            if (n < 0) {
                eof = true;
                break;
            }
            bufPos = 0;
            bufLim = n;
            if (!started && n > 0) {
                started = true;
                if (buf[0] == '\uFEFF') {
                    bufPos = 1;
                }
            }
            int last = lastFileChar;
            for (int i = bufPos; i < bufLim; i++) {
                char c = buf[i];
                if (c == '\n' || last == '\r') {
                    fileTerminators++; // a \n or \r\n, or the lone \r before this character
                }
                last = c;
            }
            if (bufLim > bufPos) {
                lastFileChar = last;
            }
        }
        return bufPos < bufLim;
    }

    /**
     * Appends to {@code raw} and {@code cell} the file's characters up to (not including) the next {@code stop},
     * {@code \r} or {@code \n} (or the end of the file), copying whole runs from {@link #buf}: the same characters
     * {@link #read} would return one by one. Does nothing while a look-ahead or replayed characters are pending.
     */
    private void appendRun(StringBuilder raw, StringBuilder cell, char stop, long opened) throws IOException {
        if (pushed != NONE || replayPos < replay.length()) {
            return;
        }
        while (bufPos < bufLim || fill()) {
            int start = bufPos;
            int i = start;
            int lim = bufLim;
            char[] b = buf;
            while (i < lim) {
                char c = b[i];
                if (c == stop || c == '\n' || c == '\r') {
                    break;
                }
                i++;
            }
            raw.append(b, start, i - start);
            cell.append(b, start, i - start);
            bufPos = i;
            checkSize(raw, opened);
            if (i < lim) {
                return;
            }
        }
    }

    private int peek() throws IOException {
        int c = read();
        pushed = c;
        return c;
    }

    private void checkSize(StringBuilder raw, long opened) {
        if (raw.length() > MAX_RECORD_CHARS) {
            throw new InputSchemaException("CSV file '" + file + "': the record starting on line " + opened
                    + " runs over " + (MAX_RECORD_CHARS >> 20) + " Mi characters, so a quote is almost certainly left"
                    + " open there; fix the quoting on line " + opened);
        }
    }

    private Record readRecord() throws IOException {
        int c = read();
        if (c == -1) {
            return null;
        }
        long start = line;
        if (raw.capacity() > 1 << 20) { // do not keep a huge record's buffers for the rest of the file
            raw = new StringBuilder();
            cell = new StringBuilder();
        }
        StringBuilder raw = this.raw;
        raw.setLength(0);
        List<String> fields = new ArrayList<>();
        StringBuilder cell = this.cell;
        cell.setLength(0);
        int firstLineEnd = -1; // raw length at the end of the first physical line, once the record has a second one
        int firstTermLen = 0;
        String problem = null;
        boolean quotedCell = false;
        while (problem == null) {
            if (c == '"' && cell.length() == 0 && !quotedCell) {
                // A quoted field: up to the quote that is not doubled.
                quotedCell = true;
                raw.append('"');
                long opened = line;
                while (true) {
                    appendRun(raw, cell, '"', opened);
                    int q = read();
                    if (q == -1) {
                        problem = "a quote opened on line " + opened + " never closes";
                        break;
                    }
                    if (q == '"') {
                        raw.append('"');
                        if (peek() == '"') {
                            read();
                            raw.append('"');
                            cell.append('"');
                            continue;
                        }
                        break;
                    }
                    if (q == '\r' || q == '\n') {
                        String term = terminator(q);
                        if (firstLineEnd < 0) {
                            firstLineEnd = raw.length();
                            firstTermLen = term.length();
                        }
                        raw.append(term);
                        line++;
                        cell.append(term.equals(separator) ? "\n" : term);
                        continue;
                    }
                    raw.append((char) q);
                    cell.append((char) q);
                    checkSize(raw, opened);
                }
                if (problem != null) {
                    break;
                }
                c = read();
                if (c != -1 && c != ',' && c != '\r' && c != '\n') {
                    problem = "text after the closing quote on line " + line + " (" + io.tracedistill.python.PyText.repr(String.valueOf((char) c))
                            + " follows it; a quote inside a quoted field must be doubled, \"\")";
                    raw.append((char) c);
                }
                continue;
            }
            if (c == ',') {
                raw.append(',');
                fields.add(cell.length() == 0 ? null : cell.toString());
                cell.setLength(0);
                quotedCell = false;
                c = read();
                continue;
            }
            if (c == -1 || c == '\r' || c == '\n') {
                fields.add(cell.length() == 0 ? null : cell.toString());
                if (c != -1) {
                    terminator(c);
                    line++;
                }
                // A blank line (no text) keeps its empty text, so next() can tell it from a one-field record.
                boolean keepRaw = expectedFields < 0 || fields.size() != expectedFields || raw.length() == 0;
                return new Record(fields, start, (int) (line - start) + (c == -1 ? 1 : 0),
                        keepRaw ? raw.toString() : null, null);
            }
            raw.append((char) c);
            cell.append((char) c);
            checkSize(raw, start);
            appendRun(raw, cell, ',', start); // an unquoted cell: a quote after its first character is literal
            c = read();
        }
        // A quoting problem: the record is cut back to its first physical line; what follows is read again.
        if (firstLineEnd < 0) {
            // Still on the record's first line: the record is that whole line.
            int x;
            while ((x = read()) != -1 && x != '\r' && x != '\n') {
                raw.append((char) x);
            }
            if (x != -1) {
                terminator(x);
                line++;
            }
            return new Record(List.of(), start, 1, raw.toString(), problem);
        }
        StringBuilder again = new StringBuilder(raw.substring(firstLineEnd + firstTermLen));
        if (pushed != NONE && pushed != -1) {
            again.append((char) pushed);
        }
        pushed = NONE;
        again.append(replay, replayPos, replay.length());
        replay.setLength(0);
        replay.append(again);
        replayPos = 0;
        line = start + 1;
        return new Record(List.of(), start, 1, raw.substring(0, firstLineEnd), problem);
    }

    /** Consumes the rest of a line terminator starting with {@code c}; the first one seen fixes {@link #separator}. */
    private String terminator(int c) throws IOException {
        String term = "\n";
        if (c == '\r') {
            term = "\r";
            if (peek() == '\n') {
                read();
                term = "\r\n";
            }
        }
        if (separator == null) {
            separator = term;
        }
        return term;
    }
}
