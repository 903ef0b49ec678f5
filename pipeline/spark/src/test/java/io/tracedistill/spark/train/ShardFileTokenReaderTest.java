package io.tracedistill.spark.train;

import io.tracedistill.config.ShardFormat;
import io.tracedistill.spark.Columns;
import io.tracedistill.spark.ShardSchemas;
import io.tracedistill.spark.SparkSessions;
import io.tracedistill.train.TokenExample;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

import static org.apache.spark.sql.functions.col;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The task-side token shard reader gives exactly what the driver-side Spark reader gives. */
class ShardFileTokenReaderTest {

    private static SparkSession spark;

    @BeforeAll
    static void start() {
        spark = SparkSessions.builder("local[2]", "shard-file-token-reader-test").getOrCreate();
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    /** 23 rows of varying length, shuffled, written as 3 files in position order. */
    private static String write(Path dir, ShardFormat format) {
        List<Row> rows = new ArrayList<>();
        for (long p = 22; p >= 0; p--) {
            int n = 1 + (int) (p * 7 % 11);
            List<Integer> ids = new ArrayList<>();
            List<Integer> labels = new ArrayList<>();
            for (int t = 0; t < n; t++) {
                ids.add((int) (p * 100 + t));
                labels.add(t < n / 2 ? -100 : (int) (p * 100 + t));
            }
            rows.add(RowFactory.create(p, p % 2 == 0 ? "math" : "code", ids, labels, n, n - n / 2));
        }
        var df = spark.createDataFrame(rows, ShardSchemas.TOKEN_LEADING_SCHEMA)
                .repartitionByRange(3, col(Columns.POSITION)).sortWithinPartitions(Columns.POSITION);
        String out = dir.resolve(format.name().toLowerCase()).toString();
        if (format == ShardFormat.PARQUET) {
            df.write().parquet(out);
        } else {
            df.write().json(out);
        }
        return out;
    }

    @ParameterizedTest
    @EnumSource(ShardFormat.class)
    void readsWhatTheSparkReaderReads(ShardFormat format, @TempDir Path tmp) {
        String dir = write(tmp, format);
        var fileReader = new ShardFileTokenReader(dir, format, ShardFileTokenReader.settingsOf(spark.sparkContext().hadoopConfiguration()));
        var sparkReader = new SparkTokenShardReader(spark, dir, format.sparkSource());
        assertTrue(new java.io.File(dir).list((d, n) -> n.startsWith("part-")).length >= 2, "several files");
        Iterator<TokenExample> a = fileReader.open();
        Iterator<TokenExample> b = sparkReader.open();
        int n = 0;
        while (b.hasNext()) {
            assertTrue(a.hasNext(), "the file reader ended after " + n + " rows");
            TokenExample x = a.next();
            TokenExample y = b.next();
            assertEquals(y.position(), x.position());
            assertEquals(y.type(), x.type());
            assertArrayEquals(y.inputIds(), x.inputIds(), "input_ids at position " + y.position());
            assertArrayEquals(y.labels(), x.labels(), "labels at position " + y.position());
            n++;
        }
        assertFalse(a.hasNext());
        assertEquals(23, n);
        assertEquals(23, fileReader.count());
    }

    /**
     * Rank 1 of 2 with micro-batches of 2 rows: exactly examples 2, 3, 6, 7, ... come back, with their indexes and the
     * rows a full read gives; the count comes from the footers / lines.
     */
    @ParameterizedTest
    @EnumSource(ShardFormat.class)
    void aRankGetsExactlyItsMicroBatchesRows(ShardFormat format, @TempDir Path tmp) {
        String dir = write(tmp, format);
        var reader = new ShardFileTokenReader(dir, format, ShardFileTokenReader.settingsOf(spark.sparkContext().hadoopConfiguration()));
        List<TokenExample> all = new ArrayList<>();
        reader.open().forEachRemaining(all::add);
        List<Long> indexes = new ArrayList<>();
        reader.open(i -> (i / 2) % 2 == 1).forEachRemaining(r -> {
            indexes.add(r.index());
            TokenExample full = all.get((int) r.index());
            assertEquals(full.position(), r.example().position());
            assertArrayEquals(full.inputIds(), r.example().inputIds());
            assertArrayEquals(full.labels(), r.example().labels());
        });
        assertEquals(java.util.stream.LongStream.range(0, 23).filter(i -> (i / 2) % 2 == 1).boxed().toList(), indexes);
        assertEquals(23, reader.count());
    }

    /** Another rank's rows are not even parsed: a corrupt line of theirs does not stop this rank, but does stop a full read. */
    @Test
    void anotherRanksRowsAreNotParsed(@TempDir Path tmp) throws Exception {
        String dir = write(tmp, ShardFormat.JSONL);
        java.nio.file.Path firstPart = java.util.Arrays.stream(new java.io.File(dir).listFiles((d, n) -> n.startsWith("part-")))
                .sorted().findFirst().orElseThrow().toPath();
        List<String> lines = java.nio.file.Files.readAllLines(firstPart);
        lines.set(0, "{not json"); // example 0: rank 0's micro-batch
        java.nio.file.Files.write(firstPart, lines);
        java.nio.file.Files.deleteIfExists(firstPart.resolveSibling("." + firstPart.getFileName() + ".crc")); // Hadoop's checksum of the old bytes
        var reader = new ShardFileTokenReader(dir, ShardFormat.JSONL, java.util.Map.of());
        List<Long> rank1 = new ArrayList<>();
        reader.open(i -> (i / 2) % 2 == 1).forEachRemaining(r -> rank1.add(r.index()));
        assertEquals(11, rank1.size(), "rank 1 read its 11 rows (2, 3, 6, 7, ..., 22) past the corrupt line of rank 0");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> reader.open().next());
        assertTrue(e.getMessage().contains(firstPart.getFileName() + " line 1 is not valid JSON"), e.getMessage());
    }

    @Test
    void anEmptyDirectoryNamesTheFix(@TempDir Path tmp) {
        var reader = new ShardFileTokenReader(tmp.toString(), ShardFormat.PARQUET, java.util.Map.of());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, reader::open);
        assertTrue(e.getMessage().contains("run the tokenize stage first"), e.getMessage());
    }
}
