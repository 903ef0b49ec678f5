package io.tracedistill.spark.prepare;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.tracedistill.spark.Columns;
import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 17 #2 and #3: CSV parts are matched by column name, and a record that cannot be read (wrong field count,
 * broken quoting) is quarantined as {@code malformed_csv} with its file, line, problem and text, while every physical
 * line is accounted for in the manifest. Before, a part with swapped columns put answers in the type column, a row
 * with one comma too many was kept with shifted cells, and a stray quote turned 60 rows into 63 garbled ones.
 */
class CsvInputTest extends SparkTestBase {
    @TempDir
    Path dir;

    private static final String HEADER = "prompt,generated_cot,answer,type";
    private static final String COT = "a long enough reasoning trace";

    private static List<CsvRecords.Record> parse(String text) throws IOException {
        CsvRecords r = new CsvRecords(new StringReader(text), "t.csv");
        List<CsvRecords.Record> out = new ArrayList<>();
        for (CsvRecords.Record x = r.next(); x != null; x = r.next()) {
            out.add(x);
        }
        return out;
    }

    @Test
    void recordsKnowTheirLinesAndCellsAreReadAsSparkReadThem() throws IOException {
        String text = "\uFEFFa,b,c\r\n1,\"x, \"\"y\"\"\r\nz\",\r\n\r\n2, sp ,\"\"\r\n";
        List<CsvRecords.Record> rs = parse(text);
        assertEquals(3, rs.size());
        assertEquals(List.of("a", "b", "c"), rs.get(0).fields());
        assertEquals(Arrays.asList("1", "x, \"y\"\nz", null), rs.get(1).fields(), "the file's CRLF inside quotes is \\n");
        assertEquals(2, rs.get(1).startLine());
        assertEquals(2, rs.get(1).lines());
        assertEquals(Arrays.asList("2", " sp ", null), rs.get(2).fields(), "spaces kept; quoted empty is null");
        assertEquals(5, rs.get(2).startLine(), "the blank line 4 is skipped and counted");
        CsvRecords r = new CsvRecords(new StringReader(text), "t.csv");
        while (r.next() != null) {
            // read all
        }
        assertEquals(5, r.physicalLines());
        assertEquals(1, r.blankLines());
        CsvRecords noFinalNewline = new CsvRecords(new StringReader("a\n1\n2"), "t.csv");
        while (noFinalNewline.next() != null) {
            // read all
        }
        assertEquals(3, noFinalNewline.physicalLines());
    }

    @Test
    void aStrayQuoteCostsOneLineNotTheRestOfTheFile() throws IOException {
        // Line 3 opens a quote that the parse would otherwise carry to the quote on line 5.
        String text = HEADER + "\nq1,c1,1,t\n\"q2,c2,2,t\nq3,c3,3,t\nq4,\"c4\",4,t\nq5,c5,5,t\n";
        List<CsvRecords.Record> rs = parse(text);
        assertEquals(6, rs.size(), "header + 5 records, one per line");
        CsvRecords.Record bad = rs.get(2);
        assertEquals(3, bad.startLine());
        assertEquals("\"q2,c2,2,t", bad.raw());
        assertTrue(bad.problem().startsWith("text after the closing quote on line 5"), bad.problem());
        for (int i : new int[] {1, 3, 4, 5}) {
            assertNull(rs.get(i).problem(), "line " + (i + 1));
            assertEquals(4, rs.get(i).fields().size());
        }
        assertEquals("c4", rs.get(4).fields().get(1));
        // A quote that never closes: the line it opened is the bad record, the lines after it are read.
        rs = parse(HEADER + "\nq1,\"c1,1,t\nq2,c2,2,t\n");
        assertEquals("a quote opened on line 2 never closes", rs.get(1).problem());
        assertEquals(List.of("q2", "c2", "2", "t"), rs.get(2).fields());
    }

    /** A reader that hands out at most a few characters per call (sizes cycle through 1..7). */
    private static java.io.Reader trickle(String text) {
        return new java.io.Reader() {
            private int pos;
            private int call;

            @Override
            public int read(char[] cbuf, int off, int len) {
                if (pos == text.length()) {
                    return -1;
                }
                int n = Math.min(Math.min(len, 1 + call++ % 7), text.length() - pos);
                text.getChars(pos, pos + n, cbuf, off);
                pos += n;
                return n;
            }

            @Override
            public void close() {
            }
        };
    }

    /** Every record (fields, lines, raw text, problem) and the line counts of {@code text} read from {@code in}. */
    private static List<String> readAll(java.io.Reader in) throws IOException {
        CsvRecords r = new CsvRecords(in, "t.csv");
        List<String> out = new ArrayList<>();
        for (CsvRecords.Record x = r.next(); x != null; x = r.next()) {
            out.add(x.fields() + "|" + x.startLine() + "|" + x.lines() + "|" + x.raw() + "|" + x.problem());
        }
        out.add("physical=" + r.physicalLines() + " blank=" + r.blankLines());
        return out;
    }

    @Test
    void theParseDoesNotDependOnHowTheFileArrivesInBlocks() throws IOException {
        // The reader copies runs of plain characters in bulk from 64 Ki-character blocks: a record, a CRLF or a
        // doubled quote cut by a block boundary, and the re-read after a quoting problem, must parse as they do
        // when the characters arrive a few at a time.
        String longCell = "x".repeat(70_000) + "\r\ny\"\"z" + "w".repeat(70_000);
        String text = "\uFEFF" + HEADER + "\r\nq1,\"" + longCell + "\",1,t\r\n\r\n\"q2,c2,2,t\r\nq3,c3,3,t\r"
                + "q4,\"c4\"x,4,t\nq5," + "u".repeat(65_530) + ",5,t\rlast,\"open";
        List<String> bulk = readAll(new StringReader(text));
        assertEquals(bulk, readAll(trickle(text)));
        assertEquals(8, bulk.size(), "header, 6 records (a stray quote, text after a quote, one never closed), the counts: " + bulk);
        assertTrue(bulk.get(1).startsWith("[q1, " + "x".repeat(70_000) + "\ny\"z"), "CRLF inside quotes is \\n");
        assertEquals("physical=9 blank=1", bulk.get(bulk.size() - 1));
    }

    private PrepareSettings settings(Path data) {
        return PrepareSettings.defaults(data.toString(), dir.resolve("out").toString(), List.of("h"), 0);
    }

    @Test
    void malformedRowsAreQuarantinedWithFileAndLineAndEveryLineIsCounted() throws IOException {
        StringBuilder csv = new StringBuilder(HEADER + "\n");
        for (int i = 0; i < 8; i++) {
            csv.append("q").append(i).append(',').append(COT).append(',').append(i).append(',')
                    .append(i % 2 == 0 ? "h" : "e").append('\n');
        }
        csv.append("qx,").append(COT).append(",1,5,h\n");                     // line 10: one comma too many
        csv.append("\"qy,").append(COT).append(",2,e\n");                     // line 11: stray opening quote
        csv.append("qz,\"multi\nline ").append(COT).append("\",3,e\n");       // lines 12-13: a good multi-line row
        csv.append("qw,").append(COT).append(",4\n");                          // line 14: a field missing
        csv.append("\n");                                                      // line 15: blank
        csv.append("qv,\"").append(COT).append("\",5,h\n");                   // line 16: closes the stray quote
        Path f = dir.resolve("data.csv");
        Files.writeString(f, csv.toString(), StandardCharsets.UTF_8);

        PrepareResult r = PrepareStage.run(spark, settings(f), null);
        assertEquals(13, r.inputRows(), "8 + 4 malformed/good + 1 = every record");
        assertEquals(3, r.dropReasons().get(QuarantineReason.MALFORMED_CSV));
        List<Row> q = spark.read().parquet(r.quarantineDir()).collectAsList();
        List<String> got = new ArrayList<>();
        for (Row row : q) {
            got.add(row.getLong(row.fieldIndex(Columns.SOURCE_LINE)) + " " + row.getString(row.fieldIndex(
                    Columns.QUARANTINE_REASON)) + " " + row.getString(row.fieldIndex(Columns.QUARANTINE_DETAIL)));
            assertTrue(row.getString(row.fieldIndex(Columns.SOURCE_FILE)).endsWith("/data.csv"));
        }
        System.out.println("quarantine: " + got);
        assertEquals(3, got.size(), got.toString());
        assertTrue(got.get(0).startsWith("10 malformed_csv line 10: 5 fields where the header has 4"), got.get(0));
        assertTrue(got.get(1).startsWith("11 malformed_csv line 11: "), got.get(1));
        assertTrue(got.get(2).startsWith("14 malformed_csv line 14: 3 fields where the header has 4"), got.get(2));
        Row first = q.get(0);
        assertEquals("qx," + COT + ",1,5,h", first.getString(first.fieldIndex(Columns.RAW_RECORD)));
        assertNull(first.getString(first.fieldIndex("type")), "a malformed row's cells are not guessed");
        // The good multi-line row after the stray quote is kept, by name.
        List<Row> p1 = spark.read().parquet(r.phase1Dir(), r.phase2Dir()).filter("prompt like 'qz%'").collectAsList();
        assertEquals(1, p1.size(), "in one phase (an easy row)");
        assertEquals("multi\nline " + COT + "\n</think>\n\\boxed{3}", p1.get(0).getString(p1.get(0)
                .fieldIndex(Columns.COMPLETION)));

        JsonNode m = io.tracedistill.spark.Manifests.read(spark.sparkContext().hadoopConfiguration(), r.manifestPath());
        JsonNode in = m.get("input");
        assertEquals(16, in.get("physical_lines").asLong());
        assertEquals(1, in.get("header_lines").asLong());
        assertEquals(14, in.get("record_lines").asLong(), "13 rows, one of them two lines");
        assertEquals(1, in.get("blank_lines").asLong());
        assertEquals(3, in.get("files").get(0).get("malformed_rows").asLong());
        assertEquals(13, m.get("counts").get("input").asLong());
        assertEquals(3, m.get("counts").get("drop_reasons").get("malformed_csv").asLong());
    }

    @Test
    void partsWithColumnsInAnotherOrderAreMatchedByName() throws IOException {
        Files.writeString(dir.resolve("part-0.csv"), HEADER + "\nq1," + COT + ",5,h\n");
        Files.writeString(dir.resolve("part-1.csv"), "type,prompt,answer,generated_cot\ne,q2,7," + COT + "\n");
        InputTable t = InputReader.read(spark, dir.toString());
        assertEquals(List.of("prompt", "generated_cot", "answer", "type"), List.of(t.inputSchema().fieldNames()));
        List<Row> rows = t.rows().collectAsList().stream()
                .sorted(java.util.Comparator.comparing((Row x) -> x.getString(4))).toList();
        assertEquals(List.of("q2", COT, "7", "e"), List.of(rows.get(1).getString(0), rows.get(1).getString(1),
                rows.get(1).getString(2), rows.get(1).getString(3)), "part-1's answer stays the answer");
    }

    @Test
    void aPartWithOtherColumnsFailsNamingThePartAndBothHeaders() throws IOException {
        Files.writeString(dir.resolve("part-0.csv"), HEADER + "\nq1," + COT + ",5,h\n");
        Files.writeString(dir.resolve("part-1.csv"), "prompt,generated_cot,answer,family\nq2," + COT + ",7,e\n");
        InputSchemaException e = assertThrows(InputSchemaException.class, () -> InputReader.read(spark, dir.toString()));
        String m = e.getMessage();
        assertTrue(m.contains("part-1.csv") && m.contains("part-0.csv"), m);
        assertTrue(m.contains("['prompt', 'generated_cot', 'answer', 'family']")
                && m.contains("['prompt', 'generated_cot', 'answer', 'type']"), m);
        assertTrue(m.contains("it lacks ['type'], it adds ['family']") && m.contains("fix that part's header"), m);
    }

    @Test
    void headerFollowsQuotingAndCompressionAndRefusesRepeatsAndBrokenQuotes() throws IOException {
        Path h = dir.resolve("h.csv");
        Files.writeString(h, "\uFEFF\"a,b\",\"say \"\"hi\"\"\",\"multi\nline\",plain\r\n1,2,3,4\n");
        var conf = spark.sparkContext().hadoopConfiguration();
        assertEquals(List.of("a,b", "say \"hi\"", "multi\nline", "plain"), CsvInput.header(conf, h.toString()));
        Path gz = dir.resolve("g.csv.gz");
        try (var out = new java.util.zip.GZIPOutputStream(Files.newOutputStream(gz))) {
            out.write((HEADER + "\nq," + COT + ",1,h\n").getBytes(StandardCharsets.UTF_8));
        }
        assertEquals(List.of("prompt", "generated_cot", "answer", "type"), CsvInput.header(conf, gz.toString()));
        assertEquals(1, InputReader.read(spark, gz.toString()).rows().count());
        Files.writeString(h, "a,b,a\n1,2,3\n");
        InputSchemaException e = assertThrows(InputSchemaException.class, () -> CsvInput.header(conf, h.toString()));
        assertTrue(e.getMessage().contains("has the column 'a' twice") && e.getMessage().contains("rename"),
                e.getMessage());
        Files.writeString(h, "a,\"b\"x,c\n1,2,3\n");
        e = assertThrows(InputSchemaException.class, () -> CsvInput.header(conf, h.toString()));
        assertTrue(e.getMessage().contains("the header on line 1") && e.getMessage().contains("text after the closing"),
                e.getMessage());
    }
}
