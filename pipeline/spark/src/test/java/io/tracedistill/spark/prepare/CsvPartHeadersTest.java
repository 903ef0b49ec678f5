package io.tracedistill.spark.prepare;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 17 item 2: a folder of CSV parts is read by column position, so every part's header is
 * checked against the first part's before any row is read; a part with swapped or missing columns
 * fails naming the part and both headers (before, its answers became types, with exit 0).
 */
class CsvPartHeadersTest extends SparkTestBase {
    @TempDir
    Path dir;

    private static final String HEADER = "prompt,generated_cot,answer,type";

    private Path parts(String secondHeader, String secondRow) throws IOException {
        Files.writeString(dir.resolve("part-0.csv"), HEADER + "\nq1,\"reasoning, one\",5,hard\n");
        Files.writeString(dir.resolve("part-1.csv"), secondHeader + "\n" + secondRow + "\n");
        return dir;
    }

    @Test
    void partWithSwappedColumnsFailsNamingThePartAndBothHeaders() throws IOException {
        parts("prompt,generated_cot,type,answer", "q2,reasoning two,hard,7");
        InputSchemaException e = assertThrows(InputSchemaException.class, () -> InputReader.read(spark, dir.toString()));
        String m = e.getMessage();
        assertTrue(m.contains("part-1.csv") && m.contains("part-0.csv"), m);
        assertTrue(m.contains("[prompt, generated_cot, type, answer]") && m.contains("[prompt, generated_cot, answer, type]"), m);
        assertTrue(m.contains("another order"), m);
    }

    @Test
    void partMissingAColumnFailsTheSameWay() throws IOException {
        parts("prompt,generated_cot,answer", "q2,reasoning two,7");
        InputSchemaException e = assertThrows(InputSchemaException.class, () -> InputReader.read(spark, dir.toString()));
        assertTrue(e.getMessage().contains("part-1.csv") && e.getMessage().contains("lacks [type]"), e.getMessage());
    }

    @Test
    void headerRecordFollowsCsvQuotingAndCompression() throws IOException {
        Files.writeString(dir.resolve("h.csv"), "\uFEFF\"a,b\",\"say \"\"hi\"\"\",\"multi\nline\",plain\r\n1,2,3,4\n");
        assertEquals(List.of("a,b", "say \"hi\"", "multi\nline", "plain"),
                InputReader.csvHeader(spark.sparkContext().hadoopConfiguration(), dir.resolve("h.csv").toString()));
        parts(HEADER, "q2,reasoning two,7,hard");
        assertEquals(2, InputReader.read(spark, dir.resolve("part-*.csv").toString()).rows().count(),
                "parts with identical headers still read");
    }
}
