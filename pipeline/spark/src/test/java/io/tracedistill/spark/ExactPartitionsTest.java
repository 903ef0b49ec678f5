package io.tracedistill.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tracedistill.config.ShardFormat;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link ExactPartitions}: every row lands in the partition it names, sorted; a misroute fails the job. */
class ExactPartitionsTest {
    static SparkSession spark;

    @TempDir
    Path tmp;

    @BeforeAll
    static void start() {
        spark = SparkSessions.builder("local[2]", "exact-partitions-test").config("spark.ui.enabled", "false")
                .getOrCreate();
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    /** Rows 0..rows-1 in a scrambled order, with part = key / block and a copy of part that survives the shuffle. */
    private static Dataset<Row> blocks(long rows, int block) {
        return spark.range(rows).repartition(3)
                .withColumn("key", functions.col("id").multiply(7919).mod(rows))
                .withColumn("part", functions.col("key").divide(block).cast("int"))
                .withColumn("expected_part", functions.col("part"));
    }

    @Test
    void everyRowLandsInItsPartitionInKeyOrder() {
        for (int n : new int[] {1, 2, 5, 13, 37}) {
            int block = 11;
            long rows = (long) n * block - 3; // the last block is short
            Dataset<Row> out = ExactPartitions.shuffle(blocks(rows, block), "part", n, "key")
                    .withColumn("landed", functions.spark_partition_id());
            assertEquals(n, out.rdd().getNumPartitions());
            List<Row> got = out.collectAsList(); // partition 0 first, each in key order
            assertEquals(rows, got.size());
            for (int i = 0; i < got.size(); i++) {
                Row r = got.get(i);
                assertEquals(i, r.getLong(r.fieldIndex("key")), "n=" + n + ": row " + i + " in key order");
                assertEquals(r.getInt(r.fieldIndex("expected_part")), r.getInt(r.fieldIndex("landed")), "n=" + n);
            }
            assertTrue(List.of(out.columns()).contains("key") && !List.of(out.columns()).contains("part"));
        }
    }

    @Test
    void routingKeysAreDistinctAndSmall() {
        int[] keys = ExactPartitions.routingKeys(200);
        assertEquals(200, java.util.Arrays.stream(keys).distinct().count());
        assertTrue(java.util.Arrays.stream(keys).allMatch(k -> k >= 0 && k < 10_000));
        assertThrows(IllegalArgumentException.class, () -> ExactPartitions.routingKeys(0));
    }

    @Test
    void aMisroutedRowFailsTheJobNamingTheCause() {
        int n = 4;
        int[] wrong = new int[n]; // every partition routed by key 0: all rows land in one partition
        Exception e = assertThrows(Exception.class,
                () -> ExactPartitions.shuffle(blocks(40, 10), "part", n, "key", wrong).collectAsList());
        String all = messages(e);
        assertTrue(all.contains("ExactPartitions: a row meant for partition"), all);
    }

    @Test
    void publishPartsRenumbersEachRangeAndFailsOnAGap() throws Exception {
        Configuration conf = new Configuration();
        Path from = tmp.resolve("spark-out");
        Files.createDirectories(from);
        String uuid = "0b9c2a5e-1111-2222-3333-444455556666";
        for (int p = 0; p < 5; p++) {
            Files.writeString(from.resolve(String.format("part-%05d-%s-c000.snappy.parquet", p, uuid)), "p" + p);
        }
        Files.writeString(from.resolve("_SUCCESS"), "");
        List<List<ShardFiles.Shard>> out = ShardFiles.publishParts(conf, from.toString(), List.of(
                new ShardFiles.PartRange(tmp.resolve("a").toString(), 0, 2),
                new ShardFiles.PartRange(tmp.resolve("b").toString(), 2, 3)), ShardFormat.PARQUET);
        assertEquals(List.of("part-00000.parquet", "part-00001.parquet"), names(out.get(0)));
        assertEquals(List.of("part-00000.parquet", "part-00001.parquet", "part-00002.parquet"), names(out.get(1)));
        assertEquals("p3", Files.readString(tmp.resolve("b/part-00001.parquet")));
        assertTrue(Files.notExists(from));

        Path gap = tmp.resolve("gap");
        Files.createDirectories(gap);
        Files.writeString(gap.resolve("part-00000-" + uuid + "-c000.json"), "{}");
        Files.writeString(gap.resolve("part-00002-" + uuid + "-c000.json"), "{}");
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> ShardFiles.publishParts(conf,
                gap.toString(), List.of(new ShardFiles.PartRange(tmp.resolve("c").toString(), 0, 3)), ShardFormat.JSONL));
        assertTrue(e.getMessage().contains("partition 1 wrote no file"), e.getMessage());
    }

    @Test
    void publishMovesPartFilesInPartitionOrderUnderOneNamingScheme() throws Exception {
        Configuration conf = new Configuration();
        Path from = tmp.resolve("spark-out-single");
        Files.createDirectories(from);
        String uuid = "0b9c2a5e-1111-2222-3333-444455556666";
        String s3aUuid = "aff3613a-b28b-453d-a322-908c2de3725d";
        Files.writeString(from.resolve("part-00000-" + uuid + "-c000.json"), "r0");
        Files.writeString(from.resolve("part-00002-" + uuid + "-c000-" + s3aUuid + ".json"), "r2");
        Files.writeString(from.resolve(".part-00000-" + uuid + "-c000.json.crc"), "crc");
        Files.writeString(from.resolve("_SUCCESS"), "");
        Path to = tmp.resolve("published");
        List<ShardFiles.Shard> out = ShardFiles.publish(conf, from.toString(), to.toString(), ShardFormat.JSONL);
        assertEquals(List.of("part-00000.jsonl", "part-00001.jsonl"), names(out));
        assertEquals("r2", Files.readString(to.resolve("part-00001.jsonl")), "partition order kept");
        assertEquals(2, ShardFiles.list(conf, to.toString()).size(), "only the data files are published");
        assertTrue(Files.notExists(from));
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> ShardFiles.publish(conf, from.toString(), to.toString(), ShardFormat.JSONL));
        assertTrue(e.getMessage().contains("already exists"), e.getMessage());
    }

    private static List<String> names(List<ShardFiles.Shard> shards) {
        List<String> n = new ArrayList<>();
        shards.forEach(s -> n.add(s.name()));
        return n;
    }

    private static String messages(Throwable t) {
        StringBuilder b = new StringBuilder();
        for (Throwable c = t; c != null; c = c.getCause()) {
            b.append(c.getMessage()).append(" | ");
        }
        return b.toString();
    }
}
