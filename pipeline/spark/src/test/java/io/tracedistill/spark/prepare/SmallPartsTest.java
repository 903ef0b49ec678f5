package io.tracedistill.spark.prepare;

import io.tracedistill.run.Phase;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tracedistill.spark.ShardFiles;
import io.tracedistill.spark.ShardSchemas;
import java.math.BigInteger;
import java.util.List;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

/** Hand-checkable unit cases of the prepare helpers (no Spark session). */
class SmallPartsTest {
    @Test
    void formatFromFileName() {
        assertEquals(InputFormat.CSV, InputFormat.ofFileName("data.CSV"));
        assertEquals(InputFormat.CSV, InputFormat.ofFileName("part-00000.csv.gz"));
        assertEquals(InputFormat.JSONL, InputFormat.ofFileName("x.jsonl"));
        assertEquals(InputFormat.PARQUET, InputFormat.ofFileName("part-00000-abc.snappy.parquet"));
        assertNull(InputFormat.ofFileName("README"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> InputReader.formatOf("d",
                List.of(new InputFile("file:/d/a.csv", 1, 1), new InputFile("file:/d/b.txt", 1, 1))));
        assertTrue(e.getMessage().contains("'file:/d/b.txt'") && e.getMessage().contains("rename"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> InputReader.formatOf("d",
                List.of(new InputFile("file:/d/a.csv", 1, 1), new InputFile("file:/d/b.parquet", 1, 1))));
        assertTrue(e.getMessage().contains("mixes formats"), e.getMessage());
    }

    @Test
    void publishedShardNamesAreNumberedWithTheFormatExtension() {
        assertEquals("part-00003.parquet", ShardFiles.shardName(3, io.tracedistill.config.ShardFormat.PARQUET));
        assertEquals("part-00000.jsonl", ShardFiles.shardName(0, io.tracedistill.config.ShardFormat.JSONL));
        assertEquals("part-12345.parquet", ShardFiles.shardName(12345, io.tracedistill.config.ShardFormat.PARQUET));
    }

    @Test
    void percentileIsNearestRank() {
        int[] v = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
        assertEquals(5, PrepareManifest.percentile(v, 50));
        assertEquals(9, PrepareManifest.percentile(v, 90));
        assertEquals(10, PrepareManifest.percentile(v, 99));
        assertEquals(1, PrepareManifest.percentile(v, 0));
    }

    @Test
    void reservedColumnNameIsAClearError() {
        StructType pass = new StructType(new StructField[] {
            DataTypes.createStructField("position", DataTypes.StringType, true)});
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ShardSchemas.prepared(pass));
        assertTrue(e.getMessage().contains("Column 'position' appears twice") && e.getMessage().contains("Rename"),
                e.getMessage());
    }

    @Test
    void splitterOnAHandMadeSummary() {
        // 6 input rows: types h,e,e,h,e,(missing); row 4 dropped (short_cot). No shuffle, seed 0.
        StagedSummaryCodec.InputSummary s = new StagedSummaryCodec.InputSummary(List.of("f"), new int[6],
                new int[] {0, 1, 2, 3, 4, 5}, new String[] {"h", "e", "e", "h", "e", null},
                new String[] {null, null, null, null, "short_cot", "missing_type"}, new int[6], new int[6], new byte[6]);
        PhaseSplitter.Result r = PhaseSplitter.split(s, new PhaseSplitter.Params(List.of("h"), 0, BigInteger.ZERO, false,
                1, 1));
        // Quota n = 2 hard rows (0 and 3); 'e' rows 1, 2, 4 give two reserved rows; row 5 has no type (phase 1 only).
        assertEquals(2, r.split().quota());
        int[] kept1 = java.util.Arrays.stream(r.split().phase1Rows()).filter(x -> x != 4 && x != 5).toArray();
        int[] kept2 = java.util.Arrays.stream(r.split().phase2Rows()).filter(x -> x != 4 && x != 5).toArray();
        // Batch size 1 gives one slot per row, so the order is a shuffle of the records: compare as sets.
        assertArrayEquals(java.util.Arrays.stream(kept1).sorted().toArray(),
                java.util.Arrays.stream(r.phase1InputRowsByPosition()).sorted().toArray());
        assertArrayEquals(java.util.Arrays.stream(kept2).sorted().toArray(),
                java.util.Arrays.stream(r.phase2InputRowsByPosition()).sorted().toArray());
        assertEquals(0, r.assignment().phaseIndex(Phase.PHASE1, 0), "row 0 is the first record of phase 1");
        assertEquals(0, r.assignment().phaseIndex(Phase.PHASE2, 0), "hard row 0 is the first record of phase 2");
        assertEquals(RowAssignment.NONE, r.assignment().position(Phase.PHASE1, 4), "a quarantined row has no position");
        assertEquals(RowAssignment.NONE, r.assignment().position(Phase.PHASE1, 5));
        for (int k = 0; k < r.phase1InputRowsByPosition().length; k++) {
            assertEquals(k, r.assignment().position(Phase.PHASE1, r.phase1InputRowsByPosition()[k]));
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PhaseSplitter.split(
                new StagedSummaryCodec.InputSummary(List.of("f"), new int[1], new int[1], new String[] {"h"},
                        new String[] {"short_cot"}, new int[1], new int[1], new byte[1]),
                new PhaseSplitter.Params(List.of("h"), 0, BigInteger.ZERO, false, 1, 1)));
        assertTrue(e.getMessage().startsWith("Phase 'phase1' produced 0 usable records"), e.getMessage());
    }
}
