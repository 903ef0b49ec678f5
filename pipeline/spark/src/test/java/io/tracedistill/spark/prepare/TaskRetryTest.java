package io.tracedistill.spark.prepare;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tracedistill.spark.Columns;
import io.tracedistill.spark.FailOnceInjector;
import io.tracedistill.spark.SparkSessions;
import io.tracedistill.testdata.SampleDataGenerator;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.spark.TaskFailedReason;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Exactly-once under task retries: with {@code local[2,3]} (up to 3 attempts per task), the first attempt of a
 * contract task and of a phase-1 shard task throw after producing output ({@link FailOnceInjector}); the retried
 * run must still write exactly the reference sequence, with no duplicate and no missing row, and the quarantine
 * must hold each dropped row once.
 */
class TaskRetryTest {
    static SparkSession spark;
    static final AtomicInteger failedTasks = new AtomicInteger();

    @TempDir
    static Path tmp;

    @BeforeAll
    static void start() {
        spark = SparkSessions.builder("local[2,3]", "prepare-retry-test")
                .config("spark.sql.shuffle.partitions", "4")
                .getOrCreate();
        spark.sparkContext().addSparkListener(new SparkListener() {
            @Override
            public void onTaskEnd(SparkListenerTaskEnd end) {
                if (end.reason() instanceof TaskFailedReason) {
                    failedTasks.incrementAndGet();
                }
            }
        });
    }

    @AfterAll
    static void stop() {
        System.clearProperty(FailOnceInjector.PROPERTY);
        spark.stop();
    }

    @Test
    void retriedTasksLeaveNoDuplicatesOrGaps() throws Exception {
        int rows = 900;
        Path input = tmp.resolve("input");
        SampleDataGenerator.writeParts(11, rows, 2, input);
        List<SampleDataGenerator.Row> src = new ArrayList<>();
        SampleDataGenerator g = new SampleDataGenerator(11);
        for (int i = 0; i < rows; i++) {
            src.add(g.next(i));
        }
        List<String> hard = List.of("bit_manipulation", "cryptarithm_deduce");
        System.setProperty(FailOnceInjector.PROPERTY, "contract:0,shard1:0");
        PrepareResult r;
        try {
            r = PrepareStage.run(spark, PrepareSettings.defaults(input.toString(), tmp.resolve("out").toString(), hard, 3)
                    .withRowsPerShard(200), null);
        } finally {
            System.clearProperty(FailOnceInjector.PROPERTY);
        }
        assertTrue(failedTasks.get() >= 2, "the injected failures happened (failed tasks: " + failedTasks.get() + ")");

        List<List<ReferencePipeline.Expected>> expected = ReferencePipeline.phases(src, hard, 3, 8, 8);
        for (int p = 0; p < 2; p++) {
            List<Row> actual = spark.read().parquet(p == 0 ? r.phase1Dir() : r.phase2Dir())
                    .orderBy(Columns.POSITION).collectAsList();
            List<ReferencePipeline.Expected> exp = expected.get(p);
            assertEquals(exp.size(), actual.size(), "phase " + (p + 1) + ": no duplicates, no gaps");
            for (int k = 0; k < exp.size(); k++) {
                assertEquals(k, actual.get(k).getLong(0));
                assertEquals(exp.get(k).id(), actual.get(k).getString(actual.get(k).fieldIndex("id")));
                assertEquals(exp.get(k).assistant(), actual.get(k).getString(actual.get(k).fieldIndex(Columns.COMPLETION)));
            }
        }
        long dropped = src.stream().filter(x -> x.id() % SampleDataGenerator.BAD_EVERY
                == SampleDataGenerator.BAD_EVERY - 1).count();
        List<Row> q = spark.read().parquet(r.quarantineDir()).collectAsList();
        assertEquals(dropped, q.size(), "each dropped row quarantined once");
        assertEquals(rows, r.keptRows() + r.quarantinedRows());
        try (var files = Files.list(Path.of(java.net.URI.create(r.preparedDir())))) {
            assertTrue(files.noneMatch(f -> f.getFileName().toString().startsWith("_tmp")), "temporary dir removed");
        }
    }
}
