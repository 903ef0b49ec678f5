package io.tracedistill.spark.prepare;

import static io.tracedistill.spark.prepare.GeneratedInput.HARD;
import static io.tracedistill.spark.prepare.GeneratedInput.SEED;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.tracedistill.run.OutputLayout;
import io.tracedistill.spark.Columns;
import io.tracedistill.spark.Manifests;
import io.tracedistill.testdata.SampleDataGenerator;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code heldout_source: eval_path}: prepare reads the eval file through the same reader and format contract as the
 * training rows and writes its kept rows to {@code prepared/heldout/} (its dropped rows, with their reasons, to
 * {@code prepared/heldout_quarantine/}); the manifest accounts for every eval row, and the training rows are exactly
 * those of a run without a held-out slice.
 *
 * <p>The eval file holds the generator's first {@value #EVAL_ROWS} rows, i.e. the same rows as the start of the
 * training input (bad rows included), so each held-out row can be compared with its training twin.
 */
class EvalPathHeldOutPrepareTest extends SparkTestBase {
    static final int EVAL_ROWS = 220; // row 210 is the first deliberately bad one (SampleDataGenerator.BAD_EVERY)

    @TempDir
    static Path tmp;
    static GeneratedInput data;
    static Path evalFile;

    @BeforeAll
    static void makeInput() {
        data = GeneratedInput.write(tmp.resolve("input"));
        evalFile = tmp.resolve("eval.csv");
        SampleDataGenerator.writeFile(GeneratedInput.GENERATOR_SEED, EVAL_ROWS, evalFile);
    }

    private static PrepareSettings settings(String out) {
        return PrepareSettings.defaults(data.dir().toString(), tmp.resolve(out).toString(), HARD, SEED).withRowsPerShard(150);
    }

    private static String dir(PrepareResult r, String name) {
        return Path.of(java.net.URI.create(r.preparedDir())).resolve(name).toUri().toString();
    }

    private static Map<String, Row> byId(List<Row> rows) {
        Map<String, Row> m = new HashMap<>();
        rows.forEach(r -> m.put(r.getString(r.fieldIndex("id")), r));
        return m;
    }

    @Test
    void evalRowsAreTheSliceFormattedLikeTrainingRowsAndTrainingRowsAreUntouched() throws IOException {
        PrepareResult plain = PrepareStage.run(spark, settings("plain"), null);
        PrepareResult r = PrepareStage.run(spark, settings("eval").withHeldOutEvalPath(Optional.of(evalFile.toString())), null);

        // Training rows: byte-identical to the run without a held-out slice; nothing set aside from them.
        assertEquals(PrepareStageTest.shardRows(plain.phase1Dir(), "parquet"), PrepareStageTest.shardRows(r.phase1Dir(), "parquet"));
        assertEquals(PrepareStageTest.shardRows(plain.phase2Dir(), "parquet"), PrepareStageTest.shardRows(r.phase2Dir(), "parquet"));
        assertEquals(plain.keptRows(), r.keptRows());
        assertEquals(plain.quarantinedRows(), r.quarantinedRows());

        // The slice: every kept eval row, in input order, formatted exactly like its training twin.
        Map<String, Row> training = byId(PrepareStageTest.shardRows(plain.phase1Dir(), "parquet"));
        training.putAll(byId(PrepareStageTest.shardRows(plain.phase2Dir(), "parquet")));
        List<Row> held = PrepareStageTest.shardRows(dir(r, OutputLayout.HELD_OUT), "parquet");
        List<Row> dropped = PrepareStageTest.shardRows(dir(r, OutputLayout.HELD_OUT_QUARANTINE), "parquet");
        assertTrue(!held.isEmpty() && !dropped.isEmpty(), "the generator's first rows include bad ones");
        assertEquals(EVAL_ROWS, held.size() + dropped.size(), "every eval row is held out or quarantined");
        assertEquals(held.size(), r.heldOutRows());
        long previousId = -1;
        Map<String, Long> heldByType = new TreeMap<>();
        for (int k = 0; k < held.size(); k++) {
            Row h = held.get(k);
            assertEquals(k, h.getLong(h.fieldIndex(Columns.POSITION)), "slice position order");
            String id = h.getString(h.fieldIndex("id"));
            assertTrue(Long.parseLong(id) > previousId, "input order");
            previousId = Long.parseLong(id);
            Row twin = training.get(id);
            assertTrue(twin != null, "eval row " + id + " was kept as a training row too");
            for (String c : List.of(Columns.TYPE, Columns.PROMPT, Columns.COMPLETION, Columns.SOURCE_ROW)) {
                assertEquals(twin.get(twin.fieldIndex(c)), h.get(h.fieldIndex(c)), "column " + c + " of row " + id);
            }
            assertTrue(h.getString(h.fieldIndex(Columns.SOURCE_FILE)).endsWith("eval.csv"));
            heldByType.merge(h.getString(h.fieldIndex(Columns.TYPE)), 1L, Long::sum);
        }
        // Dropped eval rows carry the reason the training twin was quarantined with.
        Map<String, Row> trainingDropped = byId(PrepareStageTest.shardRows(plain.quarantineDir(), "parquet"));
        Map<String, Long> reasons = new TreeMap<>();
        for (Row q : dropped) {
            String id = q.getString(q.fieldIndex("id"));
            Row twin = trainingDropped.get(id);
            assertTrue(twin != null, "eval row " + id + " was quarantined as a training row too");
            String reason = q.getString(q.fieldIndex(Columns.QUARANTINE_REASON));
            assertEquals(twin.getString(twin.fieldIndex(Columns.QUARANTINE_REASON)), reason, "row " + id);
            reasons.merge(reason, 1L, Long::sum);
        }

        // The manifest: training counts as without a slice, the eval rows adding up on their own.
        JsonNode m = Manifests.read(spark.sparkContext().hadoopConfiguration(), r.manifestPath());
        JsonNode pm = Manifests.read(spark.sparkContext().hadoopConfiguration(), plain.manifestPath());
        assertEquals(pm.get("counts"), m.get("counts"));
        assertEquals(pm.get("per_type"), m.get("per_type"));
        JsonNode h = m.get(OutputLayout.HELD_OUT);
        assertEquals("eval_path", h.get("source").asText());
        assertEquals(evalFile.toString(), h.get("eval_path").asText());
        assertEquals(EVAL_ROWS, h.get("input").asLong());
        assertEquals(held.size(), h.get("rows").asLong());
        assertEquals(dropped.size(), h.get("quarantined").asLong());
        assertEquals(h.get("input").asLong(), h.get("rows").asLong() + h.get("quarantined").asLong());
        Map<String, Long> manifestReasons = new TreeMap<>();
        h.get("drop_reasons").fields().forEachRemaining(e -> manifestReasons.put(e.getKey(), e.getValue().asLong()));
        assertEquals(reasons, manifestReasons);
        Map<String, Long> manifestTypes = new TreeMap<>();
        h.get("rows_per_type").fields().forEachRemaining(e -> manifestTypes.put(e.getKey(), e.getValue().asLong()));
        assertEquals(heldByType, manifestTypes);
        assertFalse(pm.has(OutputLayout.HELD_OUT));

        // A rerun without the eval slice into the same folder removes both eval folders.
        PrepareResult again = PrepareStage.run(spark, settings("eval"), null);
        assertFalse(Files.exists(Path.of(java.net.URI.create(dir(again, OutputLayout.HELD_OUT)))));
        assertFalse(Files.exists(Path.of(java.net.URI.create(dir(again, OutputLayout.HELD_OUT_QUARANTINE)))));
    }

    @Test
    void evalFileWithoutTheTraceColumnIsRefusedBeforeAnythingIsWritten() throws IOException {
        Path noTrace = tmp.resolve("no-trace.csv");
        Files.writeString(noTrace, "id,prompt,answer,type\n1,What is 2+2?,4,arith\n", StandardCharsets.UTF_8);
        Path out = tmp.resolve("refused");
        InputSchemaException e = assertThrows(InputSchemaException.class, () -> PrepareStage.run(spark,
                settings("refused").withHeldOutEvalPath(Optional.of(noTrace.toString())), null));
        assertTrue(e.getMessage().contains("eval_path") && e.getMessage().contains("no-trace.csv")
                && e.getMessage().contains("'generated_cot'") && e.getMessage().contains("heldout_source: holdout_fraction"),
                e.getMessage());
        assertFalse(Files.exists(out.resolve(OutputLayout.PREPARED)), "nothing written");
    }
}
