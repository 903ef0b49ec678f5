package io.tracedistill.spark.prepare;

import java.io.Serializable;

/**
 * One line-format input file's physical lines, counted from its characters ({@code lines}), and how the parse spent them:
 * {@code lines = headerLines + recordLines + blankLines}, where record lines are the lines of every record read
 * (kept or quarantined later; a malformed record is one line) and blank lines are empty lines outside quotes.
 */
public record FileLines(String path, long lines, long headerLines, long recordLines, long blankLines,
        long records, long malformed) implements Serializable {
    /** Whether every physical line is in the header, a record or a blank line. */
    public boolean accountedFor() {
        return lines == headerLines + recordLines + blankLines;
    }
}
