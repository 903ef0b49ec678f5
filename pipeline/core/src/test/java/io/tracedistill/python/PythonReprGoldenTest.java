package io.tracedistill.python;

import com.fasterxml.jackson.databind.JsonNode;
import io.tracedistill.contract.GoldenResources;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** {@link PyText#repr} / {@link PyText#reprSortedList} against golden/python_repr.json. */
class PythonReprGoldenTest {

    static Stream<Arguments> cases() {
        List<JsonNode> all = GoldenResources.cases("python_repr.json", "cases");
        List<Arguments> out = new ArrayList<>();
        for (int i = 0; i < all.size(); i++) {
            JsonNode c = all.get(i);
            String label = c.has("input") ? PyText.repr(c.get("input").asText()) : c.get("input_list").toString();
            out.add(Arguments.of(String.format("%02d %s", i, label), c));
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void reprMatchesPython(String id, JsonNode c) {
        if (c.has("input")) {
            assertEquals(c.get("repr").asText(), PyText.repr(c.get("input").asText()), id);
            return;
        }
        List<Object> items = new ArrayList<>();
        boolean allStrings = true;
        for (JsonNode n : c.get("input_list")) {
            if (n.isNull()) {
                items.add(null);
                allStrings = false;
            } else if (n.isIntegralNumber()) {
                items.add(new BigInteger(n.asText()));
                allStrings = false;
            } else {
                items.add(n.asText());
            }
        }
        String actual;
        if (allStrings) {
            List<String> strings = new ArrayList<>();
            items.forEach(o -> strings.add((String) o));
            actual = PyText.reprSortedList(strings);
        } else {
            // sorted() of ints / a single None: numeric order, as in Python
            items.sort((a, b) -> a == null || b == null ? 0 : ((BigInteger) a).compareTo((BigInteger) b));
            actual = PyText.reprList(items);
        }
        assertEquals(c.get("repr_sorted_list").asText(), actual, id);
    }

    @Test
    void reprObjectCoversScalarsAndMaps() {
        assertEquals("None", PyObjects.repr(null));
        assertEquals("True", PyObjects.repr(true));
        assertEquals("1e-05", PyObjects.repr(1e-5));
        java.util.Map<String, Object> m = new java.util.LinkedHashMap<>();
        m.put("a", 1);
        m.put("b", java.util.Arrays.asList(null, "x"));
        assertEquals("{'a': 1, 'b': [None, 'x']}", PyObjects.repr(m));
    }
}
