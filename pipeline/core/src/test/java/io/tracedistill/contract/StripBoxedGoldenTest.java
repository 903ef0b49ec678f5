package io.tracedistill.contract;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.Optional;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** {@link BoxedText#strip} against golden/strip_boxed.json (reference formatting.strip_boxed). */
class StripBoxedGoldenTest {

    static Stream<Arguments> cases() {
        return GoldenResources.cases("strip_boxed.json", "cases").stream()
                .map(c -> Arguments.of(c.get("id").asText(), c));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void stripBoxedMatchesReference(String id, JsonNode c) {
        assertEquals(c.get("output").asText(), BoxedText.strip(c.get("input").asText()), id);
    }

    @Test
    void lastBoxedTakesTheLastBalancedTopLevelBox() {
        assertEquals(Optional.of("\\frac{1}{2}"), BoxedText.lastBoxed("a \\boxed{1} b \\boxed{\\frac{1}{2}} c"));
        assertEquals(Optional.of("a \\boxed{b} c"), BoxedText.lastBoxed("\\boxed{a \\boxed{b} c}d"));
        assertEquals(Optional.of("b"), BoxedText.lastBoxed("\\boxed{a \\boxed{b} c"), "unclosed outer box is skipped");
        assertEquals(Optional.of(""), BoxedText.lastBoxed("\\boxed{}"));
        assertEquals(Optional.empty(), BoxedText.lastBoxed("\\boxed{42"));
        assertEquals(Optional.empty(), BoxedText.lastBoxed("\\boxed {42}"));
        assertEquals(2, BoxedText.countBoxed("\\boxed{1}\\boxed{\\boxed{2}}"));
    }
}
