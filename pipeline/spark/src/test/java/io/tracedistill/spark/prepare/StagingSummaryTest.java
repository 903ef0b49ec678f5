package io.tracedistill.spark.prepare;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tracedistill.contract.ColumnKeys;
import io.tracedistill.testdata.SampleDataGenerator;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.util.CollectionAccumulator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The split summary gathered during the staged write (accumulator) equals the one scanned from the staged copy,
 * and an incomplete set of blobs is refused (the job then scans).
 */
class StagingSummaryTest extends SparkTestBase {
    @TempDir
    Path tmp;

    @Test
    void blobsFromTheStagedWriteEqualTheScan() {
        Path input = tmp.resolve("input");
        SampleDataGenerator.writeParts(5, 700, 3, input); // small files: Spark packs several into a partition
        InputTable table = InputReader.read(spark, input.toString());
        CheckedSchema schema = SchemaCheck.check(table, ColumnKeys.defaults(), null);
        CollectionAccumulator<byte[]> acc = spark.sparkContext().collectionAccumulator("test summaries");
        Dataset<Row> staged = FormatContractTransform.transform(table, schema,
                FormatContractTransform.Params.defaults(), acc);
        String dir = tmp.resolve("staged").toString();
        ShardWriter.writeStaged(staged, dir);
        Dataset<Row> back = spark.read().schema(FormatContractTransform.stagedSchema(schema.input())).parquet(dir);

        StagedSummaryCodec.Collected scanned = StagedSummaryCodec.collectWithIdentity(back);
        List<byte[]> blobs = acc.value();
        assertEquals(table.rows().rdd().getNumPartitions(), blobs.size(), "one blob per read partition");
        StagedSummaryCodec.Collected gathered = StagedSummaryCodec.fromStagingBlobs(blobs).orElseThrow();
        StagedSummaryCodec.InputSummary a = scanned.summary();
        StagedSummaryCodec.InputSummary b = gathered.summary();
        assertEquals(700, a.rows());
        assertEquals(a.files(), b.files());
        assertArrayEquals(a.fileOfRow(), b.fileOfRow());
        assertArrayEquals(a.sourceRow(), b.sourceRow());
        assertArrayEquals(a.type(), b.type());
        assertArrayEquals(a.reason(), b.reason());
        assertArrayEquals(a.cotLen(), b.cotLen());
        assertArrayEquals(a.promptLen(), b.promptLen());
        assertArrayEquals(a.boxed(), b.boxed());
        assertEquals(scanned.inputRowByPidPos().length, gathered.inputRowByPidPos().length);
        for (int p = 0; p < scanned.inputRowByPidPos().length; p++) {
            assertArrayEquals(scanned.inputRowByPidPos()[p], gathered.inputRowByPidPos()[p], "pid " + p);
        }

        List<byte[]> missing = new ArrayList<>(blobs);
        missing.remove(1);
        assertTrue(StagedSummaryCodec.fromStagingBlobs(missing).isEmpty(), "a missing partition is refused");
        List<byte[]> doubled = new ArrayList<>(blobs);
        doubled.add(blobs.get(0));
        assertEquals(700, StagedSummaryCodec.fromStagingBlobs(doubled).orElseThrow().summary().rows(),
                "a duplicate blob (identical) counts once");
        assertTrue(StagedSummaryCodec.fromStagingBlobs(List.of()).isEmpty());
        assertTrue(StagedSummaryCodec.fromStagingBlobs(List.of(new StagedSummaryCodec.SummaryPacker().toStagingBlob(1, 1)))
                .isEmpty(), "a pid outside 0..partitions-1 is refused");
    }
}
