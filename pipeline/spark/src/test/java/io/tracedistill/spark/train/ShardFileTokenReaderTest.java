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

    @Test
    void anEmptyDirectoryNamesTheFix(@TempDir Path tmp) {
        var reader = new ShardFileTokenReader(tmp.toString(), ShardFormat.PARQUET, java.util.Map.of());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, reader::open);
        assertTrue(e.getMessage().contains("run the tokenize stage first"), e.getMessage());
    }
}
