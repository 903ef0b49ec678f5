package io.tracedistill.python;

import com.fasterxml.jackson.databind.JsonNode;
import io.tracedistill.contract.GoldenResources;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.HashSet;
import java.util.Set;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link PyText#isSpace}/strip against golden/python_whitespace.json (Python str.isspace). */
class PythonWhitespaceGoldenTest {

    static Stream<Arguments> cases() {
        return GoldenResources.cases("python_whitespace.json", "cases").stream()
                .map(c -> Arguments.of(c.get("hex").asText() + " " + c.get("name").asText(), c));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void codePointIsPythonSpaceAndIsStripped(String id, JsonNode c) {
        int cp = c.get("code_point").asInt();
        assertTrue(PyText.isSpace(cp), id);
        String ws = new String(Character.toChars(cp));
        assertEquals("x", PyText.strip(ws + "x" + ws), id);
        assertEquals(ws + "x", PyText.rstrip(ws + "x" + ws), id);
        assertEquals("x" + ws, PyText.lstrip(ws + "x" + ws), id);
    }

    /** The complement: no other code point (all 0x110000 of them) is Python whitespace. */
    @Test
    void noOtherCodePointIsSpace() {
        Set<Integer> golden = new HashSet<>();
        GoldenResources.cases("python_whitespace.json", "cases").forEach(c -> golden.add(c.get("code_point").asInt()));
        int extra = 0;
        for (int cp = 0; cp <= Character.MAX_CODE_POINT; cp++) {
            if (PyText.isSpace(cp) != golden.contains(cp)) {
                extra++;
            }
        }
        assertEquals(0, extra, "code points where isSpace disagrees with the golden set");
    }

    @Test
    void lenCountsCodePointsAndLoneSurrogates() {
        assertEquals(1, PyText.len("\ud83d\ude00"));
        assertEquals(2, PyText.len("a\ud800"));
        assertEquals(0, PyText.len(""));
        assertFalse(PyText.isSpace(0x200B), "ZWSP is not whitespace in Python");
    }

    @Test
    void compareCodePointsDiffersFromUtf16Order() {
        String supplementary = "\ud83d\ude00"; // U+1F600
        String bmpHigh = "\uff21";             // U+FF21
        assertTrue(PyText.compareCodePoints(supplementary, bmpHigh) > 0);
        assertTrue(supplementary.compareTo(bmpHigh) < 0, "Java's UTF-16 order is the other way round");
        assertTrue(PyText.compareCodePoints("a", "ab") < 0);
        assertEquals(0, PyText.compareCodePoints("ab", "ab"));
    }
}
