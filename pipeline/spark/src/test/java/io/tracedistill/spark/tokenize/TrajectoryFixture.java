package io.tracedistill.spark.tokenize;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tracedistill.config.ShardFormat;
import io.tracedistill.contract.FormatContract;
import io.tracedistill.contract.RecordOutcome;
import io.tracedistill.order.StratifiedOrder;
import io.tracedistill.python.PyValue;
import io.tracedistill.spark.Columns;
import io.tracedistill.spark.ShardSchemas;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Builds the prepared shards of the recorded two-phase run ({@code fixtures/train_trajectory}) without the prepare
 * stage: the phase frames ({@code trajectory.json -> phases.*.phase_df_ids}) of {@code data.csv} rows through
 * {@link FormatContract#build}, records numbered in frame order ({@code phase_index}), positions from
 * {@link StratifiedOrder} with effective batch 4 and seed 42, and the input {@code id} as a passthrough column.
 */
final class TrajectoryFixture {

    static final ObjectMapper JSON = new ObjectMapper();
    static final StructType PASSTHROUGH = new StructType().add("id", DataTypes.StringType, true);

    private TrajectoryFixture() {}

    static JsonNode json(String resource) {
        try (InputStream in = TrajectoryFixture.class.getResourceAsStream("/" + resource)) {
            if (in == null) {
                throw new IllegalStateException("missing test resource " + resource);
            }
            return JSON.readTree(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Path path(String resource) {
        try {
            return Path.of(TrajectoryFixture.class.getResource("/" + resource).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** data.csv rows by id: {prompt, generated_cot, answer, type, csv_row} (empty field = pandas NaN). */
    static Map<String, Row> csvById(SparkSession spark) {
        List<Row> rows = spark.read().option("header", true).option("multiLine", true).option("escape", "\"")
                .csv(path("fixtures/train_trajectory/data.csv").toString()).collectAsList();
        Map<String, Row> out = new HashMap<>();
        rows.forEach(r -> out.put(r.getString(r.fieldIndex("id")), r));
        return out;
    }

    private static PyValue cell(Row r, String col) {
        String v = r.getString(r.fieldIndex(col));
        return v == null ? new PyValue.Float(Double.NaN) : new PyValue.Str(v);
    }

    /** Prepared rows of one phase of the recorded run, in record order. */
    static List<Row> preparedRows(SparkSession spark, String phase) {
        Map<String, Row> csv = csvById(spark);
        JsonNode ids = json("fixtures/train_trajectory/trajectory.json").get("phases").get(phase).get("phase_df_ids");
        List<String[]> kept = new ArrayList<>(); // {id, type, user, assistant, csvRow}
        for (JsonNode idNode : ids) {
            Row r = csv.get(idNode.asText());
            RecordOutcome o = FormatContract.build(cell(r, "prompt"), cell(r, "generated_cot"), cell(r, "answer"));
            if (o.isKept()) {
                kept.add(new String[] {idNode.asText(), r.getString(r.fieldIndex("type")), o.chatRecord().user(),
                    o.chatRecord().assistant()});
            }
        }
        List<String> types = kept.stream().map(k -> k[1]).toList();
        int[] order = StratifiedOrder.indexOrder(types, 4, 42L);
        long[] position = new long[order.length];
        for (int k = 0; k < order.length; k++) {
            position[order[k]] = k;
        }
        List<Row> out = new ArrayList<>();
        for (int j = 0; j < kept.size(); j++) {
            String[] k = kept.get(j);
            out.add(RowFactory.create(position[j], k[1], k[2], k[3], (long) j, "data.csv",
                    Long.parseLong(k[0].substring(1)), k[0]));
        }
        return out;
    }

    /** Writes prepared/phase1 and prepared/phase2 of the recorded run under {@code outputDir}. */
    static void writePrepared(SparkSession spark, Path outputDir, ShardFormat format) {
        for (String phase : List.of("phase1", "phase2")) {
            writePrepared(spark, outputDir, format, phase, preparedRows(spark, phase));
        }
    }

    static void writePrepared(SparkSession spark, Path outputDir, ShardFormat format, String phase,
            List<Row> rows) {
        var df = spark.createDataFrame(rows, ShardSchemas.prepared(PASSTHROUGH)).coalesce(1)
                .sortWithinPartitions(Columns.POSITION);
        String dir = outputDir.resolve("prepared").resolve(phase).toString();
        if (format == ShardFormat.PARQUET) {
            df.write().parquet(dir);
        } else {
            df.write().json(dir);
        }
        try {
            // The completion marker the tokenize stage requires (the real prepare writes its full manifest here).
            java.nio.file.Files.writeString(outputDir.resolve("prepared").resolve("manifest.json"), "{}\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
