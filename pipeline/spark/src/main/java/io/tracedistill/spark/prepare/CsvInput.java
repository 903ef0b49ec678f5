package io.tracedistill.spark.prepare;

import io.tracedistill.config.Redaction;
import io.tracedistill.python.PyText;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.util.CollectionAccumulator;

/**
 * Reads CSV input with {@link CsvRecords}, so that every physical line is accounted for and every bad record is
 * named by file and line (issue 17 #2, #3):
 * <ul>
 *   <li>Each file's header is read on the driver first. The columns are the first file's header; another file
 *       with the same columns in another order is read by name; a file with other columns fails before anything is
 *       read, naming the file, both headers and the difference.</li>
 *   <li>Each file is read whole by one task (as Spark's {@code multiLine} CSV does), files packed into at most
 *       {@code defaultParallelism × 4} partitions by size. A record whose field count differs from its file's header,
 *       or whose quoting breaks, becomes a row with every input cell null and {@link InputReader#READ_REASON}
 *       {@link QuarantineReason#MALFORMED_CSV}, the problem, its first line and its raw text.</li>
 *   <li>Each file's line counts ({@link FileLines}) are gathered as the task finishes it, for the manifest.</li>
 * </ul>
 */
public final class CsvInput {
    private CsvInput() {}

    static InputTable read(SparkSession spark, String dataPath, List<InputFile> files) {
        Configuration conf = spark.sparkContext().hadoopConfiguration();
        List<String> columns = null;
        String first = null;
        Map<String, List<String>> headers = new HashMap<>();
        for (InputFile f : files) {
            List<String> h = header(conf, f.path());
            if (h == null) {
                continue; // an empty file: no header, no rows
            }
            headers.put(f.path(), h);
            if (columns == null) {
                columns = h;
                first = f.path();
            } else if (!new HashSet<>(h).equals(new HashSet<>(columns))) {
                List<String> missing = new ArrayList<>(columns);
                missing.removeAll(h);
                List<String> extra = new ArrayList<>(h);
                extra.removeAll(columns);
                throw new InputSchemaException("CSV part '" + Redaction.text(f.path()) + "' has header "
                        + PyText.reprList(h) + " but the first part '" + Redaction.text(first) + "' has "
                        + PyText.reprList(columns) + " (" + (missing.isEmpty() ? "" : "it lacks " + PyText.reprList(missing))
                        + (missing.isEmpty() || extra.isEmpty() ? "" : ", ") + (extra.isEmpty() ? "" : "it adds "
                        + PyText.reprList(extra)) + "); the parts of data_path '" + Redaction.text(dataPath) + "' are "
                        + "matched by column name, so every part needs the same columns (in any order): fix that "
                        + "part's header, or move it out of data_path");
            }
        }
        if (columns == null) {
            columns = List.of();
        }
        List<StructField> fields = new ArrayList<>();
        for (String c : columns) {
            fields.add(DataTypes.createStructField(c, DataTypes.StringType, true));
        }
        StructType inputSchema = new StructType(fields.toArray(new StructField[0]));
        List<StructField> all = new ArrayList<>(fields);
        all.addAll(List.of(InputReader.READ_TRAILING.fields()));
        StructType rowSchema = new StructType(all.toArray(new StructField[0]));

        // Per file: the position of each of its columns in the unified order.
        List<FileGroupRows.FileTask> tasks = new ArrayList<>();
        for (InputFile f : files) {
            List<String> h = headers.get(f.path());
            int[] slot = new int[h == null ? 0 : h.size()];
            for (int i = 0; i < slot.length; i++) {
                slot[i] = columns.indexOf(h.get(i));
            }
            tasks.add(new FileGroupRows.FileTask(f.path(), f.sizeBytes(), slot));
        }
        CollectionAccumulator<FileLines> lines = spark.sparkContext().collectionAccumulator(
                "tracedistill prepare: CSV line counts");
        int width = columns.size();
        JavaRDD<Row> rdd = FileGroupRows.read(spark, tasks, g -> new GroupRows(g, width, lines));
        return new InputTable(dataPath, InputFormat.CSV, files, inputSchema,
                spark.createDataFrame(rdd, rowSchema), lines, rdd);
    }

    /**
     * The header record of a CSV file ({@code null} for an empty file). An empty header cell is named
     * {@code _c<index>} as Spark names it.
     *
     * @throws InputSchemaException when the header's quoting breaks or a name repeats, naming the file and line
     */
    static List<String> header(Configuration conf, String file) {
        try (Reader in = FileGroupRows.open(conf, file)) {
            CsvRecords records = new CsvRecords(in, file);
            CsvRecords.Record h = records.next();
            if (h == null) {
                return null;
            }
            if (h.problem() != null) {
                throw new InputSchemaException("CSV file '" + Redaction.text(file) + "': the header on line "
                        + h.startLine() + " cannot be read: " + h.problem() + "; fix the header's quoting");
            }
            List<String> names = new ArrayList<>();
            for (int i = 0; i < h.fields().size(); i++) {
                names.add(h.fields().get(i) == null ? "_c" + i : h.fields().get(i));
            }
            Set<String> seen = new LinkedHashSet<>();
            for (String n : names) {
                if (!seen.add(n)) {
                    throw new InputSchemaException("CSV file '" + Redaction.text(file) + "' has the column "
                            + PyText.repr(n) + " twice in its header " + PyText.reprList(names) + "; rename one of them");
                }
            }
            return names;
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read the header of CSV file '" + Redaction.text(file) + "': "
                    + e.getMessage(), e);
        }
    }

    /** The rows of one partition's files, in path order, then record order. */
    private static final class GroupRows extends FileGroupRows {
        private final int width;
        private CsvRecords records;
        private long recordCount;
        private long recordLines;
        private long headerLines;
        private long malformed;
        private boolean empty;

        GroupRows(FileGroup group, int width, CollectionAccumulator<FileLines> lines) {
            super(group, lines, "CSV");
            this.width = width;
        }

        @Override
        protected void startFile(FileTask file, BufferedReader in) throws IOException {
            records = new CsvRecords(in, file.path());
            recordCount = 0;
            recordLines = 0;
            malformed = 0;
            CsvRecords.Record header = records.next(); // checked on the driver; null: an empty file
            headerLines = header == null ? 0 : header.lines();
            empty = header == null;
            records.expectFields(file.slot().length); // the raw text of a well-formed row is not needed
        }

        @Override
        protected Row nextRow() throws IOException {
            CsvRecords.Record r = empty ? null : records.next();
            if (r == null) {
                return null;
            }
            recordCount++;
            recordLines += r.lines();
            return toRow(r);
        }

        @Override
        protected FileLines finishedFile() {
            return new FileLines(file().path(), records.physicalLines(), headerLines, recordLines,
                    records.blankLines(), recordCount, malformed);
        }

        private Row toRow(CsvRecords.Record r) {
            FileTask file = file();
            Object[] out = new Object[width + InputReader.READ_TRAILING.size()];
            out[width] = file.path();
            out[width + 1] = r.startLine();
            String problem = r.problem();
            if (problem == null && r.fields().size() != file.slot().length) {
                problem = r.fields().size() + (r.fields().size() == 1 ? " field" : " fields") + " where the header has "
                        + file.slot().length + " (an unquoted comma in a cell, or a missing one; quote cells that"
                        + " hold commas)";
            }
            if (problem != null) {
                malformed++;
                out[width + 2] = QuarantineReason.MALFORMED_CSV;
                out[width + 3] = "line " + r.startLine() + ": " + problem;
                out[width + 4] = r.raw();
                return RowFactory.create(out);
            }
            for (int i = 0; i < file.slot().length; i++) {
                out[file.slot()[i]] = r.fields().get(i);
            }
            return RowFactory.create(out);
        }
    }
}
