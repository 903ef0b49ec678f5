package io.tracedistill.grade;

import com.fasterxml.jackson.databind.JsonNode;
import io.tracedistill.contract.GoldenResources;
import io.tracedistill.python.PyText;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalDouble;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link Gsm8kGrader} against golden/grader.json (reference examples/gsm8k_trace_distillation.py). */
class GraderGoldenTest {

    static Stream<Arguments> cases() {
        return GoldenResources.cases("grader.json", "cases").stream()
                .map(c -> Arguments.of(c.get("id").asText(), c));
    }

    static Stream<Arguments> numParseCases() {
        List<JsonNode> all = GoldenResources.cases("grader.json", "num_parse_cases");
        List<Arguments> out = new ArrayList<>();
        for (int i = 0; i < all.size(); i++) {
            out.add(Arguments.of(String.format("num_%02d %s", i, PyText.repr(all.get(i).get("input").asText())), all.get(i)));
        }
        return out.stream();
    }

    private static String repr(OptionalDouble v) {
        return v.isPresent() ? PyText.floatRepr(v.getAsDouble()) : null;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void gsm8kScorerMatchesReference(String id, JsonNode c) {
        String output = c.get("model_output").asText();
        String gold = c.get("gold").asText();
        List<String> expectedBoxes = new ArrayList<>();
        c.get("boxes").forEach(b -> expectedBoxes.add(b.asText()));
        assertEquals(expectedBoxes, Gsm8kGrader.boxes(output), id + " boxes");

        Grade g = new Gsm8kGrader().grade(output, gold);
        assertEquals(c.get("parsed").asBoolean(), g.parsed(), id + " parsed");
        assertEquals(GoldenResources.textOrNull(c.get("extracted")), g.extractedAnswer().orElse(null), id + " extracted");
        if (g.parsed()) {
            assertEquals(GoldenResources.textOrNull(c.get("pred_value")), repr(Gsm8kGrader.parseNumber(g.extracted())), id + " pred");
        }
        assertEquals(GoldenResources.textOrNull(c.get("gold_value")), repr(Gsm8kGrader.parseNumber(gold)), id + " gold");
        assertEquals(c.get("correct").asBoolean(), g.correct(), id + " correct");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("numParseCases")
    void numMatchesReference(String id, JsonNode c) {
        assertEquals(GoldenResources.textOrNull(c.get("value")), repr(Gsm8kGrader.parseNumber(c.get("input").asText())), id);
    }

    @Test
    void unicodeDecimalDigitTableCoversPythonsFirstDigits() {
        JsonNode nd = GoldenResources.load("grader.json").get("python_re_digit_Nd");
        for (JsonNode cp : nd.get("first_20")) {
            assertEquals(OptionalDouble.of(Character.digit(cp.asInt(), 10)),
                    Gsm8kGrader.parseNumber(new String(Character.toChars(cp.asInt()))), "U+" + Integer.toHexString(cp.asInt()));
        }
        int javaNd = 0;
        for (int cp = 0; cp <= Character.MAX_CODE_POINT; cp++) {
            if (Character.getType(cp) == Character.DECIMAL_DIGIT_NUMBER) {
                javaNd++;
            }
        }
        System.out.println("Nd digits: Java " + javaNd + ", Python 3.11 " + nd.get("count").asInt());
        assertTrue(javaNd <= nd.get("count").asInt() && javaNd >= nd.get("count").asInt() - 20,
                "Java's Nd table should be Python's minus the Unicode 14 additions, was " + javaNd);
    }

    @Test
    void forNameRejectsUnknownScorer() {
        assertEquals("gsm8k", Grader.forName("gsm8k").name());
        assertEquals("competition", Grader.forName("competition").name());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Grader.forName("kaggle"));
        assertEquals("Unknown scorer 'kaggle'; expected one of competition, gsm8k", e.getMessage());
    }

    @Test
    void gradeRecordInvariants() {
        assertThrows(IllegalArgumentException.class, () -> new Grade(false, "", true));
        assertFalse(new Grade(false, "", false).extractedAnswer().isPresent());
    }
}
