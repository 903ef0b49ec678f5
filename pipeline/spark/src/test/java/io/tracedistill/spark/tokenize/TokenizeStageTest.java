package io.tracedistill.spark.tokenize;

import io.tracedistill.run.Phase;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.tracedistill.order.StratifiedOrder;
import io.tracedistill.config.ShardFormat;
import io.tracedistill.spark.Columns;
import io.tracedistill.spark.JobCounter;
import io.tracedistill.spark.SparkSessions;
import io.tracedistill.spark.train.SparkTokenShardReader;
import io.tracedistill.train.JsonlTokenShardReader;
import io.tracedistill.train.TokenExample;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link TokenizeStage} end to end on local[2], against the recorded reference run of
 * {@code fixtures/train_trajectory} (tiny-qwen2 tokenizer, max_length 256): the token shards must hold exactly the
 * reference's examples (ids and labels) in exactly its stratified order.
 */
class TokenizeStageTest {

    private static SparkSession spark;
    private static final LocalDate DATE = LocalDate.of(2025, 7, 10);

    @BeforeAll
    static void start() {
        spark = SparkSessions.local("local[2]", 2);
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    static TokenizeSettings settings(int maxLength, ShardFormat format, Optional<LocalDate> date) {
        return new TokenizeSettings(TrajectoryFixture.path("fixtures/tiny-qwen2").toString(), maxLength,
                BigInteger.valueOf(42), true, date, format, 4, 4);
    }

    /** Token rows of one phase, reading the shard files in name order and each file in row order. */
    static List<Row> readInFileOrder(SparkSession spark, Path dir, ShardFormat format) throws IOException {
        List<Path> files;
        try (Stream<Path> s = Files.list(dir)) {
            files = s.filter(p -> p.getFileName().toString().startsWith("part-")).sorted().toList();
        }
        List<Row> rows = new ArrayList<>();
        for (Path f : files) {
            var df = format == ShardFormat.PARQUET ? spark.read().parquet(f.toString())
                    : spark.read().json(f.toString());
            rows.addAll(df.collectAsList());
        }
        return rows;
    }

    static int[] ints(List<?> list) {
        return list.stream().mapToInt(o -> ((Number) o).intValue()).toArray();
    }

    static int[] ints(JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asInt();
        }
        return out;
    }

    /**
     * Spark's fixed cost per job dominated the stage on small inputs: a run launched 13 jobs (a schema-inference job
     * per prepared phase, three jobs per summary collect under adaptive execution, a range shuffle before each
     * write), then 5 (per phase a tokenize pass with its summary collect and a shard write; the quarantine write).
     * Now 2 for every slice together: the quarantine write, whose map side tokenizes every row and brings the
     * outcome counts with it, and one shard write; with rows dropped, one more (the survivors' phase_index and type
     * for their new positions; those are broadcast, not joined).
     */
    @Test
    void launchesOneJobForTheQuarantineAndOneForTheShardsOfEveryPhase(@TempDir Path out) {
        TrajectoryFixture.writePrepared(spark, out, ShardFormat.PARQUET);
        String adaptive = spark.conf().get("spark.sql.adaptive.enabled");
        for (int maxLength : new int[] {256, 114}) { // 114 drops rows in both phases
            try (JobCounter jobs = JobCounter.attach(spark.sparkContext())) {
                TokenizeResult r = TokenizeStage.run(spark, settings(maxLength, ShardFormat.PARQUET, Optional.of(DATE)),
                        out.toString(), ChatTemplateTurnRenderer.FACTORY);
                System.out.println("tokenize stage, 2 phases, max_length " + maxLength + ": " + jobs + ": "
                        + jobs.callSites());
                boolean drops = maxLength == 114;
                assertEquals(drops, r.quarantinedRows() > 0);
                assertEquals(drops ? 2 + Phase.values().length : 2, jobs.jobs(), jobs + ": " + jobs.callSites());
            }
        }
        assertEquals(adaptive, spark.conf().get("spark.sql.adaptive.enabled"), "the session's setting is restored");
    }

    /**
     * The driver receives counts, not rows (issue 16): on the recorded run's prepared rows 2 and 16 times over (no
     * row dropped, so no survivor order to rebuild), the bytes the tasks return to the driver (the outcome counts,
     * the writes' commit messages) do not grow with the rows. Collecting a few bytes per row, as the stage did
     * (phase_index, type, outcome, lengths), returned 8x as much on 8x the rows.
     */
    @Test
    void theDriverReceivesCountsNotRows(@TempDir Path out) {
        long[] rows = new long[2];
        long[] bytes = new long[2];
        int[] copies = {2, 16};
        for (int i = 0; i < copies.length; i++) {
            Path dir = out.resolve("x" + copies[i]);
            for (String phase : List.of("phase1", "phase2")) {
                TrajectoryFixture.writePrepared(spark, dir, ShardFormat.PARQUET, phase,
                        repeated(TrajectoryFixture.preparedRows(spark, phase), copies[i]));
            }
            try (JobCounter jobs = JobCounter.attach(spark.sparkContext())) {
                TokenizeResult r = TokenizeStage.run(spark, settings(4096, ShardFormat.PARQUET, Optional.of(DATE)),
                        dir.toString(), ChatTemplateTurnRenderer.FACTORY);
                assertEquals(0, r.quarantinedRows(), "no row dropped at max_length 4096");
                rows[i] = r.phases().values().stream().mapToLong(TokenizeResult.PhaseResult::inputRows).sum();
                bytes[i] = jobs.resultBytes();
            }
        }
        System.out.printf("tokenize stage, task result bytes to the driver: %d rows %d bytes, %d rows %d bytes%n",
                rows[0], bytes[0], rows[1], bytes[1]);
        assertEquals(8 * rows[0], rows[1]);
        assertTrue(bytes[1] < 1.25 * bytes[0], "8x the rows must not send the driver more than 1.25x the bytes: "
                + bytes[0] + " -> " + bytes[1]);
    }

    /** {@code rows} {@code copies} times over, each copy with its own phase_index and position (record order). */
    private static List<Row> repeated(List<Row> rows, int copies) {
        List<Row> out = new ArrayList<>();
        for (int c = 0; c < copies; c++) {
            for (Row r : rows) {
                Object[] v = new Object[r.length()];
                for (int k = 0; k < v.length; k++) {
                    v[k] = r.get(k);
                }
                long index = out.size();
                v[Columns.PREPARED_LEADING.indexOf(Columns.POSITION)] = index; // the leading columns come first
                v[Columns.PREPARED_LEADING.indexOf(Columns.PHASE_INDEX)] = index;
                out.add(RowFactory.create(v));
            }
        }
        return out;
    }

    @Test
    void reproducesTheReferenceTokensAndOrderOfBothPhases(@TempDir Path out) throws IOException {
        TrajectoryFixture.writePrepared(spark, out, ShardFormat.PARQUET);
        TokenizeResult result = TokenizeStage.run(spark,
                settings(256, ShardFormat.PARQUET, Optional.of(DATE)), out.toString(),
                ChatTemplateTurnRenderer.FACTORY);

        JsonNode trajectory = TrajectoryFixture.json("fixtures/train_trajectory/trajectory.json");
        for (var phase : Phase.values()) {
            String name = phase.folderName();
            JsonNode golden = TrajectoryFixture.json("fixtures/train_trajectory/tokenized_" + name + ".json");
            Map<String, JsonNode> byId = new HashMap<>();
            golden.get("examples").forEach(e -> byId.put(e.get("id").asText(), e));
            JsonNode orderIds = trajectory.get("phases").get(name).get("stratified_order_ids");

            List<Row> rows = readInFileOrder(spark, out.resolve("tokens").resolve(name), ShardFormat.PARQUET);
            assertEquals(orderIds.size(), rows.size(), name + " examples");
            for (int k = 0; k < rows.size(); k++) {
                Row r = rows.get(k);
                assertEquals(k, r.getLong(r.fieldIndex(Columns.POSITION)), name + " row " + k + " position");
                String id = r.getString(r.fieldIndex("id"));
                assertEquals(orderIds.get(k).asText(), id, name + " training position " + k);
                JsonNode g = byId.get(id);
                int[] ids = ints(r.getList(r.fieldIndex(Columns.INPUT_IDS)));
                int[] labels = ints(r.getList(r.fieldIndex(Columns.LABELS)));
                assertArrayEquals(ints(g.get("input_ids")), ids, name + " " + id + " input_ids");
                assertArrayEquals(ints(g.get("labels")), labels, name + " " + id + " labels");
                assertEquals(g.get("type").asText(), r.getString(r.fieldIndex(Columns.TYPE)));
                assertEquals(g.get("length").asInt(), r.getInt(r.fieldIndex(Columns.NUM_TOKENS)));
                assertEquals(g.get("num_label_tokens").asInt(), r.getInt(r.fieldIndex(Columns.NUM_LOSS_TOKENS)));
            }
            assertEquals(List.of(Columns.POSITION, Columns.TYPE, Columns.INPUT_IDS, Columns.LABELS, Columns.NUM_TOKENS,
                    Columns.NUM_LOSS_TOKENS, "id"), List.of(spark.read().parquet(out.resolve("tokens").resolve(name)
                            .toString()).schema().fieldNames()));
            assertFalse(result.phases().get(phase).orderRecomputed(), "nothing dropped at max_length 256");
            List<TokenExample> read = new ArrayList<>();
            new SparkTokenShardReader(spark, out.resolve("tokens").resolve(name).toString(), "parquet")
                    .open().forEachRemaining(read::add);
            assertEquals(rows.size(), read.size());
            for (int k = 0; k < read.size(); k++) {
                assertEquals(k, read.get(k).position());
                assertArrayEquals(ints(byId.get(orderIds.get(k).asText()).get("input_ids")), read.get(k).inputIds());
            }
        }
        assertEquals(84, result.phases().get(Phase.PHASE1).kept());
        assertEquals(45, result.phases().get(Phase.PHASE2).kept());
        assertEquals(0, result.quarantinedRows());
        assertEquals(List.of("part-00000.parquet"), result.phases().get(Phase.PHASE1).files());

        JsonNode manifest = TrajectoryFixture.JSON.readTree(out.resolve("tokens/manifest.json").toFile());
        assertEquals("2025-07-10", manifest.get("chat_date").asText());
        assertEquals(84, manifest.get("phases").get("phase1").get("input_rows").asInt());
        assertEquals(141, manifest.get("phases").get("phase1").get("num_tokens").get("min").asInt());
        assertEquals(161, manifest.get("phases").get("phase1").get("num_tokens").get("max").asInt());
        long goldenLoss = 0;
        for (JsonNode e : TrajectoryFixture.json("fixtures/train_trajectory/tokenized_phase1.json").get("examples")) {
            goldenLoss += e.get("num_label_tokens").asLong();
        }
        assertEquals(goldenLoss, manifest.get("phases").get("phase1").get("total_loss_tokens").asLong());
        assertTrue(manifest.get("tokenizer_fingerprint").asText().startsWith("sha256:"));
        try (var left = Files.list(out.resolve("tokens"))) {
            assertTrue(left.noneMatch(p -> p.getFileName().toString().startsWith("_tmp-")), "temporary directory removed");
        }
    }

    /**
     * With max_length below some prompts, those rows have no completion left: they go to the quarantine as
     * truncated_no_completion, the survivors are the reference examples truncated to max_length (keep start), and the
     * order is recomputed over the survivors exactly as the reference does after its drop.
     */
    @Test
    void dropsTruncatedRowsAndRecomputesTheOrderOverSurvivors(@TempDir Path out) throws IOException {
        int maxLength = 114; // first supervised index is 109..117 in both phases
        TrajectoryFixture.writePrepared(spark, out, ShardFormat.PARQUET);
        TokenizeResult result = TokenizeStage.run(spark,
                settings(maxLength, ShardFormat.PARQUET, Optional.of(DATE)), out.toString(),
                ChatTemplateTurnRenderer.FACTORY);

        long totalDropped = 0;
        for (var phase : Phase.values()) {
            String name = phase.folderName();
            // Expected from the golden file: an example survives iff its first supervised token is < max_length.
            List<JsonNode> survivors = new ArrayList<>();
            int dropped = 0;
            for (JsonNode e : TrajectoryFixture.json("fixtures/train_trajectory/tokenized_" + name + ".json")
                    .get("examples")) {
                int[] labels = ints(e.get("labels"));
                int start = 0;
                while (labels[start] == -100) {
                    start++;
                }
                if (start < maxLength) {
                    survivors.add(e);
                } else {
                    dropped++;
                }
            }
            assertTrue(dropped > 0 && !survivors.isEmpty(), name + ": the chosen max_length must drop some rows");
            totalDropped += dropped;
            int[] order = StratifiedOrder.indexOrder(survivors.stream().map(e -> e.get("type").asText()).toList(), 4,
                    42L);
            List<Row> rows = readInFileOrder(spark, out.resolve("tokens").resolve(name), ShardFormat.PARQUET);
            assertEquals(survivors.size(), rows.size(), name + " survivors");
            for (int k = 0; k < rows.size(); k++) {
                Row r = rows.get(k);
                JsonNode g = survivors.get(order[k]);
                assertEquals(k, r.getLong(r.fieldIndex(Columns.POSITION)));
                assertEquals(g.get("id").asText(), r.getString(r.fieldIndex("id")), name + " position " + k);
                int[] gIds = ints(g.get("input_ids"));
                int[] gLabels = ints(g.get("labels"));
                assertArrayEquals(java.util.Arrays.copyOf(gIds, Math.min(maxLength, gIds.length)),
                        ints(r.getList(r.fieldIndex(Columns.INPUT_IDS))));
                assertArrayEquals(java.util.Arrays.copyOf(gLabels, Math.min(maxLength, gLabels.length)),
                        ints(r.getList(r.fieldIndex(Columns.LABELS))));
            }
            assertTrue(result.phases().get(phase).orderRecomputed());
            assertEquals(Map.of("truncated_no_completion", (long) dropped),
                    result.phases().get(phase).quarantinedByReason());
        }
        assertEquals(totalDropped, result.quarantinedRows());
        List<Row> q = spark.read().parquet(out.resolve("tokens/quarantine").toString()).collectAsList();
        assertEquals(totalDropped, q.size());
        for (Row r : q) {
            assertEquals("truncated_no_completion", r.getString(r.fieldIndex(Columns.QUARANTINE_REASON)));
            assertTrue(r.getString(r.fieldIndex(TokenizeStage.QUARANTINE_DETAIL)).contains("max_length 114"));
        }
        JsonNode manifest = TrajectoryFixture.JSON.readTree(out.resolve("tokens/manifest.json").toFile());
        JsonNode p1 = manifest.get("phases").get("phase1");
        assertEquals(p1.get("input_rows").asLong(), p1.get("kept").asLong() + p1.get("quarantined").asLong());
        long typeInputs = 0;
        for (Iterator<JsonNode> it = p1.get("by_type").elements(); it.hasNext(); ) {
            JsonNode t = it.next();
            assertEquals(t.get("input_rows").asLong(), t.get("kept").asLong() + t.get("quarantined").asLong());
            typeInputs += t.get("input_rows").asLong();
        }
        assertEquals(84, typeInputs, "every phase-1 record is accounted for per type");
        assertEquals(p1.get("kept").asLong(), p1.get("rows_within_5pct_of_max_length").asLong(),
                "every survivor is truncated to max_length");
    }

    @Test
    void quarantinesTemplateFailuresWithReasonsAndKeepsEveryRowAccountedFor(@TempDir Path out) {
        List<Row> rows = new ArrayList<>();
        String[] types = {"a", "b", "a", "b", "a", "b"};
        String[] users = {"u0", "u1 " + ChatMlTestRenderer.BOUNDARY_MARKER, "u2", "u3", "u4 " + ChatMlTestRenderer.ERROR_MARKER,
            "u5"};
        for (int j = 0; j < 6; j++) {
            rows.add(RowFactory.create((long) (5 - j), types[j], users[j], "answer " + j, (long) j, "f.csv", (long) j,
                    "x" + j));
        }
        TrajectoryFixture.writePrepared(spark, out, ShardFormat.JSONL, "phase1", rows);
        TrajectoryFixture.writePrepared(spark, out, ShardFormat.JSONL, "phase2", rows.subList(0, 1));
        TokenizeResult result = TokenizeStage.run(spark,
                new TokenizeSettings(TrajectoryFixture.path("fixtures/tiny-qwen2").toString(), 64,
                        BigInteger.valueOf(7), true, Optional.of(DATE), ShardFormat.JSONL, 2, 1),
                out.toString(), ChatMlTestRenderer.FACTORY);

        var p1 = result.phases().get(Phase.PHASE1);
        assertEquals(6, p1.inputRows());
        assertEquals(4, p1.kept());
        assertEquals(new TreeMap<>(Map.of("template_boundary", 1L, "template_error", 1L)), p1.quarantinedByReason());
        assertEquals(List.of("part-00000.jsonl"), p1.files());

        // Survivors x0, x2, x3, x5 (types a, a, b, b) in record order; positions from the recomputed order.
        int[] order = StratifiedOrder.indexOrder(List.of("a", "a", "b", "b"), 2, 7L);
        String[] survivorIds = {"x0", "x2", "x3", "x5"};
        List<TokenExample> examples = new ArrayList<>();
        new JsonlTokenShardReader(out.resolve("tokens/phase1")).open().forEachRemaining(examples::add);
        assertEquals(4, examples.size());
        List<TokenExample> viaSpark = new ArrayList<>();
        new SparkTokenShardReader(spark, out.resolve("tokens/phase1").toString(), "json").open()
                .forEachRemaining(viaSpark::add);
        assertEquals(examples, viaSpark, "Spark and JSONL shard readers agree");
        List<Row> rowsInFileOrder = spark.read().json(out.resolve("tokens/phase1").toString()).collectAsList();
        for (int k = 0; k < 4; k++) {
            assertEquals(k, examples.get(k).position(), "the trainer's JSONL reader sees positions 0..3");
            Row r = rowsInFileOrder.get(k);
            assertEquals(k, r.getLong(r.fieldIndex(Columns.POSITION)), "file order = position order");
            assertEquals(survivorIds[order[k]], r.getString(r.fieldIndex("id")));
        }

        List<Row> q = spark.read().json(out.resolve("tokens/quarantine").toString()).collectAsList();
        assertEquals(2, q.size());
        assertEquals("x1", q.get(0).getString(q.get(0).fieldIndex("id")));
        assertEquals("template_boundary", q.get(0).getString(q.get(0).fieldIndex(Columns.QUARANTINE_REASON)));
        assertEquals("phase1", q.get(0).getString(q.get(0).fieldIndex(TokenizeStage.QUARANTINE_PHASE)));
        assertEquals("test: prompt is not a prefix", q.get(0).getString(q.get(0).fieldIndex("detail")));
        assertEquals("x4", q.get(1).getString(q.get(1).fieldIndex("id")));
        assertEquals("template_error", q.get(1).getString(q.get(1).fieldIndex(Columns.QUARANTINE_REASON)));
    }

    @Test
    void rerunReusesTheRecordedChatDateAndWritesIdenticalBytes(@TempDir Path out) throws IOException {
        TrajectoryFixture.writePrepared(spark, out, ShardFormat.PARQUET);
        TokenizeSettings noDate = settings(256, ShardFormat.PARQUET, Optional.empty());
        TokenizeResult first = TokenizeStage.run(spark, noDate, out.toString(), ChatTemplateTurnRenderer.FACTORY);
        Map<String, byte[]> before = snapshot(out.resolve("tokens"));
        // Pretend the first run happened on another day: the rerun must reuse the recorded date, not today's.
        Path manifest = out.resolve("tokens/manifest.json");
        Files.writeString(manifest, Files.readString(manifest).replace(first.chatDate().toString(), "2001-02-03"));
        before.put("manifest.json", Files.readAllBytes(manifest));

        TokenizeResult second = TokenizeStage.run(spark, noDate, out.toString(), ChatTemplateTurnRenderer.FACTORY);
        assertEquals(LocalDate.of(2001, 2, 3), second.chatDate());
        Map<String, byte[]> after = snapshot(out.resolve("tokens"));
        assertEquals(before.keySet(), after.keySet());
        for (String f : before.keySet()) {
            assertArrayEquals(before.get(f), after.get(f), "byte-identical " + f);
        }
    }

    private static Map<String, byte[]> snapshot(Path dir) throws IOException {
        Map<String, byte[]> out = new TreeMap<>();
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.filter(Files::isRegularFile).toList()) {
                out.put(dir.relativize(p).toString(), Files.readAllBytes(p));
            }
        }
        return out;
    }

    @Test
    void missingTokenizerIsNamedBeforeAnyWork(@TempDir Path out, @TempDir Path emptyModel) {
        TrajectoryFixture.writePrepared(spark, out, ShardFormat.PARQUET);
        TokenizeSettings s = new TokenizeSettings(emptyModel.toString(), 256, BigInteger.ONE, true, Optional.of(DATE),
                ShardFormat.PARQUET, 4, 4);
        var e = assertThrows(IllegalArgumentException.class,
                () -> TokenizeStage.run(spark, s, out.toString(), ChatMlTestRenderer.FACTORY));
        assertTrue(e.getMessage().contains(emptyModel.resolve("tokenizer.json").toString()), e.getMessage());
        assertFalse(Files.exists(out.resolve("tokens")));
    }

    @Test
    void missingChatTemplateIsNamedBeforeAnyWork(@TempDir Path out, @TempDir Path model) throws IOException {
        TrajectoryFixture.writePrepared(spark, out, ShardFormat.PARQUET);
        Files.copy(TrajectoryFixture.path("fixtures/tiny-qwen2/tokenizer.json"), model.resolve("tokenizer.json"));
        Files.writeString(model.resolve("tokenizer_config.json"), "{\"eos_token\": \"<|im_end|>\"}");
        TokenizeSettings s = new TokenizeSettings(model.toString(), 256, BigInteger.ONE, true, Optional.of(DATE),
                ShardFormat.PARQUET, 4, 4);
        var e = assertThrows(RuntimeException.class,
                () -> TokenizeStage.run(spark, s, out.toString(), ChatTemplateTurnRenderer.FACTORY));
        assertTrue(e.getMessage().contains(model.resolve("tokenizer_config.json").toString())
                && e.getMessage().contains("chat_template"), e.getMessage());
        assertFalse(Files.exists(out.resolve("tokens")));
    }

    @Test
    void templateNeedingAnUnsuppliedVariableIsNamed(@TempDir Path out, @TempDir Path model) throws IOException {
        TrajectoryFixture.writePrepared(spark, out, ShardFormat.PARQUET);
        Files.copy(TrajectoryFixture.path("fixtures/tiny-qwen2/tokenizer.json"), model.resolve("tokenizer.json"));
        // Calls a method on a variable nobody passes: jinja2 raises UndefinedError naming it.
        Files.writeString(model.resolve("tokenizer_config.json"), "{\"chat_template\": "
                + "\"{{ system_banner.upper() }}{% for m in messages %}{{ m.content }}{% endfor %}\"}");
        TokenizeSettings s = new TokenizeSettings(model.toString(), 256, BigInteger.ONE, true, Optional.of(DATE),
                ShardFormat.PARQUET, 4, 4);
        var e = assertThrows(IllegalArgumentException.class,
                () -> TokenizeStage.run(spark, s, out.toString(), ChatTemplateTurnRenderer.FACTORY));
        assertTrue(e.getMessage().contains("system_banner") && e.getMessage().contains("template_error"),
                e.getMessage());
    }

    @Test
    void missingPreparedShardsAreNamed(@TempDir Path out) {
        var e = assertThrows(IllegalArgumentException.class, () -> TokenizeStage.run(spark,
                settings(256, ShardFormat.PARQUET, Optional.of(DATE)), out.toString(),
                ChatMlTestRenderer.FACTORY));
        assertTrue(e.getMessage().contains("prepared/manifest.json") && e.getMessage().contains("Run prepare first"),
                e.getMessage());
    }

    @Test
    void everyRowDroppedIsAClearError(@TempDir Path out) {
        TrajectoryFixture.writePrepared(spark, out, ShardFormat.PARQUET);
        var e = assertThrows(IllegalStateException.class, () -> TokenizeStage.run(spark,
                settings(5, ShardFormat.PARQUET, Optional.of(DATE)), out.toString(),
                ChatMlTestRenderer.FACTORY));
        assertTrue(e.getMessage().startsWith("Phase 'phase1': every one of the 84 prepared rows"), e.getMessage());
        assertTrue(e.getMessage().contains("Raise max_length (now 5)"), e.getMessage());
        assertFalse(Files.exists(out.resolve("tokens")));
    }
}
