package io.tracedistill.order;

import com.fasterxml.jackson.databind.JsonNode;
import io.tracedistill.contract.GoldenResources;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link StratifiedOrder} against {@code golden/stratified_order.json}: 337 cases of the reference's
 * {@code build_stratified_index_order} (seeds up to 2**64+1, negative seeds, negative batch sizes,
 * supplementary-plane labels) plus 2 {@code ZeroDivisionError} cases. Orders must match exactly.
 */
class StratifiedOrderGoldenTest {

    static final String FILE = "stratified_order.json";

    static JsonNode golden() {
        return GoldenResources.load(FILE);
    }

    static Stream<Arguments> cases() {
        return GoldenResources.cases(FILE, "cases").stream().map(c -> Arguments.of(c.get("id").asText(), c));
    }

    static Stream<Arguments> errorCases() {
        List<Arguments> out = new ArrayList<>();
        int i = 0;
        for (JsonNode c : golden().get("error_cases")) {
            out.add(Arguments.of("error_" + (i++) + "_labels" + c.get("labels").size()
                    + "_bs" + c.get("batch_size").asInt(), c));
        }
        return out.stream();
    }

    @Test
    void caseCountMatchesMeta() {
        JsonNode g = golden();
        assertEquals(g.get("meta").get("case_count").asInt(), g.get("cases").size());
        assertEquals(337, g.get("cases").size());
        assertEquals(2, g.get("error_cases").size());
    }

    static List<String> labels(JsonNode c) {
        List<String> labels = new ArrayList<>();
        for (JsonNode l : c.get("labels")) {
            labels.add(l.asText());
        }
        return labels;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void matchesReference(String id, JsonNode c) {
        BigInteger seed = new BigInteger(c.get("seed").asText());
        int[] expected = new int[c.get("expected_order").size()];
        for (int i = 0; i < expected.length; i++) {
            expected[i] = c.get("expected_order").get(i).asInt();
        }
        int[] actual = StratifiedOrder.indexOrder(labels(c), c.get("batch_size").asInt(), seed);
        assertArrayEquals(expected, actual);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("errorCases")
    void zeroBatchSize(String id, JsonNode c) {
        assertEquals("ZeroDivisionError", c.get("error_type").asText());
        ArithmeticException e = assertThrows(ArithmeticException.class, () -> StratifiedOrder.indexOrder(
                labels(c), c.get("batch_size").asInt(), new BigInteger(c.get("seed").asText())));
        assertTrue(e.getMessage().startsWith(c.get("message").asText()), e.getMessage());
    }
}
