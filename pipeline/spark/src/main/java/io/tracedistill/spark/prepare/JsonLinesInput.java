package io.tracedistill.spark.prepare;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.util.CollectionAccumulator;

/**
 * Reads JSON Lines input so that a bad line is a quarantined row named by file and line, not a Spark stack trace
 * (issue 17): each file is read line by line by one task (files packed and walked by {@link FileGroupRows}); a line that is not
 * one JSON object ({@code {"prompt": ...} trailing}, a cut-off object, an array) becomes a row with
 * {@link InputReader#READ_REASON} {@link QuarantineReason#MALFORMED_JSON}, the parser's message and the line's text.
 * The good lines are then read exactly as Spark's JSON source reads them ({@link InputReader#readOptions}: schema
 * inferred over all good lines, primitives as their JSON text), with {@code from_json} on the same schema. Blank
 * lines are skipped and counted, as Spark skips them.
 */
final class JsonLinesInput {
    private JsonLinesInput() {}

    /** The line's text, for {@code from_json}; null for a malformed line. */
    private static final String TEXT = "__td_json_text";
    private static final String PARSED = "__td_json";

    static InputTable read(SparkSession spark, String dataPath, List<InputFile> files) {
        CollectionAccumulator<FileLines> lines = spark.sparkContext().collectionAccumulator(
                "tracedistill prepare: JSON Lines line counts");
        List<FileGroupRows.FileTask> tasks = new ArrayList<>();
        for (InputFile f : files) {
            tasks.add(new FileGroupRows.FileTask(f.path(), f.sizeBytes(), new int[0]));
        }
        List<StructField> fields = new ArrayList<>();
        fields.add(DataTypes.createStructField(TEXT, DataTypes.StringType, true));
        fields.addAll(List.of(InputReader.READ_TRAILING.fields()));
        JavaRDD<Row> rdd = FileGroupRows.read(spark, tasks, g -> new GroupLines(g, lines));
        Dataset<Row> raw = spark.createDataFrame(rdd, new StructType(fields.toArray(new StructField[0])));

        // The schema Spark's JSON source would infer from these lines (one scan), then the same parse per line.
        Map<String, String> options = InputReader.readOptions(InputFormat.JSONL);
        Dataset<String> good = raw.filter(functions.col(TEXT).isNotNull()).select(TEXT).as(Encoders.STRING());
        StructType schema = spark.read().options(options).json(good).schema();
        List<Column> cols = new ArrayList<>();
        Column parsed = functions.col(PARSED);
        for (String name : schema.fieldNames()) {
            cols.add(parsed.getField(name).as(name));
        }
        for (String name : InputReader.READ_TRAILING.fieldNames()) {
            cols.add(functions.col(InputReader.quote(name)));
        }
        Dataset<Row> rows = raw.withColumn(PARSED, functions.from_json(functions.col(TEXT), schema, options))
                .select(cols.toArray(new Column[0]));
        return new InputTable(dataPath, InputFormat.JSONL, files, schema, rows, lines);
    }

    /** One partition's files, line by line: (text or null, source file, line, read problem). */
    private static final class GroupLines extends FileGroupRows {
        private static final ObjectMapper STRICT = new ObjectMapper()
                .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
        private BufferedReader in;
        private long line;
        private long blank;
        private long malformed;

        GroupLines(FileGroup group, CollectionAccumulator<FileLines> lines) {
            super(group, lines, "JSON Lines");
        }

        @Override
        protected void startFile(FileTask file, BufferedReader in) {
            this.in = in;
            line = 0;
            blank = 0;
            malformed = 0;
        }

        @Override
        protected Row nextRow() throws IOException {
            while (true) {
                // readLine ends a line at \n, \r\n or \r, and counts a last line without a terminator.
                String text = in.readLine();
                if (text == null) {
                    return null;
                }
                line++;
                if (line == 1 && text.startsWith("\uFEFF")) {
                    text = text.substring(1);
                }
                if (text.isBlank()) {
                    blank++;
                    continue;
                }
                return toRow(text);
            }
        }

        @Override
        protected FileLines finishedFile() {
            return new FileLines(file().path(), line, 0, line - blank, blank, line - blank, malformed);
        }

        private Row toRow(String text) {
            String problem = null;
            try {
                JsonNode node = STRICT.readTree(text);
                if (!node.isObject()) {
                    problem = "a JSON " + node.getNodeType().name().toLowerCase(java.util.Locale.ROOT)
                            + ", not an object; each line must be one {...} object";
                }
            } catch (JsonProcessingException e) {
                problem = e.getOriginalMessage() + " (column " + e.getLocation().getColumnNr() + "); each line must"
                        + " be one complete {...} object";
            }
            if (problem == null) {
                return RowFactory.create(text, file().path(), line, null, null, null);
            }
            malformed++;
            return RowFactory.create(null, file().path(), line, QuarantineReason.MALFORMED_JSON,
                    "line " + line + ": " + problem, text);
        }
    }
}
