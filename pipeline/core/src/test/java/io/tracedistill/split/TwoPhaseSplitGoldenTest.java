package io.tracedistill.split;

import com.fasterxml.jackson.databind.JsonNode;
import io.tracedistill.contract.GoldenResources;
import io.tracedistill.python.PyValue;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link TwoPhaseSplit} against {@code golden/two_phase_split.json}: 61 cases of the reference's
 * {@code two_phase_split} (the upstream fixture, 44 fuzz frames, null types, custom type key,
 * code-point-sorted easy types, seeds at the numpy limits, and 10 error cases). Each case checks
 * both phases' ids and every debug value (shuffled ids, quota, per-easy-type samples) exactly.
 */
class TwoPhaseSplitGoldenTest {

    static final String FILE = "two_phase_split.json";

    static JsonNode golden() {
        return GoldenResources.load(FILE);
    }

    static Stream<Arguments> cases() {
        return GoldenResources.cases(FILE, "cases").stream().map(c -> Arguments.of(c.get("id").asText(), c));
    }

    @Test
    void caseCountMatchesMeta() {
        JsonNode g = golden();
        assertEquals(g.get("meta").get("case_count").asInt(), g.get("cases").size());
        assertEquals(61, g.get("cases").size());
    }

    private static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        for (JsonNode s : array) {
            out.add(s.asText());
        }
        return out;
    }

    private static int[] ints(JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asInt();
        }
        return out;
    }

    /** The id column's value at each given row (or shuffled position mapped through shuffledRows). */
    private static int[] idsOf(int[] rows, int[] ids) {
        int[] out = new int[rows.length];
        for (int i = 0; i < rows.length; i++) {
            out[i] = ids[rows[i]];
        }
        return out;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void matchesReference(String id, JsonNode c) {
        String typeKey = c.get("type_key").asText();
        List<String> columns = strings(c.get("columns"));
        JsonNode rows = c.get("rows");
        int[] ids = new int[rows.size()];
        List<PyValue> typeCells = new ArrayList<>();
        for (int i = 0; i < rows.size(); i++) {
            JsonNode row = rows.get(i);
            ids[i] = Integer.parseInt(row.get("id").get("v").asText());
            JsonNode cell = row.get(typeKey);
            typeCells.add(cell == null ? PyValue.none() : PyValue.fromGolden(cell));
        }
        List<String> hardTypes = strings(c.get("hard_types"));
        long seed = c.get("seed").asLong();
        boolean shuffle = c.get("shuffle").asBoolean();

        if (c.has("error")) {
            assertEquals("ValueError", c.get("error").get("type").asText());
            String expected = c.get("error").get("message").asText();
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> TwoPhaseSplit.split(columns, typeKey, typeCells, hardTypes, seed, shuffle));
            if (expected.startsWith("Seed must be")) {
                // numpy's text, then the offending seed (NumpyRandomState adds it).
                assertTrue(e.getMessage().startsWith(expected + " (got " + seed), e.getMessage());
            } else {
                assertEquals(expected, e.getMessage());
            }
            return;
        }
        assertTrue(c.has("expected_phase1_ids"), "non-error case without expectations");

        TwoPhaseSplit.SplitResult r = TwoPhaseSplit.split(columns, typeKey, typeCells, hardTypes, seed, shuffle);
        assertArrayEquals(ints(c.get("expected_phase1_ids")), idsOf(r.phase1Rows(), ids), "phase 1 ids");
        assertArrayEquals(ints(c.get("expected_phase2_ids")), idsOf(r.phase2Rows(), ids), "phase 2 ids");

        JsonNode debug = c.get("debug");
        assertArrayEquals(ints(debug.get("shuffled_ids")), idsOf(r.shuffledRows(), ids), "debug.shuffled_ids");
        assertEquals(debug.get("quota_n").asInt(), r.quota(), "debug.quota_n");
        JsonNode groups = debug.get("easy_group_samples");
        assertEquals(groups.size(), r.easyGroupSamples().size(), "number of easy groups");
        for (int g = 0; g < groups.size(); g++) {
            JsonNode eg = groups.get(g);
            TwoPhaseSplit.EasyGroupSample actual = r.easyGroupSamples().get(g);
            String where = "easy group #" + g + " (" + eg.get("type").asText() + ")";
            assertEquals(eg.get("type").asText(), actual.type(), where + " type");
            assertArrayEquals(ints(eg.get("population_positions")), actual.populationPositions(), where + " population");
            assertEquals(eg.get("k").asInt(), actual.k(), where + " k");
            assertArrayEquals(ints(eg.get("sampled_positions")), actual.sampledPositions(), where + " sampled");
        }
    }
}
