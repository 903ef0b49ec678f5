package io.tracedistill.spark.prepare;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tracedistill.contract.ColumnKeys;
import io.tracedistill.spark.Columns;
import io.tracedistill.spark.ml.FormatContractStage;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The format contract as a {@code spark.ml} stage: in a {@link Pipeline} over the rows {@code InputReader} reads, it gives
 * exactly the staged rows of the job's own {@link FormatContractTransform} on every case of the golden CSV set
 * ({@code golden/csv_build_records.json}); it saves and loads with its params ({@code MLWritable}/{@code MLReadable}),
 * alone and inside a saved {@link PipelineModel}.
 */
class FormatContractStageTest extends SparkTestBase {
    private static final ObjectMapper JSON = new ObjectMapper();
    @TempDir
    Path dir;

    private static List<Row> sorted(Dataset<Row> ds) {
        return ds.collectAsList().stream()
                .sorted(Comparator.comparing((Row r) -> r.getString(2)).thenComparing(r -> r.getLong(1))).toList();
    }

    @Test
    void givesTheJobsRowsOnEveryGoldenCsv() throws Exception {
        JsonNode root;
        try (InputStream in = FormatContractStageTest.class.getResourceAsStream("/golden/csv_build_records.json")) {
            root = JSON.readTree(in);
        }
        int compared = 0;
        long rows = 0;
        PipelineModel model = null;
        for (JsonNode c : root.get("cases")) {
            if (c.has("error")) {
                continue; // schema errors: covered by missingColumnsAreNamed
            }
            Path csv = dir.resolve(c.get("id").asText() + ".csv");
            Files.writeString(csv, c.get("csv_text").asText(), StandardCharsets.UTF_8);
            InputTable t = InputReader.read(spark, csv.toString());
            List<Row> job = sorted(FormatContractTransform.transform(t, SchemaCheck.check(t, ColumnKeys.defaults(), null),
                    FormatContractTransform.Params.defaults()));
            if (model == null) {
                model = new Pipeline().setStages(new PipelineStage[] {new FormatContractStage()}).fit(t.rows());
            }
            List<Row> stage = sorted(model.transform(t.rows()));
            assertEquals(job, stage, "case " + c.get("id").asText());
            compared++;
            rows += job.size();
        }
        System.out.printf("FormatContractStage: %d golden CSV cases, %d staged rows, all equal to the job's%n", compared, rows);
        assertTrue(compared >= 10, "golden CSV cases compared: " + compared);
    }

    @Test
    void savesAndLoadsWithItsParamsAloneAndInAPipelineModel() throws Exception {
        Path jsonl = dir.resolve("data.jsonl");
        Files.writeString(jsonl, String.join("\n",
                "{\"q\":\"q1\",\"trace\":\"reasoning one\",\"label\":5.0,\"family\":\"t\"}",
                "{\"q\":\"q2\",\"trace\":\"tiny\",\"label\":7,\"family\":\"t\"}") + "\n");
        InputTable t = InputReader.read(spark, jsonl.toString());
        ColumnKeys keys = new ColumnKeys("q", "trace", "label", "family");
        FormatContractStage stage = new FormatContractStage().setInputFormat("jsonl").setColumns(keys)
                .setPromptSuffix(" Answer in a box.").setMinCotLen(5);
        stage.write().overwrite().save(dir.resolve("stage").toString());
        FormatContractStage back = FormatContractStage.load(dir.resolve("stage").toString());
        assertEquals(stage.uid(), back.uid());
        assertEquals(keys, back.columns());
        assertEquals(stage.contractParams(), back.contractParams());
        assertEquals("jsonl", back.getOrDefault(back.inputFormat()));
        List<Row> direct = sorted(FormatContractTransform.transform(t, SchemaCheck.check(t, keys, null),
                new FormatContractTransform.Params(" Answer in a box.", 5)));
        assertEquals(direct, sorted(back.transform(t.rows())));
        assertEquals("short_cot", direct.get(1).getString(direct.get(1).fieldIndex(FormatContractTransform.STAGED_REASON)));
        assertEquals("q1 Answer in a box.", direct.get(0).getString(direct.get(0).fieldIndex(FormatContractTransform.USER)));

        PipelineModel model = new Pipeline().setStages(new PipelineStage[] {stage}).fit(t.rows());
        model.write().overwrite().save(dir.resolve("pipeline").toString());
        PipelineModel loaded = PipelineModel.load(dir.resolve("pipeline").toString());
        assertEquals(direct, sorted(loaded.transform(t.rows())));

        FormatContractStage defaults = new FormatContractStage();
        assertNotEquals(defaults.uid(), stage.uid());
        assertEquals(ColumnKeys.defaults(), defaults.columns());
        assertEquals(FormatContractTransform.Params.defaults(), defaults.contractParams());
    }

    @Test
    void aRecordTheReaderCouldNotReadIsQuarantinedAsByTheJob() throws Exception {
        Path csv = dir.resolve("broken.csv");
        Files.writeString(csv, "prompt,generated_cot,answer,type\nq1,reasoning one,5,t\nq2,reasoning two,7,t,extra\n"
                + "q3,reasoning three,9,t\n", StandardCharsets.UTF_8);
        Path jsonl = dir.resolve("broken.jsonl");
        Files.writeString(jsonl, "{\"prompt\":\"q1\",\"generated_cot\":\"reasoning one\",\"answer\":5,\"type\":\"t\"}\n"
                + "not json\n", StandardCharsets.UTF_8);
        for (Path p : List.of(csv, jsonl)) {
            InputTable t = InputReader.read(spark, p.toString());
            String format = t.format().name().toLowerCase(java.util.Locale.ROOT);
            List<Row> job = sorted(FormatContractTransform.transform(t, SchemaCheck.check(t, ColumnKeys.defaults(), null),
                    FormatContractTransform.Params.defaults()));
            List<Row> stage = sorted(new FormatContractStage().setInputFormat(format).transform(t.rows()));
            assertEquals(job, stage, p.getFileName().toString());
            List<String> reasons = stage.stream()
                    .map(r -> r.getString(r.fieldIndex(FormatContractTransform.STAGED_REASON))).toList();
            String malformed = p == csv ? QuarantineReason.MALFORMED_CSV : QuarantineReason.MALFORMED_JSON;
            assertEquals(1, reasons.stream().filter(malformed::equals).count(), p.getFileName() + ": " + reasons);
            Row bad = stage.stream().filter(r -> malformed.equals(r.getString(r.fieldIndex(FormatContractTransform.STAGED_REASON))))
                    .findFirst().orElseThrow();
            assertEquals(p == csv ? 3L : 2L, bad.getLong(bad.fieldIndex(InputReader.LINE)), "physical line of the bad record");
            assertTrue(bad.getString(bad.fieldIndex(InputReader.READ_RAW)).contains(p == csv ? "extra" : "not json"));
        }
    }

    @Test
    void aDataFrameWithoutSourceFileAndBadParamsAreHandled() throws Exception {
        Path csv = dir.resolve("d.csv");
        Files.writeString(csv, "prompt,generated_cot,answer,type\nq1,reasoning one,5,t\n", StandardCharsets.UTF_8);
        Dataset<Row> plain = InputReader.read(spark, csv.toString()).rows().drop(Columns.SOURCE_FILE);
        List<Row> out = new FormatContractStage().transform(plain).collectAsList();
        assertEquals(1, out.size());
        assertEquals(FormatContractStage.DATAFRAME_SOURCE, out.get(0).getString(out.get(0).fieldIndex(Columns.SOURCE_FILE)));
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
                () -> new FormatContractStage().setColumns(new ColumnKeys("question", "generated_cot", "answer", "type"))
                        .transform(plain));
        assertTrue(missing.getMessage().contains("no column 'question'") && missing.getMessage().contains("setColumns"),
                missing.getMessage());
        IllegalArgumentException format = assertThrows(IllegalArgumentException.class,
                () -> new FormatContractStage().setInputFormat("xlsx").transformSchema(plain.schema()));
        assertTrue(format.getMessage().contains("inputFormat is 'xlsx'") && format.getMessage().contains("csv"),
                format.getMessage());
    }
}
