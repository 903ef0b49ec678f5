package io.tracedistill.spark.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tracedistill.config.ConfigLoader;
import io.tracedistill.config.RunConfig;
import io.tracedistill.eval.EvalExample;
import io.tracedistill.eval.EvalSettings;
import io.tracedistill.eval.LocalEval;
import io.tracedistill.eval.Prediction;
import io.tracedistill.eval.SkipReason;
import io.tracedistill.spark.SparkSessions;
import io.tracedistill.spark.prepare.InputSchemaException;
import io.tracedistill.config.ShardFormat;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Spark eval stage on {@code local[2]} with the tiny Qwen2 fixture (random weights) and its LoRA adapter: exact
 * outputs, equality with the one-process path, every row accounted for, report = recomputation from the table.
 */
class EvalStageTest {
    static final String SUFFIX = " Put the answer in \\boxed{}.";
    static final String[] PROMPTS = {"2+2=?", "Name a color.", "x", "What is 7 times 6?", "Hi",
        "Count to three, please!", "y".repeat(120)};
    static final String[] TYPES = {"math", "words", "words", "math", "words", "math", "math"};
    static final String[] GOLD = {"4", "red", "x", "42", "hello", "1, 2, 3", "1"};

    static SparkSession spark;
    @TempDir
    static Path tmp;
    static Path model;
    static RunConfig cfg;
    static EvalResult result;
    static List<Prediction> table;

    static Path fixture(String rel) {
        try {
            return Path.of(EvalStageTest.class.getResource("/fixtures/" + rel).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static String csvCell(String s) {
        return "\"" + s.replace("\"", "\"\"") + "\"";
    }

    static Path writeEvalCsv(Path dir) throws IOException {
        StringBuilder sb = new StringBuilder("id,prompt,answer,type\n");
        for (int i = 0; i < PROMPTS.length; i++) {
            sb.append("q").append(i).append(',').append(csvCell(PROMPTS[i])).append(',').append(csvCell(GOLD[i]))
                    .append(',').append(TYPES[i]).append('\n');
        }
        Path f = dir.resolve("eval.csv");
        Files.writeString(f, sb.toString(), StandardCharsets.UTF_8);
        return f;
    }

    static RunConfig config(Path evalFile, Path out, String extra) {
        String yaml = "base_model: " + model + "\n"
                + "data_path: unused.csv\n"
                + "hard_types: [math]\n"
                + "output_dir: " + out + "\n"
                + "max_length: 4096\n"
                + "prompt_suffix: \" Put the answer in \\\\boxed{}.\"\n"
                + "eval_path: " + evalFile + "\n"
                + "eval_adapters: [" + fixture("tiny-qwen2/lora") + "]\n"
                + "eval_max_new_tokens: 12\n"
                + "eval_batch_size: 3\n"
                + extra;
        return ConfigLoader.parse(yaml, "config.yaml");
    }

    @BeforeAll
    static void start() throws IOException {
        model = fixture("tiny-qwen2");
        spark = SparkSessions.builder("local[2]", "eval-tests").config("spark.ui.enabled", "false")
                .config("spark.sql.shuffle.partitions", "2").getOrCreate();
        Path evalFile = writeEvalCsv(tmp);
        cfg = config(evalFile, tmp.resolve("out"), "");
        assertEquals(SUFFIX, cfg.data().promptSuffix());
        result = EvalStage.run(spark, cfg, cfg.output().outputDir());
        table = new ArrayList<>();
        for (Row r : spark.read().parquet(result.predictionsDir()).collectAsList()) {
            table.add(PredictionRows.fromRow(r));
        }
    }

    @AfterAll
    static void stop() {
        if (spark != null) {
            spark.stop();
        }
    }

    @Test
    void everyRowIsAccountedForInEveryArm() {
        assertEquals(List.of("base", "lora"), result.arms());
        assertEquals(7, result.inputRows());
        assertEquals(7, result.evalRows());
        assertEquals(6, result.decodedRows());
        assertEquals(14, table.size());
        for (Prediction p : table) {
            if (p.rowIndex() == 6) {
                assertEquals(Optional.of(SkipReason.PROMPT_TOO_LONG), p.reason());
                assertEquals(Prediction.FINISH_NOT_DECODED, p.finish());
            } else {
                assertEquals(Optional.empty(), p.reason());
                assertEquals(12, p.newTokens());
                assertEquals(Prediction.FINISH_LENGTH, p.finish(), "random weights never emit eos in 12 tokens");
            }
        }
    }

    @Test
    void tableIsSortedByArmThenRowAndKeepsPassthroughId() {
        List<Row> rows = spark.read().parquet(result.predictionsDir()).collectAsList();
        List<String> names = List.of(rows.get(0).schema().fieldNames());
        assertEquals(PredictionColumns.leadingNames(), names.subList(0, PredictionColumns.LEADING.size()));
        assertEquals(List.of("id"), names.subList(PredictionColumns.LEADING.size(), names.size()));
        for (int i = 0; i < rows.size(); i++) {
            Row r = rows.get(i);
            assertEquals(i < 7 ? "base" : "lora", r.getAs(PredictionColumns.ARM));
            assertEquals((long) (i % 7), (long) r.<Long>getAs(PredictionColumns.ROW_INDEX));
            assertEquals("q" + (i % 7), r.getAs("id"));
            assertEquals(GOLD[i % 7], r.getAs(PredictionColumns.GOLD));
            assertEquals(TYPES[i % 7], r.getAs(PredictionColumns.ROW_TYPE));
        }
    }

    @Test
    void exactOutputsOfTwoPrompts() {
        // Same values as the model module's LocalEvalTest (computed once with the one-process path and checked there
        // against a full-reforward greedy decode).
        Map<String, String> expected = Map.of(
                "base/0", "T\ufffd\u0006\ufffdn\u0285\ufffdn\u0285\ufffd",
                "base/3", "T\ufffd\u0006\ufffdn\u028b-(@\ufffd\u0003",
                "lora/0", ">\u0003v\ufffdn:&)4\ufffd\u0008\ufffd",
                "lora/3", "Y\u02b6\ufffd\u0019\ufffd\u0415\ufffd:&\ufffd");
        Map<String, String> got = new HashMap<>();
        for (Prediction p : table) {
            got.put(p.arm() + "/" + p.rowIndex(), p.output());
        }
        expected.forEach((k, v) -> assertEquals(v, got.get(k), k));
    }

    @Test
    void sparkLocal2EqualsOneProcess() {
        List<EvalExample> examples = new ArrayList<>();
        for (int i = 0; i < PROMPTS.length; i++) {
            examples.add(new EvalExample(i, TYPES[i], GOLD[i], PROMPTS[i] + SUFFIX));
        }
        List<Prediction> local = LocalEval.run(examples, EvalSettings.of(cfg, cfg.output().outputDir()));
        List<Prediction> sorted = new ArrayList<>(table);
        sorted.sort(LocalEval.order(EvalSettings.of(cfg, cfg.output().outputDir()).arms()));
        assertEquals(local, sorted);
    }

    @Test
    void baseAndAdapterArmsDiffer() {
        Map<Long, String> base = new HashMap<>();
        for (Prediction p : table) {
            if (p.arm().equals("base")) {
                base.put(p.rowIndex(), p.output());
            }
        }
        int differ = 0;
        for (Prediction p : table) {
            if (p.arm().equals("lora") && p.reason().isEmpty()) {
                differ += p.output().equals(base.get(p.rowIndex())) ? 0 : 1;
            }
        }
        assertEquals(6, differ, "every decoded row differs between base and adapter");
    }

    @Test
    void reportEqualsRecomputationFromTheTable() throws IOException {
        JsonNode json = new ObjectMapper().readTree(Path.of(java.net.URI.create(result.reportJson())).toFile());
        Dataset<Row> t = spark.read().parquet(result.predictionsDir());
        // Independent recomputation with Spark SQL over the written table.
        List<Row> agg = t.groupBy("arm", "type").agg(
                org.apache.spark.sql.functions.count("*").as("n"),
                org.apache.spark.sql.functions.sum(org.apache.spark.sql.functions.col("correct").cast("int")).as("c"),
                org.apache.spark.sql.functions.sum(org.apache.spark.sql.functions.col("parsed").cast("int")).as("p"))
                .collectAsList();
        int checked = 0;
        for (JsonNode arm : json.get("arms")) {
            long n = 0;
            long c = 0;
            long p = 0;
            for (Row r : agg) {
                if (!r.getString(0).equals(arm.get("name").asText())) {
                    continue;
                }
                JsonNode bt = arm.get("by_type").get(r.getString(1));
                assertEquals(r.getLong(2), bt.get("rows").asLong());
                assertEquals(r.getLong(3), bt.get("correct").asLong());
                assertEquals(r.getLong(4), bt.get("parsed").asLong());
                assertEquals((double) r.getLong(3) / r.getLong(2), bt.get("accuracy").asDouble(), 0.0);
                n += r.getLong(2);
                c += r.getLong(3);
                p += r.getLong(4);
                checked++;
            }
            assertEquals(n, arm.get("rows").asLong());
            assertEquals(c, arm.get("correct").asLong());
            assertEquals(p, arm.get("parsed").asLong());
            assertEquals((double) c / n, arm.get("accuracy").asDouble(), 0.0);
            assertEquals((double) p / n, arm.get("parse_rate").asDouble(), 0.0);
            long notDecoded = t.filter("arm = '" + arm.get("name").asText() + "' and reason is not null").count();
            assertEquals(notDecoded, arm.get("not_decoded").get("prompt_too_long").asLong());
            assertEquals(n - notDecoded, arm.get("decoded").asLong());
        }
        assertEquals(4, checked, "2 arms x 2 types");
        assertEquals(7, json.get("meta").get("eval_rows").asLong());
    }

    @Test
    void markdownAndChartAreWritten() throws IOException {
        String md = Files.readString(Path.of(java.net.URI.create(result.reportMarkdown())));
        assertTrue(md.contains("| type | rows | base | lora |"), md);
        assertTrue(md.contains("| math | 4 | 0.0% (0/4) | 0.0% (0/4) |"), md);
        assertTrue(md.contains("prompt_too_long: 1"), md);
        byte[] png = Files.readAllBytes(Path.of(java.net.URI.create(result.chartPng())));
        assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G'}, java.util.Arrays.copyOf(png, 4));
    }

    @Test
    void jsonlFormatAndEvalLimit() throws IOException {
        Path out = tmp.resolve("out-jsonl");
        RunConfig c = config(tmp.resolve("eval.csv"), out, "shard_format: jsonl\neval_limit: 3\n");
        EvalResult r = EvalStage.run(spark, c, c.output().outputDir());
        assertEquals(7, r.inputRows());
        assertEquals(3, r.evalRows());
        List<Prediction> ps = EvalStage.readPredictions(spark, r.predictionsDir(), ShardFormat.JSONL,
                PredictionColumns.schema(new org.apache.spark.sql.types.StructType()
                        .add("id", org.apache.spark.sql.types.DataTypes.StringType)));
        assertEquals(6, ps.size());
        Map<String, Prediction> byKey = new HashMap<>();
        for (Prediction p : table) {
            byKey.put(p.arm() + "/" + p.rowIndex(), p);
        }
        for (Prediction p : ps) {
            assertTrue(p.rowIndex() < 3);
            // Batch size 3 over rows 0..2 forms one batch {2, 0, 1} (sorted by length); the full run batched them
            // differently, so compare text only where the tiny model's margins make it batch-independent.
            assertEquals(byKey.get(p.arm() + "/" + p.rowIndex()).output(), p.output());
        }
        assertTrue(Files.list(out.resolve("eval/predictions")).anyMatch(f -> f.getFileName().toString()
                .endsWith(".jsonl")));
    }

    /**
     * Issue 17: a malformed eval row (a CSV record with a field too many) is not decoded, with reason
     * {@code malformed_input}, in every arm; every other row is decoded; every input row is in the table once per arm.
     */
    @Test
    void aMalformedRowIsSkippedAsMalformedInputAndEveryOtherRowIsKept() throws IOException {
        Path f = tmp.resolve("eval-malformed.csv");
        Files.writeString(f, "id,prompt,answer,type\nq0,2+2=?,4,math\nq1,Name a color.,red,words,EXTRA\n"
                + "q2,Hi,hello,words\n", StandardCharsets.UTF_8);
        RunConfig c = config(f, tmp.resolve("out-malformed"), "eval_max_new_tokens: 2\n");
        EvalResult r = EvalStage.run(spark, c, c.output().outputDir());
        assertEquals(3, r.inputRows());
        assertEquals(3, r.evalRows());
        assertEquals(2, r.decodedRows(), "every row but the malformed one");
        List<Prediction> ps = new ArrayList<>();
        for (Row row : spark.read().parquet(r.predictionsDir()).collectAsList()) {
            ps.add(PredictionRows.fromRow(row));
        }
        assertEquals(6, ps.size(), "3 rows x 2 arms");
        for (String arm : r.arms()) {
            List<Long> rows = ps.stream().filter(p -> p.arm().equals(arm)).map(Prediction::rowIndex).sorted().toList();
            assertEquals(List.of(0L, 1L, 2L), rows, "arm " + arm + ": every input row once");
        }
        for (Prediction p : ps) {
            if (p.rowIndex() == 1) {
                assertEquals(Optional.of(SkipReason.MALFORMED_INPUT), p.reason(), p.toString());
                assertEquals(Prediction.FINISH_NOT_DECODED, p.finish());
            } else {
                assertEquals(Optional.empty(), p.reason(), p.toString());
                assertEquals(2, p.newTokens());
            }
        }
    }

    @Test
    void missingColumnNamesTheFileAndTheFix() throws IOException {
        Path f = tmp.resolve("bad.csv");
        Files.writeString(f, "id,question,answer,type\nq0,hi,1,math\n");
        RunConfig c = config(f, tmp.resolve("out-bad"), "");
        InputSchemaException e = assertThrows(InputSchemaException.class, () -> EvalStage.run(spark, c,
                c.output().outputDir()));
        assertTrue(e.getMessage().contains("is missing required columns ['prompt']"), e.getMessage());
        assertTrue(e.getMessage().contains("found ['id', 'question', 'answer', 'type']"), e.getMessage());
        assertTrue(e.getMessage().contains("'columns'"), e.getMessage());
    }

    @Test
    void unsetEvalPathAndMissingAdapterAreClearErrors() {
        RunConfig noEval = ConfigLoader.parse("base_model: " + model + "\ndata_path: d.csv\nhard_types: [a]\n",
                "config.yaml");
        IllegalArgumentException e1 = assertThrows(IllegalArgumentException.class,
                () -> EvalStage.run(spark, noEval, tmp.resolve("x").toString()));
        assertTrue(e1.getMessage().startsWith("eval_path is not set"), e1.getMessage());
        RunConfig noAdapter = ConfigLoader.parse("base_model: " + model + "\ndata_path: d.csv\nhard_types: [a]\n"
                + "eval_path: " + tmp.resolve("eval.csv") + "\n", "config.yaml");
        IllegalArgumentException e2 = assertThrows(IllegalArgumentException.class,
                () -> EvalStage.run(spark, noAdapter, tmp.resolve("no-train").toString()));
        assertTrue(e2.getMessage().startsWith("eval arm 'adapter': No adapter_config.json in "), e2.getMessage());
        assertTrue(e2.getMessage().contains("run train first"), e2.getMessage());
    }

    @Test
    void modelsAreLoadedOncePerExecutorJvm() {
        // local[2]: both executor threads share this JVM; base + lora were loaded once for all partitions and for
        // both runs (and the one-process comparison).
        assertEquals(2, io.tracedistill.eval.ArmModels.modelLoads());
    }
}
