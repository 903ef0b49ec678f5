package io.tracedistill.spark.prepare;

import io.tracedistill.spark.Columns;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.io.compress.CompressionCodec;
import org.apache.hadoop.io.compress.CompressionCodecFactory;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;

/**
 * Step 1 of prepare: list and read {@code data_path} (a file, a directory of part files or a glob; local,
 * {@code file:} or {@code s3a://}) as a {@code Dataset<Row>} whose values are kept as written.
 *
 * <ul>
 *   <li>CSV: RFC 4180 ({@code multiLine=true}, {@code quote='"'}, {@code escape='"'}: quoted fields,
 *       embedded newlines and doubled quotes), header row, every column a string (no inference), UTF-8.
 *       An empty cell reads as null, which the contract maps to pandas' NaN.</li>
 *   <li>JSON Lines: one object per line, {@code primitivesAsString=true} so {@code 5.0} stays {@code "5.0"}.</li>
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
        List<InputFile> files = listFiles(spark.sparkContext().hadoopConfiguration(), dataPath);
        InputFormat format = formatOf(dataPath, files);
        if (format == InputFormat.CSV) {
            checkCsvHeaders(spark.sparkContext().hadoopConfiguration(), dataPath, files);
        }
        String[] paths = files.stream().map(InputFile::path).toArray(String[]::new);
        Dataset<Row> raw = spark.read().format(format.sparkSource()).options(readOptions(format)).load(paths);
        List<Column> cols = new ArrayList<>();
        for (String name : raw.columns()) {
            cols.add(raw.col(quote(name)));
        }
        cols.add(functions.col("_metadata.file_path").as(Columns.SOURCE_FILE));
        Dataset<Row> rows = raw.select(cols.toArray(new Column[0]));
        return new InputTable(dataPath, format, files, raw.schema(), rows);
    }

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

    /**
     * CSV parts are read by column position under the first file's header (Spark's CSV source), so a
     * part whose columns are in another order, or that lacks one, would silently put answers in the
     * type column. Reads each part's header record (one record per file, decompressed as Spark would)
     * and fails naming the part and both headers unless every header equals the first file's.
     *
     * @throws InputSchemaException naming the part, its header and the first file's header
     */
    static void checkCsvHeaders(Configuration conf, String dataPath, List<InputFile> files) {
        List<String> first = null;
        for (InputFile f : files) {
            List<String> header = csvHeader(conf, f.path());
            if (first == null) {
                first = header;
            } else if (!header.equals(first)) {
                List<String> missing = new ArrayList<>(first);
                missing.removeAll(header);
                String why = missing.isEmpty() ? "its columns are in another order" : "it lacks " + missing;
                throw new InputSchemaException("CSV part '" + f.path() + "' has header " + header + " but the first"
                        + " part '" + files.get(0).path() + "' has " + first + " (" + why + "); the parts of data_path '"
                        + dataPath + "' are read by column position, so every part must have the first part's header"
                        + " in the same order: rewrite that part with header " + first);
            }
        }
    }

    /** The header record of a CSV file: RFC 4180 fields (quotes, doubled quotes, newlines inside quotes). */
    static List<String> csvHeader(Configuration conf, String file) {
        Path p = new Path(file);
        try {
            FileSystem fs = p.getFileSystem(conf);
            CompressionCodec codec = new CompressionCodecFactory(conf).getCodec(p);
            try (InputStream raw = fs.open(p);
                 Reader in = new BufferedReader(new InputStreamReader(codec == null ? raw : codec.createInputStream(raw),
                         StandardCharsets.UTF_8))) {
                List<String> fields = new ArrayList<>();
                StringBuilder cell = new StringBuilder();
                boolean quoted = false;
                int c = in.read();
                if (c == '\uFEFF') {
                    c = in.read();
                }
                for (; c != -1; c = in.read()) {
                    if (quoted) {
                        if (c != '"') {
                            cell.append((char) c);
                        } else {
                            in.mark(1);
                            if (in.read() == '"') {
                                cell.append('"');
                            } else {
                                in.reset();
                                quoted = false;
                            }
                        }
                    } else if (c == '"') {
                        quoted = true;
                    } else if (c == ',') {
                        fields.add(cell.toString());
                        cell.setLength(0);
                    } else if (c == '\n' || c == '\r') {
                        break;
                    } else {
                        cell.append((char) c);
                    }
                }
                fields.add(cell.toString());
                return fields;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read the header of CSV part '" + file + "': " + e.getMessage(), e);
        }
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
