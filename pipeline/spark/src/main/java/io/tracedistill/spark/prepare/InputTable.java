package io.tracedistill.spark.prepare;

import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.util.CollectionAccumulator;

/**
 * What {@link InputReader} read: the rows (the input's own columns, then {@link InputReader#READ_TRAILING}: source
 * file, line, read problem), the input's own schema, the detected format, the files in path order, and, for line
 * formats, each file's line counts as the read finishes it ({@code null} for Parquet; filled once the rows have been
 * read by an action).
 *
 * <p>{@code readerRows}, when not null, are the same rows as the reader made them, before Spark encodes them into
 * {@code rows} (CSV): a consumer that works on Java rows anyway reads these and skips an encode and a decode of
 * every cell ({@link FormatContractTransform}).
 */
public record InputTable(String dataPath, InputFormat format, List<InputFile> files, StructType inputSchema,
        Dataset<Row> rows, CollectionAccumulator<FileLines> lineCounts, JavaRDD<Row> readerRows) {

    /** A table read by Spark's own reader (no Java rows of the reader's). */
    public InputTable(String dataPath, InputFormat format, List<InputFile> files, StructType inputSchema,
            Dataset<Row> rows, CollectionAccumulator<FileLines> lineCounts) {
        this(dataPath, format, files, inputSchema, rows, lineCounts, null);
    }

    /** The rows as Java rows, partition for partition as {@link #rows}: {@link #readerRows} if any. */
    public JavaRDD<Row> javaRows() {
        return readerRows != null ? readerRows : rows.javaRDD();
    }

    /**
     * Each file's line counts, deduplicated by path (a retried task reports its file again, identically), in path
     * order; empty when the format has no lines.
     *
     * @throws IllegalStateException when a file read no counts (the rows were never read by an action)
     */
    public List<FileLines> fileLines() {
        if (lineCounts == null) {
            return List.of();
        }
        java.util.Map<String, FileLines> byPath = new java.util.TreeMap<>();
        for (FileLines l : lineCounts.value()) {
            byPath.putIfAbsent(l.path(), l);
        }
        List<FileLines> out = new java.util.ArrayList<>();
        for (InputFile f : files) {
            FileLines l = byPath.get(f.path());
            if (l == null) {
                throw new IllegalStateException("No line counts for input file '" + f.path() + "': its rows were not"
                        + " read yet");
            }
            out.add(l);
        }
        return out;
    }
}
