package io.tracedistill.spark.prepare;

import static io.tracedistill.spark.prepare.GeneratedInput.HARD;
import static io.tracedistill.spark.prepare.GeneratedInput.ROWS;
import static io.tracedistill.spark.prepare.GeneratedInput.SEED;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.tracedistill.run.OutputLayout;
import io.tracedistill.spark.Columns;
import io.tracedistill.spark.Manifests;
import io.tracedistill.split.HeldOutSlice;
import io.tracedistill.testdata.SampleDataGenerator;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code holdout_fraction}: prepare sets aside a type-stratified slice before the two-phase split. The slice is
 * disjoint from both phases, holds {@link HeldOutSlice#count} rows of each type, is the same for the same seed, the
 * manifest accounts for it ({@code input = kept + quarantined + heldout}, per type too), and the phases are exactly the
 * reference's split and order of the input without the held-out rows.
 */
class HeldOutPrepareTest extends SparkTestBase {
    static final double FRACTION = 0.1;

    @TempDir
    static Path tmp;
    /** The generated input folder and its rows. */
    static GeneratedInput data;

    @BeforeAll
    static void makeInput() {
        data = GeneratedInput.write(tmp.resolve("input"));
    }

    private static PrepareResult prepare(String name, long seed, double fraction) {
        return PrepareStage.run(spark, PrepareSettings.defaults(data.dir().toString(), tmp.resolve(name).toString(), HARD, seed)
                .withRowsPerShard(150).withHoldoutFraction(fraction), null);
    }

    private static List<String> ids(String dir) throws IOException {
        List<String> out = new ArrayList<>();
        for (Row r : PrepareStageTest.shardRows(dir, "parquet")) {
            out.add(r.getString(r.fieldIndex("id")));
        }
        return out;
    }

    private static String heldOutDir(PrepareResult r) {
        return Path.of(java.net.URI.create(r.preparedDir())).resolve(OutputLayout.HELD_OUT).toUri().toString();
    }

    @Test
    void sliceIsStratifiedDisjointAndTheSplitIsTheReferencesOverTheRest() throws IOException {
        PrepareResult r = prepare("out-a", SEED, FRACTION);
        List<Row> held = PrepareStageTest.shardRows(heldOutDir(r), "parquet");
        assertEquals(r.heldOutRows(), held.size());
        assertTrue(held.size() > 0);
        Set<String> heldIds = new HashSet<>();
        Map<String, Integer> heldByType = new TreeMap<>();
        for (int k = 0; k < held.size(); k++) {
            Row h = held.get(k);
            assertEquals(k, h.getLong(h.fieldIndex(Columns.POSITION)), "slice position order");
            heldIds.add(h.getString(h.fieldIndex("id")));
            heldByType.merge(h.getString(h.fieldIndex(Columns.TYPE)), 1, Integer::sum);
        }
        // Disjoint from both phases.
        List<String> p1 = ids(r.phase1Dir());
        List<String> p2 = ids(r.phase2Dir());
        for (String id : p1) {
            assertFalse(heldIds.contains(id), "row " + id + " is held out and in phase 1");
        }
        for (String id : p2) {
            assertFalse(heldIds.contains(id), "row " + id + " is held out and in phase 2");
        }
        // Stratified: each type holds round(f * usable rows of the type) rows, every type present.
        JsonNode m = Manifests.read(spark.sparkContext().hadoopConfiguration(), r.manifestPath());
        long sumHeld = 0;
        for (JsonNode t : m.get("per_type")) {
            if (t.get("type").isNull()) {
                assertEquals(0, t.get(OutputLayout.HELD_OUT).asLong(), "rows without a type are never held out");
                continue;
            }
            String type = t.get("type").asText();
            long usable = t.get("kept").asLong() + t.get(OutputLayout.HELD_OUT).asLong();
            assertEquals(HeldOutSlice.count((int) usable, FRACTION), t.get(OutputLayout.HELD_OUT).asLong(), "type " + type);
            assertEquals(t.get(OutputLayout.HELD_OUT).asLong(), heldByType.getOrDefault(type, 0).longValue(), "type " + type);
            assertTrue(t.get(OutputLayout.HELD_OUT).asLong() > 0, "type " + type + " is represented");
            // The manifest adds up per type.
            assertEquals(t.get("input").asLong(), t.get("kept").asLong() + t.get("quarantined").asLong()
                    + t.get(OutputLayout.HELD_OUT).asLong(), "type " + type);
            sumHeld += t.get(OutputLayout.HELD_OUT).asLong();
        }
        assertEquals(held.size(), sumHeld);
        assertEquals(ROWS, m.at("/counts/input").asLong());
        assertEquals(ROWS, m.at("/counts/kept").asLong() + m.at("/counts/quarantined").asLong()
                + m.at("/counts/heldout").asLong(), m.at("/counts").toString());
        assertEquals(held.size(), m.at("/heldout/rows").asLong());
        assertEquals(ROWS, r.keptRows() + r.quarantinedRows() + r.heldOutRows());
        // The phases are the reference's split and order of the input without the held-out rows.
        List<SampleDataGenerator.Row> rest = data.rows().stream().filter(x -> !heldIds.contains(Long.toString(x.id()))).toList();
        List<List<ReferencePipeline.Expected>> expected = ReferencePipeline.phases(rest, HARD, SEED, 8, 8);
        assertEquals(expected.get(0).stream().map(ReferencePipeline.Expected::id).toList(), p1);
        assertEquals(expected.get(1).stream().map(ReferencePipeline.Expected::id).toList(), p2);
    }

    @Test
    void sameSeedSameSliceOtherSeedOtherSliceFractionZeroNone() throws IOException {
        PrepareResult a = prepare("out-b", SEED, FRACTION);
        PrepareResult b = prepare("out-c", SEED, FRACTION);
        PrepareResult c = prepare("out-d", SEED + 1, FRACTION);
        assertEquals(ids(heldOutDir(a)), ids(heldOutDir(b)));
        assertEquals(PrepareStageTest.shardRows(heldOutDir(a), "parquet"), PrepareStageTest.shardRows(heldOutDir(b), "parquet"));
        assertNotEquals(ids(heldOutDir(a)), ids(heldOutDir(c)));
        // Fraction 0: no slice, no manifest entry, and a rerun into the same folder removes an earlier slice.
        PrepareResult z = prepare("out-b", SEED, 0.0);
        assertFalse(Files.exists(Path.of(java.net.URI.create(heldOutDir(z)))), "prepared/heldout removed");
        JsonNode m = Manifests.read(spark.sparkContext().hadoopConfiguration(), z.manifestPath());
        assertFalse(m.has(OutputLayout.HELD_OUT));
        assertFalse(m.get("counts").has(OutputLayout.HELD_OUT));
        assertEquals(0, z.heldOutRows());
        PrepareResult plain = PrepareStage.run(spark, PrepareSettings.defaults(data.dir().toString(),
                tmp.resolve("out-e").toString(), HARD, SEED).withRowsPerShard(150), null);
        assertEquals(PrepareStageTest.shardRows(plain.phase1Dir(), "parquet"), PrepareStageTest.shardRows(z.phase1Dir(), "parquet"));
        assertEquals(PrepareStageTest.shardRows(plain.phase2Dir(), "parquet"), PrepareStageTest.shardRows(z.phase2Dir(), "parquet"));
    }
}
