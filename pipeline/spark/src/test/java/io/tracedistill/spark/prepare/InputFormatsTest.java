package io.tracedistill.spark.prepare;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tracedistill.contract.ColumnKeys;
import io.tracedistill.spark.Columns;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The reader and the contract transform on each input format: JSON Lines (primitives as their JSON text), Parquet
 * (typed cells: {@code str(4.0) == "4.0"}), CSV with an invalid UTF-8 byte ({@code bad_encoding}), and a glob over
 * part files with a hidden file beside them.
 */
class InputFormatsTest extends SparkTestBase {
    @TempDir
    Path dir;

    static List<Row> staged(String dataPath) {
        InputTable t = InputReader.read(spark, dataPath);
        CheckedSchema cs = SchemaCheck.check(t, ColumnKeys.defaults(), "config.yaml");
        Dataset<Row> st = FormatContractTransform.transform(t, cs, FormatContractTransform.Params.defaults());
        return st.collectAsList().stream()
                .sorted(Comparator.comparing((Row r) -> r.getString(2)).thenComparing(r -> r.getLong(1))).toList();
    }

    static String assistant(Row r) {
        return r.getString(r.fieldIndex(FormatContractTransform.ASSISTANT));
    }

    @Test
    void jsonLinesKeepNumbersAsWrittenAndNullIsNone() throws IOException {
        Path f = dir.resolve("data.jsonl");
        Files.writeString(f, String.join("\n",
                "{\"prompt\":\"q1\",\"generated_cot\":\"reasoning one\",\"answer\":5.0,\"type\":\"t\"}",
                "{\"prompt\":\"q2\",\"generated_cot\":null,\"answer\":7,\"type\":\"t\"}",
                "{\"prompt\":null,\"generated_cot\":\"reasoning three\",\"answer\":true,\"type\":\"t\"}") + "\n");
        List<Row> rows = staged(f.toString());
        assertEquals(3, rows.size());
        assertEquals("reasoning one\n</think>\n\\boxed{5.0}", assistant(rows.get(0)));
        assertEquals("missing_cot", rows.get(1).getString(rows.get(1).fieldIndex(FormatContractTransform.STAGED_REASON)));
        assertEquals("None" + FormatContractTransform.Params.defaults().promptSuffix(),
                rows.get(2).getString(rows.get(2).fieldIndex(FormatContractTransform.USER)));
        assertEquals("reasoning three\n</think>\n\\boxed{true}", assistant(rows.get(2)));
    }

    /** Issue 17: a malformed JSONL line gave ~300 lines of Spark trace; now it is quarantined with file and line. */
    @Test
    void malformedJsonLinesAreQuarantinedWithFileAndLine() throws IOException {
        Path f = dir.resolve("data.jsonl");
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < 6; i++) {
            text.append("{\"prompt\":\"q").append(i).append("\",\"generated_cot\":\"a long enough reasoning trace\","
                    + "\"answer\":").append(i).append(",\"type\":\"").append(i % 2 == 0 ? "h" : "e").append("\"}\n");
            if (i == 1) {
                text.append("{\"prompt\":\"cut off\",\"generated_cot\":\"x\n");        // line 3
            }
            if (i == 3) {
                text.append("\n{\"prompt\":\"q\",\"type\":\"h\"} trailing\n[1, 2]\n"); // lines 6 (blank), 7, 8
            }
        }
        Files.writeString(f, text.toString());
        PrepareResult r = PrepareStage.run(spark, PrepareSettings.defaults(f.toString(), dir.resolve("out").toString(),
                List.of("h"), 0), null);
        assertEquals(9, r.inputRows(), "6 objects + 3 malformed lines; the blank line is no row");
        assertEquals(3, r.dropReasons().get(QuarantineReason.MALFORMED_JSON));
        List<Row> q = spark.read().parquet(r.quarantineDir()).collectAsList();
        List<String> got = q.stream().map(x -> x.getLong(x.fieldIndex(Columns.SOURCE_LINE)) + " "
                + x.getString(x.fieldIndex(Columns.QUARANTINE_DETAIL))).toList();
        System.out.println("quarantine: " + got);
        assertEquals(3, got.size(), got.toString());
        assertTrue(got.get(0).startsWith("3 line 3: Unexpected end-of-input"), got.get(0));
        assertTrue(got.get(1).startsWith("7 line 7: ") && got.get(1).contains("trailing"), got.get(1));
        assertEquals("8 line 8: a JSON array, not an object; each line must be one {...} object", got.get(2));
        assertEquals("[1, 2]", q.get(2).getString(q.get(2).fieldIndex(Columns.RAW_RECORD)));
        var m = io.tracedistill.spark.Manifests.read(spark.sparkContext().hadoopConfiguration(), r.manifestPath());
        assertEquals(10, m.get("input").get("physical_lines").asLong());
        assertEquals(1, m.get("input").get("blank_lines").asLong());
        assertEquals(9, m.get("input").get("record_lines").asLong());
    }

    /**
     * Every row malformed: prepare used to go on to the split and report an empty type column. Now it names the files,
     * the first malformed line with its text, and the likely cause, before any shard is written.
     */
    @Test
    void anInputWhoseEveryRowIsMalformedIsRefusedNamingTheFirstLineAndTheCause() throws IOException {
        // CSV: a comma header over semicolon-separated rows (two parts, so both files are named).
        Path csv = Files.createDirectories(dir.resolve("semicolons"));
        Files.writeString(csv.resolve("part-0.csv"), "prompt,generated_cot,answer,type\n"
                + "q1;a long enough trace;1;h\nq2;another long trace;2;e\n");
        Files.writeString(csv.resolve("part-1.csv"), "prompt,generated_cot,answer,type\nq3;third trace here;3;h\n");
        Path out = dir.resolve("out-csv");
        InputSchemaException e = assertThrows(InputSchemaException.class, () -> PrepareStage.run(spark,
                PrepareSettings.defaults(csv.toString(), out.toString(), List.of("h"), 0), null));
        String m = e.getMessage();
        System.out.println(m);
        assertTrue(m.startsWith("Not one of the 3 rows of data_path '" + csv + "' could be read as a CSV record:"
                + " every row is quarantined as malformed_csv"), m);
        assertTrue(m.contains("part-0.csv") && m.contains("part-1.csv"), m);
        assertTrue(m.contains("line 2: 1 field where the header has 4") && m.contains("'q1;a long enough trace;1;h'"), m);
        assertTrue(m.contains("Likely cause: the rows look ';'-separated"), m);
        assertTrue(!Files.exists(out.resolve("prepared/phase1")), "no shards");

        // JSON Lines: a pretty-printed JSON array instead of one object per line (6 lines, none an object).
        Path json = dir.resolve("array.jsonl");
        Files.writeString(json, "[\n  {\n    \"prompt\": \"q1\",\n    \"type\": \"h\"\n  }\n]\n");
        e = assertThrows(InputSchemaException.class, () -> PrepareStage.run(spark,
                PrepareSettings.defaults(json.toString(), dir.resolve("out-json").toString(), List.of("h"), 0), null));
        m = e.getMessage();
        System.out.println(m);
        assertTrue(m.startsWith("Not one of the 6 rows of data_path '" + json + "' could be read as a JSONL record:"
                + " every row is quarantined as malformed_json"), m);
        assertTrue(m.contains("line 1: ") && m.contains("its text: '['"), m);
        assertTrue(m.contains("Likely cause: the file looks like one JSON document"), m);
    }

    @Test
    void likelyCauseOfAllMalformedRows() {
        assertTrue(AllRowsMalformed.likelyCause(InputFormat.CSV, "a\tb\tc").contains("'\\t'-separated"));
        assertTrue(AllRowsMalformed.likelyCause(InputFormat.CSV, "a,b,c,d,").contains("ends with a comma"));
        assertTrue(AllRowsMalformed.likelyCause(InputFormat.CSV, "\u0000p\u0000r").contains("not UTF-8"));
        assertTrue(AllRowsMalformed.likelyCause(InputFormat.JSONL, "prompt,cot,answer,type")
                .contains("check that the file is JSON Lines"));
    }

    @Test
    void parquetKeepsPythonTypes() {
        StructType schema = new StructType(new StructField[] {
            DataTypes.createStructField("prompt", DataTypes.StringType, true),
            DataTypes.createStructField("generated_cot", DataTypes.StringType, true),
            DataTypes.createStructField("answer", DataTypes.DoubleType, true),
            DataTypes.createStructField("type", DataTypes.LongType, true)});
        String out = dir.resolve("pq").toString();
        spark.createDataFrame(List.of(RowFactory.create("q1", "reasoning one", 4.0, 3L),
                RowFactory.create("q2", "reasoning two", 1e-7, null)), schema).coalesce(1).write().parquet(out);
        List<Row> rows = staged(out);
        assertEquals("reasoning one\n</think>\n\\boxed{4.0}", assistant(rows.get(0)));
        assertEquals("3", rows.get(0).getString(rows.get(0).fieldIndex(FormatContractTransform.STAGED_TYPE)));
        assertEquals("missing_type", rows.get(1).getString(rows.get(1).fieldIndex(FormatContractTransform.STAGED_REASON)));
    }

    @Test
    void invalidUtf8IsQuarantinedAsBadEncoding() throws IOException {
        Path f = dir.resolve("bad.csv");
        byte[] head = "prompt,generated_cot,answer,type\nq1,good reasoning,1,t\nq2,bad ".getBytes(StandardCharsets.UTF_8);
        byte[] tail = " reasoning,2,t\n".getBytes(StandardCharsets.UTF_8);
        byte[] all = new byte[head.length + 2 + tail.length];
        System.arraycopy(head, 0, all, 0, head.length);
        all[head.length] = (byte) 0xC3; // a lead byte followed by a non-continuation byte: invalid UTF-8
        all[head.length + 1] = (byte) 0x28;
        System.arraycopy(tail, 0, all, head.length + 2, tail.length);
        Files.write(f, all);
        List<Row> rows = staged(f.toString());
        assertNull(rows.get(0).getString(rows.get(0).fieldIndex(FormatContractTransform.STAGED_REASON)));
        assertEquals("bad_encoding", rows.get(1).getString(rows.get(1).fieldIndex(FormatContractTransform.STAGED_REASON)));
    }

    @Test
    void globAndDirectorySkipHiddenFilesAndKeepPathOrder() throws IOException {
        Path d = dir.resolve("parts");
        Files.createDirectories(d);
        Files.writeString(d.resolve("b.csv"), "prompt,generated_cot,answer,type\nq3,reasoning three,3,t\n");
        Files.writeString(d.resolve("a.csv"), "prompt,generated_cot,answer,type\nq1,reasoning one,1,t\nq2,reasoning two,2,t\n");
        Files.writeString(d.resolve("_SUCCESS"), "");
        Files.writeString(d.resolve(".a.csv.crc"), "x");
        List<InputFile> files = InputReader.listFiles(spark.sparkContext().hadoopConfiguration(), d.toString());
        assertEquals(2, files.size());
        assertTrue(files.get(0).path().endsWith("/a.csv") && files.get(1).path().endsWith("/b.csv"));
        assertEquals(files, InputReader.listFiles(spark.sparkContext().hadoopConfiguration(), d + "/*.csv"));
        List<Row> rows = staged(d + "/*.csv");
        assertEquals(3, rows.size());
        assertTrue(rows.get(2).getString(rows.get(2).fieldIndex(Columns.SOURCE_FILE)).endsWith("/b.csv"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> InputReader.listFiles(spark.sparkContext().hadoopConfiguration(), d + "/*.parquet"));
        assertTrue(e.getMessage().contains("No input files found at data_path"), e.getMessage());
    }
}
