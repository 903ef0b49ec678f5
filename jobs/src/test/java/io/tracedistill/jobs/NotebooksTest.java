package io.tracedistill.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tracedistill.jobs.notebooks.DatabricksNotebook;
import io.tracedistill.jobs.notebooks.SampleCotTable;
import io.tracedistill.jobs.notebooks.ScalaRepl;
import io.tracedistill.jobs.notebooks.ZeppelinNote;
import io.tracedistill.contract.ColumnKeys;
import io.tracedistill.spark.SparkSessions;
import io.tracedistill.spark.prepare.CheckedSchema;
import io.tracedistill.spark.prepare.FormatContractTransform;
import io.tracedistill.spark.prepare.InputReader;
import io.tracedistill.spark.prepare.InputTable;
import io.tracedistill.spark.prepare.PhaseSplitter;
import io.tracedistill.spark.prepare.SchemaCheck;
import java.io.IOException;
import java.math.BigInteger;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.BiConsumer;
import java.util.stream.Stream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Runs every Zeppelin note in {@code notebooks/} the way Zeppelin's Spark interpreter would: each {@code %spark}
 * paragraph, in order, through a Scala 2.12 REPL ({@link ScalaRepl}, Spark's {@code -Yrepl-class-based} set-up) with
 * {@code spark} bound to a local session on 127.0.0.1 and {@code z} a stub whose {@code show(df)} is
 * {@code df.show(20, false)}. Like Zeppelin's default (globally shared) interpreter, one REPL serves all notes.
 *
 * <p>Each note's "Parameters" paragraph is replaced so that the note reads a test config (bundled
 * {@code src/embedded/sample/cot_sample.csv} when it exists, else {@link SampleCotTable}; the bundled
 * {@code src/embedded/tiny-qwen2} model) and writes to its own temporary {@code output_dir}. A paragraph passes when
 * the interpreter returns {@code Success}; then the note's check compares values the note bound with the manifests on
 * disk, read here independently.
 */
class NotebooksTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String PARAMETERS = "Parameters";

    /**
     * The check of each note, by file name without its extension (the Zeppelin note and its Databricks twin share
     * it); a note without one fails (every note must assert something).
     */
    private static final Map<String, BiConsumer<ScalaRepl, Path>> CHECKS = Map.of(
            "01-prepare-and-inspect", NotebooksTest::checkPrepareNote,
            "02-tokens-and-masks", NotebooksTest::checkTokensNote,
            "03-eval-report", NotebooksTest::checkEvalNote);

    /** Eval rows decoded for note 03 ({@code eval_limit}); each arm decodes them all. */
    private static final int EVAL_LIMIT = 5;

    @TempDir
    static Path work;

    private static Path repoRoot;
    private static Path config;
    private static boolean generatedSample;
    private static SparkSession spark;
    private static ScalaRepl repl;

    @BeforeAll
    static void startReplAndSpark() throws IOException {
        repoRoot = findRepoRoot();
        Path bundled = repoRoot.resolve("src/embedded/sample/cot_sample.csv");
        Path data;
        if (Files.isRegularFile(bundled)) {
            data = bundled;
        } else {
            data = work.resolve("cot_sample.csv");
            Files.writeString(data, SampleCotTable.csv(), StandardCharsets.UTF_8);
            generatedSample = true;
        }
        // The fixture LoRA adapter (r 4) of the tiny-qwen2 weights that src/embedded/tiny-qwen2 ships unchanged
        // (pipeline/testdata/fixtures/tiny-qwen2/lora), copied under the name its eval arm is reported by.
        Path fixtureAdapter = Path.of(URI.create(NotebooksTest.class.getResource("/fixtures/tiny-qwen2/lora/adapter_config.json")
                .toString())).getParent();
        Path adapter = Files.createDirectories(work.resolve("tiny-qwen2-lora"));
        for (String f : List.of("adapter_config.json", "adapter_model.safetensors")) {
            Files.copy(fixtureAdapter.resolve(f), adapter.resolve(f));
        }
        Path evalData = repoRoot.resolve("src/embedded/sample/cot_eval.csv");
        if (!Files.isRegularFile(evalData)) {
            evalData = work.resolve("cot_eval.csv");
            Files.writeString(evalData, SampleCotTable.evalCsv(), StandardCharsets.UTF_8);
        }
        config = work.resolve("notebook-test.yaml");
        Files.writeString(config, String.join("\n",
                "base_model: " + yamlString(repoRoot.resolve("src/embedded/tiny-qwen2").toString()),
                "data_path: " + yamlString(data.toString()),
                "hard_types: [" + String.join(", ", SampleCotTable.HARD_TYPES) + "]",
                "output_dir: " + yamlString(work.resolve("config-output").toString()),
                "max_length: 512",
                "seed: 42",
                "enable_thinking: true",
                "phase1: {per_device_train_batch_size: 4, gradient_accumulation_steps: 1}",
                "phase2: {per_device_train_batch_size: 2, gradient_accumulation_steps: 2}",
                "shard_format: parquet",
                "chat_date: \"2025-07-10\"",
                "eval_path: " + yamlString(evalData.toString()),
                "eval_adapters: [" + yamlString(adapter.toString()) + "]",
                "eval_limit: " + EVAL_LIMIT,
                "eval_max_new_tokens: 8",
                "eval_batch_size: 4",
                ""), StandardCharsets.UTF_8);

        Path replClasses = Files.createDirectories(work.resolve("repl-classes"));
        // spark.repl.class.outputDir: the driver serves the REPL's class files to executors (closures typed in a
        // paragraph), as Spark's own shell does.
        spark = SparkSessions.builder("local[2]", "tracedistill-notebooks-test")
                .config("spark.repl.class.outputDir", replClasses.toString())
                .config("spark.sql.shuffle.partitions", "2")
                .getOrCreate();
        spark.sparkContext().setLogLevel("WARN");
        long t0 = System.nanoTime();
        repl = new ScalaRepl(ScalaRepl.testClasspath(), replClasses, NotebooksTest.class.getClassLoader(), System.out);
        repl.bind("spark", "org.apache.spark.sql.SparkSession", spark);
        ScalaRepl.Outcome stub = repl.interpret(String.join("\n",
                "object z {",
                "  def show(df: org.apache.spark.sql.Dataset[_]): Unit = df.show(20, false)",
                "  def show(df: org.apache.spark.sql.Dataset[_], maxResult: Int): Unit = df.show(maxResult, false)",
                "}",
                "// Databricks' display(df), as the twins call it",
                "def display(df: org.apache.spark.sql.Dataset[_]): Unit = df.show(20, false)"));
        assertTrue(stub.success(), () -> "the z stub does not compile:\n" + stub.output());
        System.out.printf("NotebooksTest: Scala REPL ready in %.1f s (sample: %s)%n", (System.nanoTime() - t0) / 1e9,
                generatedSample ? "generated " + data : data);
    }

    @AfterAll
    static void stop() {
        if (repl != null) {
            repl.close();
        }
        if (spark != null) {
            spark.stop();
        }
    }

    static Stream<Arguments> notes() throws IOException {
        try (Stream<Path> files = Files.list(findRepoRoot().resolve("notebooks"))) {
            // Zeppelin notes first, then their Databricks source-format twins.
            List<Path> zpln = files.filter(p -> p.getFileName().toString().endsWith(".zpln")
                    || p.getFileName().toString().endsWith(".scala"))
                    .sorted(java.util.Comparator.comparing((Path p) -> p.toString().endsWith(".scala")).thenComparing(Path::toString))
                    .toList();
            assertFalse(zpln.isEmpty(), "no .zpln notes under notebooks/");
            return zpln.stream().map(p -> Arguments.of(p.getFileName().toString(), p));
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("notes")
    void noteRunsInTheSparkRepl(String name, Path file) throws IOException {
        BiConsumer<ScalaRepl, Path> check = CHECKS.get(baseName(name));
        assertNotNull(check, () -> "no check for note " + name + " in NotebooksTest.CHECKS; add one that asserts "
                + "something the note computes");
        Path outputDir = work.resolve("out-" + name.replace('.', '-'));
        ZeppelinNote note = read(file).withParagraphText(PARAMETERS, String.join("\n",
                "%spark",
                "val configPath = " + scalaString(config.toString()),
                "val outputDirOverride: String = " + scalaString(outputDir.toString()),
                ""));
        List<ZeppelinNote.Paragraph> paragraphs = note.paragraphsFor("spark");
        assertTrue(paragraphs.size() >= 3, () -> name + " has only " + paragraphs.size() + " %spark paragraphs");
        for (ZeppelinNote.Paragraph p : paragraphs) {
            long t0 = System.nanoTime();
            System.out.println("==== " + name + " / " + p.title());
            ScalaRepl.Outcome o = repl.interpret(p.code());
            System.out.printf("==== %s / %s: %s in %.1f s%n", name, p.title(), o.result(), (System.nanoTime() - t0) / 1e9);
            if (!o.success()) {
                fail(name + ": paragraph '" + p.title() + "' (" + p.id() + ") did not interpret: " + o.result()
                        + "\n" + o.output());
            }
        }
        check.accept(repl, outputDir);
    }

    /** Note 01: its step-by-step counts agree with what PrepareStage wrote. */
    private static void checkPrepareNote(ScalaRepl r, Path outputDir) {
        JsonNode m = readJson(outputDir.resolve("prepared/manifest.json"));
        JsonNode counts = m.path("counts");
        assertEquals(Boolean.TRUE, value(r, "allChecksPass"), "the note's own consistency checks");
        assertEquals(counts.path("input").asLong(), value(r, "inputRows"), "input rows: note vs manifest");
        assertEquals(counts.path("kept").asLong(), value(r, "stagedKept"), "kept rows: note's transform vs manifest");
        assertEquals(counts.path("quarantined").asLong(), value(r, "stagedQuarantined"), "quarantined rows");
        assertEquals(counts.path("phase1").asLong(), value(r, "preparedPhase1Rows"), "phase1 shard rows vs manifest");
        assertEquals(counts.path("phase2").asLong(), value(r, "preparedPhase2Rows"), "phase2 shard rows vs manifest");
        if (!generatedSample) {
            // src/embedded/sample/README.md: 3000 rows; every 211th is bad, 14 in all: 11 traces, 3 blank types.
            String why = " (as src/embedded/sample/README.md states for cot_sample.csv)";
            assertEquals(3000, counts.path("input").asLong(), "input rows" + why);
            assertEquals(14, counts.path("quarantined").asLong(), "quarantined rows" + why);
            assertEquals(3, counts.path("drop_reasons").path("missing_type").asLong(), "missing_type rows" + why);
        } else {
            // Hand-counted from SampleCotTable.
            assertEquals(SampleCotTable.INPUT_ROWS, counts.path("input").asLong(), "input rows");
            assertEquals(SampleCotTable.KEPT_ROWS, counts.path("kept").asLong(), "kept rows");
            assertEquals(SampleCotTable.DROP_REASONS, dropReasons(counts.path("drop_reasons")), "drop reasons");
            assertEquals(SampleCotTable.PHASE1_ROWS, counts.path("phase1").asLong(), "phase1 rows");
            assertEquals(SampleCotTable.PHASE2_ROWS, counts.path("phase2").asLong(), "phase2 rows");
        }
    }

    /** Note 02: its token counts and decoded example agree with the tokenize manifest. */
    private static void checkTokensNote(ScalaRepl r, Path outputDir) {
        JsonNode m = readJson(outputDir.resolve("tokens/manifest.json"));
        JsonNode phase1 = m.path("phases").path("phase1");
        assertEquals(Boolean.TRUE, value(r, "allChecksPass"), "the note's own consistency checks");
        assertEquals(phase1.path("kept").asLong(), value(r, "tokenRows"), "phase1 token rows: note vs manifest");
        assertEquals(phase1.path("rows_within_5pct_of_max_length").asLong(), value(r, "nearMaxRows"),
                "rows near max_length: note vs manifest");
        int[] ids = (int[]) value(r, "exampleIds");
        int masked = (Integer) value(r, "exampleMasked");
        String decoded = (String) value(r, "decodedExample");
        String summary = ids.length + " tokens: " + masked + " masked (label -100), " + (ids.length - masked)
                + " supervised";
        assertTrue(decoded.startsWith(summary), () -> "decoded example should start with '" + summary + "' but was: "
                + decoded.lines().findFirst().orElse(""));
        // MaskedSpanPrinter brackets exactly the masked tokens (tiny-qwen2's byte-level tokens never contain "[(").
        long bracketed = decoded.lines().skip(1).mapToLong(l -> l.split("\\[\\(", -1).length - 1).sum();
        assertEquals(masked, bracketed, "bracketed cells in the decoded example vs labels == -100");
        assertTrue(masked > 0 && masked < ids.length, "the prompt is masked and the completion supervised: " + masked
                + " of " + ids.length + " masked");
        if (generatedSample) {
            assertEquals(SampleCotTable.PHASE1_ROWS, phase1.path("input_rows").asLong(), "phase1 prepared rows read");
        }
    }

    /** Note 03: its per-arm counts agree with eval_report.json, and every arm decoded the eval_limit rows. */
    private static void checkEvalNote(ScalaRepl r, Path outputDir) {
        JsonNode report = readJson(outputDir.resolve("eval/eval_report.json"));
        assertEquals(Boolean.TRUE, value(r, "allChecksPass"), "the note's own consistency checks");
        List<String> arms = new java.util.ArrayList<>();
        long reportedRows = 0;
        for (JsonNode a : report.path("arms")) {
            arms.add(a.path("name").asText());
            reportedRows += a.path("rows").asLong();
            assertEquals(EVAL_LIMIT, a.path("rows").asLong(), "rows of arm " + a.path("name"));
        }
        assertEquals(List.of("base", "tiny-qwen2-lora"), arms, "arms in eval_report.json");
        assertEquals(arms, scalaSeq(value(r, "armOrder")), "the note's arm order");
        assertEquals(reportedRows, value(r, "predictionRows"), "prediction rows: note vs report");
    }

    // ---- hand-checkable unit tests of the harness itself

    @Test
    void paragraphSplitsInterpreterLineFromCode() {
        ZeppelinNote.Paragraph p = new ZeppelinNote.Paragraph("p1", "t", "%spark\nval x = 1\nval y = 2\n");
        assertEquals("spark", p.interpreter());
        assertEquals("val x = 1\nval y = 2\n", p.code());
        ZeppelinNote.Paragraph md = new ZeppelinNote.Paragraph("p2", "", "%md\n## Title");
        assertEquals("md", md.interpreter());
        ZeppelinNote.Paragraph bare = new ZeppelinNote.Paragraph("p3", "", "val x = 1");
        assertEquals("", bare.interpreter());
        assertEquals("val x = 1", bare.code());
    }

    private static String baseName(String fileName) {
        return fileName.substring(0, fileName.lastIndexOf('.'));
    }

    private static ZeppelinNote read(Path file) {
        return file.toString().endsWith(".scala") ? DatabricksNotebook.read(file) : ZeppelinNote.read(file);
    }

    /**
     * Every Zeppelin note has a Databricks twin ({@code .scala}, source format) with the same cells in the same order
     * and the same code, except {@code display(df)} for {@code z.show(df)} and the Parameters cell's paths.
     */
    @Test
    void databricksTwinsMatchTheZeppelinNotes() throws IOException {
        List<Path> notes;
        try (Stream<Path> files = Files.list(repoRoot.resolve("notebooks"))) {
            notes = files.filter(p -> p.toString().endsWith(".zpln")).sorted().toList();
        }
        for (Path zpln : notes) {
            Path twin = zpln.resolveSibling(baseName(zpln.getFileName().toString()) + ".scala");
            assertTrue(Files.isRegularFile(twin), "no Databricks twin " + twin.getFileName() + " of " + zpln.getFileName());
            List<ZeppelinNote.Paragraph> z = ZeppelinNote.read(zpln).paragraphs();
            List<ZeppelinNote.Paragraph> d = DatabricksNotebook.read(twin).paragraphs();
            assertEquals(z.stream().map(ZeppelinNote.Paragraph::title).toList(), d.stream().map(ZeppelinNote.Paragraph::title).toList(),
                    twin.getFileName() + ": cell titles");
            for (int i = 0; i < z.size(); i++) {
                assertEquals(z.get(i).interpreter(), d.get(i).interpreter(), twin.getFileName() + " cell " + i);
                if (z.get(i).interpreter().equals("spark") && !z.get(i).title().equals(PARAMETERS)) {
                    assertEquals(z.get(i).code().strip().replace("z.show(", "display("), d.get(i).code().strip(),
                            twin.getFileName() + ": cell '" + z.get(i).title() + "'");
                }
            }
        }
    }

    @Test
    void databricksSourceFormatIsReadCellByCell() throws IOException {
        Path f = work.resolve("tiny.scala");
        Files.writeString(f, String.join("\n", DatabricksNotebook.HEADER, "// MAGIC %md", "// MAGIC ## Title", "// MAGIC",
                "// MAGIC text", "", "// COMMAND ----------", "", "// DBTITLE 1,Parameters", "val x = 1", "",
                "// COMMAND ----------", "", "display(df)", ""));
        ZeppelinNote n = DatabricksNotebook.read(f);
        assertEquals(3, n.paragraphs().size());
        assertEquals("md", n.paragraphs().get(0).interpreter());
        assertEquals("## Title\n\ntext\n", n.paragraphs().get(0).code());
        assertEquals("Parameters", n.paragraphs().get(1).title());
        assertEquals("val x = 1\n", n.paragraphs().get(1).code());
        assertEquals("display(df)\n", n.paragraphs().get(2).code());
        Path bad = work.resolve("bad.scala");
        Files.writeString(bad, "val x = 1\n");
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> DatabricksNotebook.read(bad));
        assertTrue(e.getMessage().contains("'// Databricks notebook source'"), e.getMessage());
    }

    @Test
    void replacingAMissingParagraphNamesTheTitlesThereAre() throws IOException {
        Path f = work.resolve("tiny.zpln");
        Files.writeString(f, "{\"name\":\"tiny\",\"paragraphs\":[{\"id\":\"a\",\"title\":\"One\",\"text\":\"%spark\\n1\"}]}");
        ZeppelinNote n = ZeppelinNote.read(f);
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> n.withParagraphText("Parameters", "%spark\n"));
        assertTrue(e.getMessage().contains("has no paragraph titled 'Parameters'") && e.getMessage().contains("[One]"),
                e.getMessage());
        Path notANote = work.resolve("bad.zpln");
        Files.writeString(notANote, "{\"name\":\"x\"}");
        IllegalArgumentException e2 = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> ZeppelinNote.read(notANote));
        assertTrue(e2.getMessage().contains("bad.zpln") && e2.getMessage().contains("'paragraphs'"), e2.getMessage());
    }

    @Test
    void generatedSampleHasTheDocumentedCounts() throws IOException {
        // SampleCotTable's counts are asserted above only when the bundled sample is absent: check them here always.
        Path csv = work.resolve("generated-check/cot_sample.csv");
        Files.createDirectories(csv.getParent());
        Files.writeString(csv, SampleCotTable.csv(), StandardCharsets.UTF_8);
        InputTable table = InputReader.read(spark, csv.toString());
        CheckedSchema checked = SchemaCheck.check(table, ColumnKeys.defaults(), null);
        Dataset<Row> staged = FormatContractTransform.transform(table, checked, FormatContractTransform.Params.defaults());
        Map<String, Long> reasons = new TreeMap<>();
        for (Row r : staged.where(FormatContractTransform.STAGED_REASON + " is not null").groupBy(FormatContractTransform.STAGED_REASON)
                .count().collectAsList()) {
            reasons.put(r.getString(0), r.getLong(1));
        }
        assertEquals(SampleCotTable.INPUT_ROWS, staged.count(), "rows");
        assertEquals(new TreeMap<>(SampleCotTable.DROP_REASONS), reasons, "quarantine reasons");
        PhaseSplitter.Result split = PhaseSplitter.split(staged, new PhaseSplitter.Params(SampleCotTable.HARD_TYPES, 42,
                BigInteger.valueOf(42), true, 4, 4));
        assertEquals(SampleCotTable.PHASE1_ROWS, split.phase1InputRowsByPosition().length, "phase1 kept rows");
        assertEquals(SampleCotTable.PHASE2_ROWS, split.phase2InputRowsByPosition().length, "phase2 kept rows");
        assertEquals(SampleCotTable.KEPT_ROWS, SampleCotTable.INPUT_ROWS - reasons.values().stream().mapToLong(x -> x).sum());
    }

    @Test
    void replReportsACompileErrorInsteadOfSuccess() {
        ScalaRepl.Outcome o = repl.interpret("val notAnInt: Int = \"text\"");
        assertFalse(o.success());
        assertTrue(o.output().contains("type mismatch"), o.output());
        ScalaRepl.Outcome ok = repl.interpret("val sumOfRange = spark.range(5).selectExpr(\"sum(id)\").head().getLong(0)");
        assertTrue(ok.success(), ok.output());
        assertEquals(10L, repl.valueOf("sumOfRange").orElseThrow());
    }

    // ---- helpers

    private static Object value(ScalaRepl r, String term) {
        return r.valueOf(term).orElseThrow(() -> new AssertionError("the note defines no value '" + term + "'"));
    }

    private static List<Object> scalaSeq(Object seq) {
        return new java.util.ArrayList<>(scala.collection.JavaConverters.seqAsJavaList((scala.collection.Seq<?>) seq));
    }

    private static Map<String, Long> dropReasons(JsonNode node) {
        Map<String, Long> out = new TreeMap<>();
        node.fields().forEachRemaining(e -> out.put(e.getKey(), e.getValue().asLong()));
        return out;
    }

    private static JsonNode readJson(Path file) {
        try {
            return JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new AssertionError("cannot read " + file + " (did the note's stage run?): " + e.getMessage(), e);
        }
    }

    /** The repository root: the nearest ancestor of the working directory holding {@code notebooks/}. */
    private static Path findRepoRoot() {
        Path dir = Path.of("").toAbsolutePath();
        for (Path d = dir; d != null; d = d.getParent()) {
            if (Files.isDirectory(d.resolve("notebooks")) && Files.isDirectory(d.resolve("src/embedded"))) {
                return d;
            }
        }
        throw new IllegalStateException("no notebooks/ and src/embedded/ above " + dir
                + "; run the test from the repository (mvn -pl jobs test)");
    }

    private static String scalaString(String s) {
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }

    private static String yamlString(String s) {
        return "'" + s.replace("'", "''") + "'";
    }
}
