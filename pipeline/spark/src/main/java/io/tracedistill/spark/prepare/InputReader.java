package io.tracedistill.spark.prepare;

import io.tracedistill.spark.Columns;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * Step 1 of prepare: list and read {@code data_path} (a file, a directory of part files or a glob; local,
 * {@code file:} or {@code s3a://}) as a {@code Dataset<Row>} whose values are kept as written.
 *
 * <ul>
 *   <li>CSV: RFC 4180 by {@link CsvInput} (quoted fields, embedded newlines and doubled quotes), header row, every
 *       column a string (no inference), UTF-8, columns matched by name across files. An empty cell reads as null,
 *       which the contract maps to pandas' NaN. A record with the wrong number of fields or broken quoting is a
 *       row with {@link #READ_REASON} {@code malformed_csv}, its line and its text.</li>
 *   <li>JSON Lines: one object per line, {@code primitivesAsString=true} so {@code 5.0} stays {@code "5.0"}; a line
 *       that is not one JSON object is a row with {@link #READ_REASON} {@code malformed_json}
 *       ({@link JsonLinesInput}).</li>
 *   <li>Parquet: the file's own column types.</li>
 * </ul>
 *
 * <p>Files are listed first (names starting with {@code _} or {@code .} are skipped, as Spark does) and
 * sorted by path: that order, then row order within a file, is the input row order, which is the frame order
 * of the reference's {@code pd.read_csv}. Reference: {@code tracedistill/data.py::load_cot_csv}.
 */
public final class InputReader {
    private InputReader() {}

    /** Lists, checks the format of, and reads {@code dataPath}. Nothing is parsed until an action runs. */
    public static InputTable read(SparkSession spark, String dataPath) {
        Configuration conf = spark.sparkContext().hadoopConfiguration();
        List<InputFile> files = listFiles(conf, dataPath);
        InputFormat format = formatOf(dataPath, files);
        if (format == InputFormat.CSV) {
            return CsvInput.read(spark, dataPath, files);
        }
        if (format == InputFormat.JSONL) {
            return JsonLinesInput.read(spark, dataPath, files);
        }
        String[] paths = files.stream().map(InputFile::path).toArray(String[]::new);
        Dataset<Row> raw = spark.read().format(format.sparkSource()).options(readOptions(format)).load(paths);
        List<Column> cols = new ArrayList<>();
        for (String name : raw.columns()) {
            cols.add(raw.col(quote(name)));
        }
        cols.add(functions.col("_metadata.file_path").as(Columns.SOURCE_FILE));
        for (StructField f : READ_TRAILING.fields()) {
            if (!f.name().equals(Columns.SOURCE_FILE)) {
                cols.add(functions.lit(null).cast(f.dataType()).as(f.name()));
            }
        }
        Dataset<Row> rows = raw.select(cols.toArray(new Column[0]));
        return new InputTable(dataPath, format, files, raw.schema(), rows, null);
    }

    /** The read table's row identity and read problems, after the input's own columns. */
    public static final String LINE = "__td_line";
    /** A row the reader could not read as a record: {@link QuarantineReason#MALFORMED_CSV} etc., else null. */
    public static final String READ_REASON = "__td_read_reason";
    /** What was wrong with it ({@code "5 fields where the header has 4"}), else null. */
    public static final String READ_DETAIL = "__td_read_detail";
    /** Its text as written, else null. */
    public static final String READ_RAW = "__td_read_raw";

    /**
     * The columns every read table has after the input's own: {@link Columns#SOURCE_FILE}, then the 1-based
     * physical line where the record starts (CSV and JSON Lines; null for Parquet), then the read problem
     * (reason, detail, raw text; null for a row that was read).
     */
    public static final StructType READ_TRAILING = new StructType(new StructField[] {
        DataTypes.createStructField(Columns.SOURCE_FILE, DataTypes.StringType, false),
        DataTypes.createStructField(LINE, DataTypes.LongType, true),
        DataTypes.createStructField(READ_REASON, DataTypes.StringType, true),
        DataTypes.createStructField(READ_DETAIL, DataTypes.StringType, true),
        DataTypes.createStructField(READ_RAW, DataTypes.StringType, true),
    });

    /** The Spark reader options for a format. */
    public static Map<String, String> readOptions(InputFormat format) {
        Map<String, String> o = new LinkedHashMap<>();
        switch (format) {
            case CSV -> {
                o.put("header", "true");
                o.put("multiLine", "true");
                o.put("quote", "\"");
                o.put("escape", "\"");
                o.put("inferSchema", "false");
                o.put("encoding", "UTF-8");
                o.put("mode", "PERMISSIVE");
                o.put("ignoreLeadingWhiteSpace", "false");
                o.put("ignoreTrailingWhiteSpace", "false");
            }
            case JSONL -> {
                o.put("multiLine", "false");
                o.put("primitivesAsString", "true");
                o.put("encoding", "UTF-8");
                o.put("mode", "FAILFAST");
            }
            case PARQUET -> {
                // The file's own schema; nothing to set.
            }
        }
        return o;
    }

    /**
     * The input files of {@code dataPath}, sorted by fully qualified path.
     *
     * @throws IllegalArgumentException naming {@code data_path} when nothing matches
     */
    public static List<InputFile> listFiles(Configuration hadoopConf, String dataPath) {
        if (dataPath == null || dataPath.isBlank()) {
            throw new IllegalArgumentException("data_path is empty; set data_path to a CSV/JSONL/Parquet file, "
                    + "a directory of part files or a glob");
        }
        Path path = new Path(dataPath);
        List<InputFile> out = new ArrayList<>();
        try {
            FileSystem fs = path.getFileSystem(hadoopConf);
            FileStatus[] matches = fs.globStatus(path);
            if (matches != null) {
                for (FileStatus m : matches) {
                    if (m.isDirectory()) {
                        for (FileStatus child : fs.listStatus(m.getPath())) {
                            if (child.isFile() && !hidden(child.getPath().getName())) {
                                out.add(toInputFile(child));
                            }
                        }
                    } else if (!hidden(m.getPath().getName())) {
                        out.add(toInputFile(m));
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot list data_path '" + dataPath + "': " + e.getMessage(), e);
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException("No input files found at data_path '" + dataPath
                    + "' (nothing matches, or the directory holds only hidden _/. files); set data_path to a "
                    + "CSV/JSONL/Parquet file, a directory of part files or a glob");
        }
        out.sort(Comparator.comparing(InputFile::path));
        return List.copyOf(out);
    }

    /**
     * The single format of all files.
     *
     * @throws IllegalArgumentException naming the file whose extension is unknown or differs
     */
    public static InputFormat formatOf(String dataPath, List<InputFile> files) {
        InputFormat format = null;
        String first = null;
        for (InputFile f : files) {
            String name = new Path(f.path()).getName();
            InputFormat ff = InputFormat.ofFileName(name);
            if (ff == null) {
                throw new IllegalArgumentException("Cannot tell the format of input file '" + f.path()
                        + "' (under data_path '" + dataPath + "'): its name must end in .csv, .jsonl/.json/.ndjson "
                        + "or .parquet (optionally compressed, e.g. .csv.gz); rename it or point data_path at the "
                        + "data files only");
            }
            if (format == null) {
                format = ff;
                first = f.path();
            } else if (format != ff) {
                throw new IllegalArgumentException("data_path '" + dataPath + "' mixes formats: '" + first + "' is "
                        + format + " but '" + f.path() + "' is " + ff + "; point data_path at files of one format");
            }
        }
        return format;
    }

    private static InputFile toInputFile(FileStatus s) {
        return new InputFile(s.getPath().toString(), s.getLen(), s.getModificationTime());
    }

    private static boolean hidden(String name) {
        return name.startsWith("_") || name.startsWith(".");
    }

    /** Backtick-quotes a column name so dots and spaces in CSV headers are taken literally. */
    static String quote(String name) {
        return "`" + name.replace("`", "``") + "`";
    }
}
