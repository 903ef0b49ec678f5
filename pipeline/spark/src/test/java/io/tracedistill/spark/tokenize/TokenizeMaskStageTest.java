package io.tracedistill.spark.tokenize;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tracedistill.config.ShardFormat;
import io.tracedistill.run.Phase;
import io.tracedistill.spark.Columns;
import io.tracedistill.spark.SparkSessions;
import io.tracedistill.spark.ml.TokenizeMaskStage;
import java.math.BigInteger;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Chat render + tokenize + mask as a {@code spark.ml} stage: over the prepared rows of the training-trajectory fixture
 * (tiny-qwen2 tokenizer and template), every row it keeps has exactly the ids, labels and counts the tokenize job
 * wrote for that row (both phases); it saves and loads with its params, alone and inside a {@link PipelineModel}.
 */
class TokenizeMaskStageTest {
    private static SparkSession spark;

    @BeforeAll
    static void start() {
        spark = SparkSessions.local("local[2]", 2);
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    @Test
    void keepsTheJobsTokensAndPersists(@TempDir Path out) throws Exception {
        TrajectoryFixture.writePrepared(spark, out, ShardFormat.PARQUET);
        String model = TrajectoryFixture.path("fixtures/tiny-qwen2").toString();
        TokenizeStage.run(spark, new TokenizeSettings(model, 256, BigInteger.valueOf(42), true,
                Optional.of(LocalDate.of(2025, 7, 10)), ShardFormat.PARQUET, 4, 4), out.toString(),
                ChatTemplateTurnRenderer.FACTORY);
        TokenizeMaskStage stage = new TokenizeMaskStage().setModelDir(model).setMaxLength(256).setEnableThinking(true)
                .setChatDate("2025-07-10");
        stage.write().overwrite().save(out.resolve("ml/stage").toString());
        TokenizeMaskStage loaded = TokenizeMaskStage.load(out.resolve("ml/stage").toString());
        assertEquals(stage.uid(), loaded.uid());
        assertEquals(model, loaded.getOrDefault(loaded.modelDir()));
        assertEquals(256, (Integer) loaded.getOrDefault(loaded.maxLength()));
        assertEquals("2025-07-10", loaded.getOrDefault(loaded.chatDate()));
        PipelineModel pipeline = new Pipeline().setStages(new PipelineStage[] {loaded})
                .fit(spark.read().parquet(out.resolve("prepared/phase1").toString()));
        pipeline.write().overwrite().save(out.resolve("ml/pipeline").toString());
        PipelineModel pipelineBack = PipelineModel.load(out.resolve("ml/pipeline").toString());

        int compared = 0;
        for (Phase phase : Phase.values()) {
            Dataset<Row> prepared = spark.read().parquet(out.resolve("prepared").resolve(phase.folderName()).toString());
            List<Row> rows = pipelineBack.transform(prepared).collectAsList();
            assertEquals(prepared.count(), rows.size(), "one output row per prepared row");
            Map<String, Row> job = new HashMap<>();
            for (Row r : spark.read().parquet(out.resolve("tokens").resolve(phase.folderName()).toString()).collectAsList()) {
                job.put(r.getString(r.fieldIndex("id")), r);
            }
            for (Row r : rows) {
                assertTrue(r.isNullAt(r.fieldIndex(TokenizeStage.TOKENIZED_COLUMNS.get(0))), "nothing dropped at 256");
                Row j = job.get(r.getString(r.fieldIndex("id")));
                String what = phase.folderName() + " " + r.getString(r.fieldIndex("id"));
                assertArrayEquals(TokenizeStageTest.ints(j.getList(j.fieldIndex(Columns.INPUT_IDS))),
                        TokenizeStageTest.ints(r.getList(r.fieldIndex(TokenizeStage.TOKENIZED_COLUMNS.get(2)))), what);
                assertArrayEquals(TokenizeStageTest.ints(j.getList(j.fieldIndex(Columns.LABELS))),
                        TokenizeStageTest.ints(r.getList(r.fieldIndex(TokenizeStage.TOKENIZED_COLUMNS.get(3)))), what);
                assertEquals(j.getInt(j.fieldIndex(Columns.NUM_TOKENS)),
                        r.getInt(r.fieldIndex(TokenizeStage.TOKENIZED_COLUMNS.get(4))), what);
                assertEquals(j.getInt(j.fieldIndex(Columns.NUM_LOSS_TOKENS)),
                        r.getInt(r.fieldIndex(TokenizeStage.TOKENIZED_COLUMNS.get(5))), what);
                compared++;
            }
            assertEquals(job.size(), rows.size());
        }
        System.out.printf("TokenizeMaskStage: %d rows equal to the tokenize job's%n", compared);

        Dataset<Row> prepared = spark.read().parquet(out.resolve("prepared/phase1").toString());
        long dropped = new TokenizeMaskStage().setModelDir(model).setMaxLength(16).setChatDate("2025-07-10")
                .transform(prepared).where(TokenizeStage.TOKENIZED_COLUMNS.get(0) + " is not null").count();
        assertEquals(prepared.count(), dropped, "at max_length 16 every row is quarantined with its reason");
        IllegalArgumentException noModel = assertThrows(IllegalArgumentException.class,
                () -> new TokenizeMaskStage().transform(prepared));
        assertTrue(noModel.getMessage().contains("setModelDir"), noModel.getMessage());
        IllegalArgumentException badDate = assertThrows(IllegalArgumentException.class,
                () -> new TokenizeMaskStage().setModelDir(model).setChatDate("10.07.2025").transform(prepared));
        assertTrue(badDate.getMessage().contains("yyyy-MM-dd"), badDate.getMessage());
        IllegalArgumentException notPrepared = assertThrows(IllegalArgumentException.class,
                () -> new TokenizeMaskStage().setModelDir(model).transform(prepared.drop(Columns.COMPLETION)));
        assertTrue(notPrepared.getMessage().contains("'" + Columns.COMPLETION + "'"), notPrepared.getMessage());
    }
}
