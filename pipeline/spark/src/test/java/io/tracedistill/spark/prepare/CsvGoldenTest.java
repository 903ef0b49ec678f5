package io.tracedistill.spark.prepare;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tracedistill.contract.FormatContract;
import io.tracedistill.python.PyText;
import io.tracedistill.spark.Columns;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Runs prepare on every CSV of {@code golden/csv_build_records.json} (the reference's {@code load_cot_csv} +
 * {@code build_records}) and compares the kept records, in input row order, with the reference's.
 *
 * <p>Prepare reads every CSV cell as written (no pandas type inference; only an empty cell is NaN) and quarantines
 * rows without a type. The cases where that changes the result are pinned in {@link #DEVIATIONS} with the
 * as-written result; for them the test also checks that the reference's result really differs (so the table
 * lists exactly the deviating cases).
 */
class CsvGoldenTest extends SparkTestBase {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String SUFFIX = FormatContract.DEFAULT_PROMPT_SUFFIX;

    /** One expected input row under prepare: kept (user, assistant, type) or quarantined (reason). */
    record Expect(String user, String assistant, String type, String reason) {
        static Expect kept(String prompt, String cot, String answer, String type) {
            return new Expect(prompt + SUFFIX, PyText.rstrip(cot) + "\n</think>\n\\boxed{" + answer + "}", type, null);
        }

        static Expect dropped(String reason) {
            return new Expect(null, null, null, reason);
        }
    }

    /**
     * A pinned deviation: the as-written result of every input row. {@code reasonsOnly}: the kept records equal the
     * reference's and only the drop reasons differ (pandas would call every dropped cot NaN, i.e. nan_cot).
     */
    record Deviation(String why, List<Expect> rows, boolean reasonsOnly) {
        Deviation(String why, List<Expect> rows) {
            this(why, rows, false);
        }
    }

    /** The golden cases where reading as written differs from pandas' inference, with the as-written result. */
    static final Map<String, Deviation> DEVIATIONS = Map.of(
            "int_answers_with_blank", new Deviation(
                    "pandas makes an int column with a blank float64: '5' -> '5.0'; prepare keeps '5'",
                    List.of(Expect.kept("q1", "reasoning one", "5", "t"), Expect.kept("q2", "reasoning two", "nan", "t"))),
            "bool_lower", new Deviation("pandas parses true/FALSE as bool -> 'True'/'False'; prepare keeps the text",
                    List.of(Expect.kept("q1", "reasoning one", "true", "t"),
                            Expect.kept("q2", "reasoning two", "FALSE", "t"))),
            "leading_zero", new Deviation("pandas parses 007 as int 7; prepare keeps '007'",
                    List.of(Expect.kept("q1", "reasoning one", "007", "t"),
                            Expect.kept("q2", "reasoning two", "010", "t"))),
            "na_tokens_cot", new Deviation("pandas reads NA, N/A, nan, NULL as NaN (all nan_cot); prepare keeps the "
                    + "text, so NA/N/A/NULL are short_cot; all five rows are dropped either way",
                    List.of(Expect.dropped("short_cot"), Expect.dropped("short_cot"), Expect.dropped("nan_cot"),
                            Expect.dropped("short_cot"), Expect.dropped("nan_cot"),
                            Expect.kept("q6", "reasoning six", "6", "t")), true),
            "na_token_answer", new Deviation("pandas reads NA and n/a as NaN -> 'nan'; prepare keeps 'NA' and 'n/a'",
                    List.of(Expect.kept("q1", "reasoning one", "NA", "t"), Expect.kept("q2", "reasoning two", "n/a", "t"),
                            Expect.kept("q3", "reasoning 3", "x", "t"))),
            "na_prompt", new Deviation("pandas reads the prompt NA as NaN -> 'nan'; prepare keeps 'NA' (blank is nan)",
                    List.of(Expect.kept("NA", "reasoning one", "1", "t"), Expect.kept("nan", "reasoning two", "2", "t"))),
            "na_type", new Deviation("pandas reads type NA as NaN and keeps both rows with type 'nan'; prepare keeps "
                    + "type 'NA' and quarantines the blank type as missing_type",
                    List.of(Expect.kept("q1", "reasoning one", "1", "NA"), Expect.dropped("missing_type"))),
            "whitespace_cells", new Deviation("pandas parses ' 5 ' as int 5; prepare keeps ' 5 '",
                    List.of(Expect.kept(" q1 ", " reasoning one ", " 5 ", " t "))),
            "negative_float", new Deviation("pandas parses -1.50 as float -> '-1.5'; prepare keeps '-1.50'",
                    List.of(Expect.kept("q1", "reasoning one", "-0.0", "t"),
                            Expect.kept("q2", "reasoning two", "-1.50", "t"))));

    static Stream<Arguments> cases() throws IOException {
        try (InputStream in = CsvGoldenTest.class.getResourceAsStream("/golden/csv_build_records.json")) {
            JsonNode root = JSON.readTree(in);
            List<Arguments> out = new ArrayList<>();
            for (JsonNode c : root.get("cases")) {
                out.add(Arguments.of(c.get("id").asText(), c));
            }
            assertEquals(root.get("meta").get("case_count").asInt(), out.size());
            return out.stream();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void prepareMatchesReference(String id, JsonNode c, @TempDir Path dir) throws IOException {
        Path csv = dir.resolve("data.csv");
        Files.writeString(csv, c.get("csv_text").asText(), StandardCharsets.UTF_8);
        List<String> hard = hardTypes(c.get("csv_text").asText());
        PrepareSettings s = PrepareSettings.defaults(csv.toString(), dir.resolve("out").toString(),
                hard.isEmpty() ? List.of("t") : hard, 42);

        if (c.has("error")) {
            // Reference: CSV 'data.csv' is missing required columns [...]; found [...]. Expected [...].
            String ref = c.get("error").get("message").asText();
            InputSchemaException e = assertThrows(InputSchemaException.class, () -> PrepareStage.run(spark, s, null));
            String tail = ref.substring(ref.indexOf(" is missing required columns"));
            assertTrue(e.getMessage().startsWith("CSV '"), e.getMessage());
            assertTrue(e.getMessage().contains(tail), e.getMessage());
            assertTrue(e.getMessage().contains("'columns'"), "names the config key: " + e.getMessage());
            assertTrue(!Files.exists(dir.resolve("out")), "nothing written before the schema check");
            return;
        }
        if (c.get("expected_records").isEmpty() && c.get("cells_str").isEmpty()) {
            // header only: the reference's two_phase_split raises on an empty frame, and so does prepare.
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> PrepareStage.run(spark, s, null));
            assertTrue(e.getMessage().contains("Cannot split an empty DataFrame."), e.getMessage());
            return;
        }

        PrepareResult r = PrepareStage.run(spark, s, null);
        int rows = c.get("cells_str").size();
        assertEquals(rows, r.inputRows());
        assertEquals(r.inputRows(), r.keptRows() + r.quarantinedRows(), "every input row accounted for");

        List<Expect> actual = actualByInputRow(r, rows);
        List<Expect> reference = referenceExpect(c, actual);
        Deviation dev = DEVIATIONS.get(id);
        if (dev == null) {
            assertEquals(reference, keptOnly(actual), id + ": kept records equal the reference's, in input order");
        } else {
            assertEquals(dev.rows(), actual, id + ": as-written result (" + dev.why() + ")");
            if (dev.reasonsOnly()) {
                assertEquals(reference, keptOnly(actual), id + ": kept records equal the reference's");
                assertTrue(actual.stream().anyMatch(e -> e.reason() != null && !e.reason().equals("nan_cot")),
                        id + " is listed as a reason deviation but every drop is nan_cot, as in pandas");
            } else {
                assertNotEquals(reference, keptOnly(dev.rows()), id + " is listed as a deviation but matches the reference");
            }
        }
    }

    /** The reference's kept records as (user, assistant, type). */
    private static List<Expect> referenceExpect(JsonNode c, List<Expect> unused) {
        List<Expect> out = new ArrayList<>();
        JsonNode recs = c.get("expected_records");
        JsonNode types = c.get("expected_types");
        for (int i = 0; i < recs.size(); i++) {
            JsonNode m = recs.get(i).get("messages");
            out.add(new Expect(m.get(0).get("content").asText(), m.get(1).get("content").asText(),
                    types.get(i).asText(), null));
        }
        return out;
    }

    private static List<Expect> keptOnly(List<Expect> rows) {
        return rows.stream().filter(e -> e.reason() == null).toList();
    }

    /** Prepared phase-1 rows and quarantine rows, merged back into input row order. */
    private static List<Expect> actualByInputRow(PrepareResult r, int rows) {
        Expect[] out = new Expect[rows];
        for (Row row : spark.read().parquet(r.phase1Dir()).collectAsList()) {
            int src = (int) row.getLong(row.fieldIndex(Columns.SOURCE_ROW));
            out[src] = new Expect(row.getString(row.fieldIndex(Columns.PROMPT)),
                    row.getString(row.fieldIndex(Columns.COMPLETION)), row.getString(row.fieldIndex(Columns.TYPE)), null);
        }
        for (Row row : spark.read().parquet(r.quarantineDir()).collectAsList()) {
            int src = (int) row.getLong(row.fieldIndex(Columns.SOURCE_ROW));
            out[src] = Expect.dropped(row.getString(row.fieldIndex(Columns.QUARANTINE_REASON)));
        }
        List<Expect> list = new ArrayList<>();
        for (int i = 0; i < rows; i++) {
            assertTrue(out[i] != null, "input row " + i + " is neither in phase 1 nor in the quarantine");
            list.add(out[i]);
        }
        return list;
    }

    /** Every type cell as written (header's type column), so each golden CSV has hard rows. */
    private static List<String> hardTypes(String csvText) {
        // The golden CSVs have no quoted type cells; a simple split finds the type column's values.
        String[] lines = csvText.split("\n");
        List<String> header = List.of(lines[0].split(",", -1));
        int t = header.indexOf("type");
        LinkedHashSet<String> out = new LinkedHashSet<>();
        if (t < 0) {
            return List.of();
        }
        for (int i = 1; i < lines.length; i++) {
            String[] cells = lines[i].split(",", -1);
            if (cells.length == header.size() && !cells[t].isEmpty()) {
                out.add(cells[t]);
            }
        }
        return new ArrayList<>(out);
    }
}
