package io.tracedistill.spark.prepare;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.tracedistill.spark.Columns;
import io.tracedistill.spark.Manifests;
import io.tracedistill.spark.SparkSessions;
import io.tracedistill.testdata.S3ProxyServer;
import io.tracedistill.testdata.SampleDataGenerator;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Prepare against a real S3 server on 127.0.0.1 ({@link S3ProxyServer}): the input is uploaded to and read from
 * {@code s3a://}, the shards and manifest are written there (Parquet through the S3A directory committer), the
 * result equals the reference sequence, and the secret key appears neither in the manifest nor in
 * {@link SparkSessions.S3aSettings#toString()}.
 */
class PrepareS3Test {
    static final String BUCKET = "tracedistill-test";
    static S3ProxyServer server;
    static SparkSession spark;

    @TempDir
    static Path tmp;

    @BeforeAll
    static void start() throws Exception {
        server = S3ProxyServer.start(tmp, BUCKET);
        SparkSessions.S3aSettings s3 = new SparkSessions.S3aSettings(server.endpoint(), S3ProxyServer.ACCESS_KEY,
                S3ProxyServer.SECRET_KEY, true, false, "none");
        assertFalse(s3.toString().contains(S3ProxyServer.SECRET_KEY), "settings never print the secret");
        spark = SparkSessions.withS3aCommitter(s3.apply(SparkSessions.builder("local[2]", "prepare-s3-test")
                .config("spark.sql.shuffle.partitions", "4"))).getOrCreate();
    }

    @AfterAll
    static void stop() throws Exception {
        if (spark != null) {
            spark.stop();
        }
        if (server != null) {
            server.close();
        }
    }

    @Test
    void prepareReadsAndWritesS3a() throws Exception {
        int rows = 500;
        Path local = tmp.resolve("input");
        SampleDataGenerator.writeParts(5, rows, 2, local);
        Configuration conf = spark.sparkContext().hadoopConfiguration();
        String input = "s3a://" + BUCKET + "/data/input";
        FileSystem fs = FileSystem.get(java.net.URI.create("s3a://" + BUCKET + "/"), conf);
        fs.copyFromLocalFile(false, true, new org.apache.hadoop.fs.Path(local.toUri()),
                new org.apache.hadoop.fs.Path(input));

        List<String> hard = List.of("bit_manipulation", "cryptarithm_deduce");
        PrepareResult r = PrepareStage.run(spark, PrepareSettings.defaults(input + "/", "s3a://" + BUCKET + "/runs/one",
                hard, 42).withRowsPerShard(200), null);
        assertTrue(r.manifestPath().startsWith("s3a://" + BUCKET + "/runs/one/prepared/"), r.manifestPath());

        List<SampleDataGenerator.Row> src = new ArrayList<>();
        SampleDataGenerator g = new SampleDataGenerator(5);
        for (int i = 0; i < rows; i++) {
            src.add(g.next(i));
        }
        List<List<ReferencePipeline.Expected>> expected = ReferencePipeline.phases(src, hard, 42, 8, 8);
        for (int p = 0; p < 2; p++) {
            List<Row> actual = spark.read().parquet(p == 0 ? r.phase1Dir() : r.phase2Dir())
                    .orderBy(Columns.POSITION).collectAsList();
            assertEquals(expected.get(p).size(), actual.size(), "phase " + (p + 1));
            for (int k = 0; k < actual.size(); k++) {
                assertEquals(k, actual.get(k).getLong(0));
                assertEquals(expected.get(p).get(k).id(), actual.get(k).getString(actual.get(k).fieldIndex("id")));
            }
        }
        String manifestText = Manifests.read(conf, r.manifestPath()).toString();
        assertFalse(manifestText.contains(S3ProxyServer.SECRET_KEY), "manifest holds no secret");
        assertFalse(manifestText.contains(S3ProxyServer.ACCESS_KEY), "manifest holds no access key");
        JsonNode m = Manifests.read(conf, r.manifestPath());
        assertEquals(rows, m.at("/counts/input").asLong());
        assertEquals(2, m.at("/input/files").size());
        assertTrue(m.at("/input/files/0/path").asText().startsWith("s3a://" + BUCKET + "/data/input/part-00000.csv"));
        assertFalse(fs.exists(new org.apache.hadoop.fs.Path(r.preparedDir() + "/_tmp")), "no temporary left");
    }
}
