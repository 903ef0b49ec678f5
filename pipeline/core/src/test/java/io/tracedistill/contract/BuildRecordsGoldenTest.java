package io.tracedistill.contract;

import com.fasterxml.jackson.databind.JsonNode;
import io.tracedistill.python.PyValue;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link FormatContract#buildRecords} against golden/build_records.json (reference formatting.build_records). */
class BuildRecordsGoldenTest {

    static Stream<Arguments> cases() {
        return GoldenResources.cases("build_records.json", "cases").stream()
                .map(c -> Arguments.of(c.get("id").asText(), c));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void buildRecordsMatchesReference(String id, JsonNode c) {
        List<Map<String, PyValue>> rows = new ArrayList<>();
        for (JsonNode r : c.get("rows")) {
            Map<String, PyValue> row = new LinkedHashMap<>();
            r.fields().forEachRemaining(e -> row.put(e.getKey(), PyValue.fromGolden(e.getValue())));
            rows.add(row);
        }
        ColumnKeys keys = ColumnKeys.defaults();
        if (c.has("keys")) {
            JsonNode k = c.get("keys");
            keys = new ColumnKeys(k.get("prompt_key").asText(), k.get("cot_key").asText(),
                    k.get("answer_key").asText(), k.get("type_key").asText());
        }
        String suffix = c.get("prompt_suffix").isNull() ? FormatContract.DEFAULT_PROMPT_SUFFIX : c.get("prompt_suffix").asText();
        int minLen = c.get("min_cot_len").isNull() ? FormatContract.DEFAULT_MIN_COT_LEN : c.get("min_cot_len").asInt();

        FormatContract.BuildResult result = FormatContract.buildRecords(rows, keys, suffix, minLen);

        List<String> expectedTypes = new ArrayList<>();
        c.get("expected_types").forEach(t -> expectedTypes.add(t.asText()));
        assertEquals(expectedTypes, result.types(), id + " types");
        JsonNode expected = c.get("expected_records");
        assertEquals(expected.size(), result.records().size(), id + " record count");
        for (int i = 0; i < expected.size(); i++) {
            JsonNode m = expected.get(i).get("messages");
            assertEquals(m.get(0).get("content").asText(), result.records().get(i).user(), id + " record " + i + " user");
            assertEquals(m.get(1).get("content").asText(), result.records().get(i).assistant(), id + " record " + i + " assistant");
        }
    }

    @Test
    void missingColumnNamesRowAndKey() {
        Map<String, PyValue> row = Map.of("prompt", PyValue.str("p"), "generated_cot", PyValue.str("long enough"),
                "answer", PyValue.str("a"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> FormatContract.buildRecords(List.of(row)));
        assertEquals("Row 0 has no column 'type'; it has ['answer', 'generated_cot', 'prompt']. "
                + "Set the columns mapping in the config to the input's column names.", e.getMessage());
    }

    @Test
    void nullCellIsPythonNone() {
        Map<String, PyValue> row = new LinkedHashMap<>();
        row.put("prompt", PyValue.str("p"));
        row.put("generated_cot", PyValue.str("long enough"));
        row.put("answer", PyValue.Int.of(7));
        row.put("type", null);
        FormatContract.BuildResult r = FormatContract.buildRecords(List.of(row));
        assertEquals(List.of("None"), r.types());
        assertTrue(r.records().get(0).assistant().endsWith("\\boxed{7}"));
    }
}
