package io.tracedistill.spark.prepare;

import static io.tracedistill.spark.prepare.GeneratedInput.HARD;
import static io.tracedistill.spark.prepare.GeneratedInput.ROWS;
import static io.tracedistill.spark.prepare.GeneratedInput.SEED;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.tracedistill.config.ShardFormat;
import io.tracedistill.contract.ColumnKeys;
import io.tracedistill.spark.Columns;
import io.tracedistill.spark.Manifests;
import io.tracedistill.testdata.SampleDataGenerator;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * End-to-end prepare on generated data (3 part files, several shards per phase): the shards hold exactly the
 * reference's training sequence (split, contract, stratified order computed with the core classes), shard files
 * are in position order, the manifest accounts for every row, a rerun is identical, JSON Lines works, and a
 * missing column fails before anything is written.
 */
class PrepareStageTest extends SparkTestBase {

    @TempDir
    static Path tmp;
    /** The generated input folder and its rows. */
    static GeneratedInput data;

    @BeforeAll
    static void makeInput() {
        data = GeneratedInput.write(tmp.resolve("input"));
    }

    static PrepareSettings settings(Path out) {
        return PrepareSettings.defaults(data.dir().toString(), out.toString(), HARD, SEED).withRowsPerShard(150);
    }

    /** Rows of every shard of {@code dir}, shard files in name order, rows in file order. */
    static List<Row> shardRows(String dir, String format) throws IOException {
        List<Row> out = new ArrayList<>();
        try (Stream<Path> files = Files.list(Path.of(java.net.URI.create(dir)))) {
            for (Path f : files.filter(f -> !f.getFileName().toString().startsWith(".")
                    && !f.getFileName().toString().startsWith("_")).sorted().toList()) {
                out.addAll(spark.read().format(format).load(f.toString()).collectAsList());
            }
        }
        return out;
    }

    @Test
    void shardsHoldTheReferenceSequenceInPositionOrder() throws IOException {
        PrepareResult r = PrepareStage.run(spark, settings(tmp.resolve("out-a")), null);
        List<List<ReferencePipeline.Expected>> expected = ReferencePipeline.phases(data.rows(), HARD, SEED, 8, 8);
        for (int p = 0; p < 2; p++) {
            List<Row> actual = shardRows(p == 0 ? r.phase1Dir() : r.phase2Dir(), "parquet");
            List<ReferencePipeline.Expected> exp = expected.get(p);
            assertEquals(exp.size(), actual.size(), "phase " + (p + 1) + " row count");
            assertTrue((p == 0 ? r.phase1Shards() : r.phase2Shards()).size() > 1, "several shards per phase");
            for (int k = 0; k < exp.size(); k++) {
                Row a = actual.get(k);
                ReferencePipeline.Expected e = exp.get(k);
                assertEquals(k, a.getLong(a.fieldIndex(Columns.POSITION)), "position order, phase " + (p + 1));
                assertEquals(e.id(), a.getString(a.fieldIndex("id")), "row at position " + k);
                assertEquals(e.type(), a.getString(a.fieldIndex(Columns.TYPE)));
                assertEquals(e.user(), a.getString(a.fieldIndex(Columns.PROMPT)));
                assertEquals(e.assistant(), a.getString(a.fieldIndex(Columns.COMPLETION)));
                assertEquals(e.phaseIndex(), a.getLong(a.fieldIndex(Columns.PHASE_INDEX)));
            }
        }
        // Manifest: every input row accounted for, per type and overall.
        JsonNode m = Manifests.read(spark.sparkContext().hadoopConfiguration(), r.manifestPath());
        assertEquals(ROWS, m.at("/counts/input").asLong());
        assertEquals(ROWS, r.inputRows());
        assertEquals(m.at("/counts/input").asLong(),
                m.at("/counts/kept").asLong() + m.at("/counts/quarantined").asLong());
        long sumInput = 0;
        for (JsonNode t : m.get("per_type")) {
            assertEquals(t.get("input").asLong(), t.get("kept").asLong() + t.get("quarantined").asLong(),
                    "type " + t.get("type"));
            sumInput += t.get("input").asLong();
        }
        assertEquals(ROWS, sumInput);
        assertEquals(expected.get(0).size(), m.at("/phases/phase1/rows").asLong());
        assertEquals(expected.get(1).size(), m.at("/phases/phase2/rows").asLong());
        assertEquals(3, m.at("/input/files").size());
        assertEquals(1, m.get("schema_version").asInt());
        assertTrue(m.at("/counts/drop_reasons/short_cot").asLong() > 0, m.at("/counts").toString());
        assertTrue(m.at("/counts/drop_reasons/nan_cot").asLong() > 0);
        assertTrue(m.at("/counts/drop_reasons/missing_type").asLong() > 0);
        // Quarantine: original columns + reason/source_file/source_row, one row per dropped input row.
        List<Row> q = spark.read().parquet(r.quarantineDir()).collectAsList();
        assertEquals(r.quarantinedRows(), q.size());
        for (Row row : q) {
            SampleDataGenerator.Row src = data.rows().get(Integer.parseInt(row.getString(row.fieldIndex("id"))));
            long perFile = (ROWS + 2) / 3;
            assertEquals(src.id() % perFile, row.getLong(row.fieldIndex(Columns.SOURCE_ROW)), "source_row of id "
                    + src.id());
            assertTrue(row.getString(row.fieldIndex(Columns.SOURCE_FILE)).endsWith(
                    String.format("part-%05d.csv", src.id() / perFile)));
        }
        // Data quality: some gravity traces box a rounded value (generator's teacher slips).
        JsonNode gravity = null;
        for (JsonNode t : m.at("/data_quality/per_type")) {
            if (t.get("type").asText().equals("gravity")) {
                gravity = t;
            }
        }
        assertTrue(gravity != null && gravity.get("boxed_agrees").asLong() > 0);
        assertTrue(gravity.at("/trace_len_codepoints/p50").asInt() > 100, gravity.toString());
    }

    @Test
    void rerunIsIdenticalAndJsonlReplacesParquet() throws IOException {
        PrepareResult a = PrepareStage.run(spark, settings(tmp.resolve("out-b")), null);
        PrepareResult b = PrepareStage.run(spark, settings(tmp.resolve("out-c")), null);
        assertEquals(Files.readString(Path.of(java.net.URI.create(a.manifestPath()))),
                Files.readString(Path.of(java.net.URI.create(b.manifestPath()))), "manifests identical");
        assertEquals(a.phase1Shards(), b.phase1Shards());
        assertEquals(shardRows(a.phase1Dir(), "parquet"), shardRows(b.phase1Dir(), "parquet"));
        assertEquals(shardRows(a.phase2Dir(), "parquet"), shardRows(b.phase2Dir(), "parquet"));

        // Same output dir again, as JSON Lines: the old Parquet shards are replaced.
        PrepareResult j = PrepareStage.run(spark, settings(tmp.resolve("out-b")).withShardFormat(ShardFormat.JSONL),
                null);
        assertTrue(j.phase1Shards().stream().allMatch(n -> n.endsWith(".jsonl")), j.phase1Shards().toString());
        List<Row> jsonRows = shardRows(j.phase1Dir(), "json");
        List<Row> parquetRows = shardRows(b.phase1Dir(), "parquet");
        assertEquals(parquetRows.size(), jsonRows.size());
        for (int k = 0; k < jsonRows.size(); k++) {
            assertEquals(k, jsonRows.get(k).getLong(jsonRows.get(k).fieldIndex(Columns.POSITION)));
            assertEquals(parquetRows.get(k).getString(parquetRows.get(k).fieldIndex(Columns.COMPLETION)),
                    jsonRows.get(k).getString(jsonRows.get(k).fieldIndex(Columns.COMPLETION)));
        }
        JsonNode m = Manifests.read(spark.sparkContext().hadoopConfiguration(), j.manifestPath());
        assertEquals("jsonl", m.get("shard_format").asText());
    }

    @Test
    void missingColumnFailsBeforeWritingAndNamesTheFix() throws IOException {
        Path out = tmp.resolve("out-missing");
        PrepareSettings s = settings(out).withColumns(new ColumnKeys("prompt", "trace", "answer", "family"));
        InputSchemaException e = assertThrows(InputSchemaException.class, () -> PrepareStage.run(spark, s, null));
        assertTrue(e.getMessage().contains("is missing required columns ['trace', 'family']"), e.getMessage());
        assertTrue(e.getMessage().contains("found ['id', 'prompt', 'generated_cot', 'answer', 'type']"),
                e.getMessage());
        assertTrue(e.getMessage().contains("part-00000.csv"), e.getMessage());
        assertTrue(e.getMessage().contains("'columns'"), e.getMessage());
        assertFalse(Files.exists(out), "nothing written");
    }

    @Test
    void customColumnNamesAndQuotedCsv() throws IOException {
        Path dir = tmp.resolve("custom");
        Files.createDirectories(dir);
        String csv = "question,trace,label,family,extra\n"
                + "\"Line 1\nLine \"\"2\"\"\",\"step one, step two \\boxed{7}\",7,h,x1\n"
                + "q2,\"long enough trace\",8,e,x2\n"
                + "q3,short,9,e,\n";
        Files.writeString(dir.resolve("data.csv"), csv, StandardCharsets.UTF_8);
        PrepareSettings s = PrepareSettings.defaults(dir.resolve("data.csv").toString(), dir.resolve("out").toString(),
                List.of("h"), 0).withColumns(new ColumnKeys("question", "trace", "label", "family"));
        PrepareResult r = PrepareStage.run(spark, s, null);
        assertEquals(3, r.inputRows());
        assertEquals(0, r.quarantinedRows());
        Row hard = spark.read().parquet(r.phase2Dir()).filter("type = 'h'").collectAsList().get(0);
        assertEquals("Line 1\nLine \"2\"" + io.tracedistill.contract.FormatContract.DEFAULT_PROMPT_SUFFIX,
                hard.getString(hard.fieldIndex(Columns.PROMPT)));
        assertEquals("step one, step two\n</think>\n\\boxed{7}", hard.getString(hard.fieldIndex(Columns.COMPLETION)));
        assertEquals("x1", hard.getString(hard.fieldIndex("extra")), "passthrough column kept");
        assertEquals(List.of(Columns.POSITION, Columns.TYPE, Columns.PROMPT, Columns.COMPLETION, Columns.PHASE_INDEX,
                Columns.SOURCE_FILE, Columns.SOURCE_ROW, "extra"), List.of(hard.schema().fieldNames()));
    }
}
