package io.tracedistill.spark.tokenize;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import io.tracedistill.config.ShardFormat;
import io.tracedistill.contract.ColumnKeys;
import io.tracedistill.contract.FormatContract;
import io.tracedistill.spark.Columns;
import io.tracedistill.spark.SparkSessions;
import io.tracedistill.spark.prepare.PrepareStage;
import io.tracedistill.spark.prepare.PrepareSettings;
import io.tracedistill.spark.prepare.ShardWriter;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The whole data path of the recorded reference run ({@code fixtures/train_trajectory}, Python reference + HF
 * tokenizer): the prepare stage on {@code data.csv} (hard types cipher + bits, seed 42, effective batch 2 x 2 = 4), then
 * this stage with the tiny-qwen2 tokenizer and its own chat template (our Jinja renderer) at max_length 256, in Parquet
 * and in JSON Lines. Every training position of both phases is one case: the row at that position must be the
 * reference's example ({@code trajectory.json -> stratified_order_ids}) with exactly its {@code input_ids} and
 * {@code labels} from {@code tokenized_phase1.json} / {@code tokenized_phase2.json}.
 */
class TrajectoryTokensGoldenTest {

    private static final String DIR = "fixtures/train_trajectory/";
    private static SparkSession spark;
    /** format -> phase -> token rows in file order. */
    private static final Map<ShardFormat, Map<String, List<Row>>> OUTPUT = new EnumMap<>(ShardFormat.class);
    private static final Map<ShardFormat, TokenizeResult> RESULTS = new EnumMap<>(ShardFormat.class);

    @BeforeAll
    static void prepareAndTokenize() throws IOException {
        spark = SparkSessions.local("local[2]", 2);
        for (ShardFormat format : ShardFormat.values()) {
            Path out = Files.createTempDirectory("td-trajectory-" + format.yamlName());
            PrepareStage.run(spark, new PrepareSettings(TrajectoryFixture.path(DIR + "data.csv").toString(),
                    out.toString(), List.of("cipher", "bits"), BigInteger.valueOf(42), ColumnKeys.defaults(),
                    FormatContract.DEFAULT_PROMPT_SUFFIX, FormatContract.DEFAULT_MIN_COT_LEN, true,
                    format, 4, 4, ShardWriter.DEFAULT_ROWS_PER_SHARD, Map.of()), null);
            RESULTS.put(format, TokenizeStage.run(spark, new TokenizeSettings(
                    TrajectoryFixture.path("fixtures/tiny-qwen2").toString(), 256, BigInteger.valueOf(42), true,
                    Optional.of(LocalDate.of(2025, 7, 10)), format, 4, 4), out.toString(),
                    ChatTemplateTurnRenderer.FACTORY));
            Map<String, List<Row>> phases = new HashMap<>();
            for (String phase : List.of("phase1", "phase2")) {
                phases.put(phase, TokenizeStageTest.readInFileOrder(spark, out.resolve("tokens").resolve(phase),
                        format));
            }
            OUTPUT.put(format, phases);
        }
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    /** One case per (format, phase, training position), from the golden files only. */
    static Stream<Arguments> positions() {
        JsonNode trajectory = TrajectoryFixture.json(DIR + "trajectory.json");
        List<Arguments> out = new ArrayList<>();
        for (ShardFormat format : ShardFormat.values()) {
            for (String phase : List.of("phase1", "phase2")) {
                Map<String, JsonNode> byId = new HashMap<>();
                TrajectoryFixture.json(DIR + "tokenized_" + phase + ".json").get("examples")
                        .forEach(e -> byId.put(e.get("id").asText(), e));
                JsonNode orderIds = trajectory.get("phases").get(phase).get("stratified_order_ids");
                for (int k = 0; k < orderIds.size(); k++) {
                    String id = orderIds.get(k).asText();
                    out.add(Arguments.of(format.yamlName() + "/" + phase + "/position " + k + " " + id, format, phase,
                            k, byId.get(id)));
                }
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("positions")
    void rowAtPositionIsTheReferenceExample(String name, ShardFormat format, String phase, int position,
            JsonNode golden) {
        List<Row> rows = OUTPUT.get(format).get(phase);
        Row r = rows.get(position);
        assertEquals(position, r.getLong(r.fieldIndex(Columns.POSITION)), "file order = position order");
        assertEquals(golden.get("id").asText(), r.getString(r.fieldIndex("id")));
        assertEquals(golden.get("type").asText(), r.getString(r.fieldIndex(Columns.TYPE)));
        assertArrayEquals(TokenizeStageTest.ints(golden.get("input_ids")),
                TokenizeStageTest.ints(r.getList(r.fieldIndex(Columns.INPUT_IDS))), "input_ids");
        assertArrayEquals(TokenizeStageTest.ints(golden.get("labels")),
                TokenizeStageTest.ints(r.getList(r.fieldIndex(Columns.LABELS))), "labels");
        // JSON Lines are read back with inferred types (long), Parquet with the written ones (int).
        assertEquals(golden.get("length").asInt(), ((Number) r.get(r.fieldIndex(Columns.NUM_TOKENS))).intValue());
        assertEquals(golden.get("num_label_tokens").asInt(),
                ((Number) r.get(r.fieldIndex(Columns.NUM_LOSS_TOKENS))).intValue());
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(ShardFormat.class)
    void phasesHoldExactlyTheReferenceExamples(ShardFormat format) {
        assertEquals(84, OUTPUT.get(format).get("phase1").size());
        assertEquals(45, OUTPUT.get(format).get("phase2").size());
        assertEquals(0, RESULTS.get(format).quarantinedRows());
    }
}
