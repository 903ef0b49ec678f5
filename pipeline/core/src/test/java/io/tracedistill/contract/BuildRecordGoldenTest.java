package io.tracedistill.contract;

import com.fasterxml.jackson.databind.JsonNode;
import io.tracedistill.python.PyValue;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link FormatContract#build} against golden/build_record.json (reference formatting.build_record). */
class BuildRecordGoldenTest {

    static Stream<Arguments> cases() {
        return GoldenResources.cases("build_record.json", "cases").stream()
                .map(c -> Arguments.of(c.get("id").asText(), c));
    }

    @Test
    void defaultSuffixMatchesGoldenMeta() {
        assertEquals(GoldenResources.load("build_record.json").path("meta").path("default_prompt_suffix").asText(),
                FormatContract.DEFAULT_PROMPT_SUFFIX);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void buildRecordMatchesReference(String id, JsonNode c) {
        PyValue prompt = PyValue.fromGolden(c.get("prompt"));
        PyValue cot = PyValue.fromGolden(c.get("cot"));
        PyValue answer = PyValue.fromGolden(c.get("answer"));
        // the typed value's str must agree with our Python str() before anything else
        assertEquals(c.get("prompt").get("str").asText(), prompt.pyStr(), id + " str(prompt)");
        assertEquals(c.get("cot").get("str").asText(), cot.pyStr(), id + " str(cot)");
        assertEquals(c.get("answer").get("str").asText(), answer.pyStr(), id + " str(answer)");
        String suffix = c.get("prompt_suffix").isNull() ? FormatContract.DEFAULT_PROMPT_SUFFIX : c.get("prompt_suffix").asText();
        int minLen = c.get("min_cot_len").isNull() ? FormatContract.DEFAULT_MIN_COT_LEN : c.get("min_cot_len").asInt();

        RecordOutcome outcome = FormatContract.build(prompt, cot, answer, suffix, minLen);

        JsonNode expected = c.get("expected");
        if (expected.isNull()) {
            assertFalse(outcome.isKept(), id + ": expected the row to be dropped, got " + outcome);
            return;
        }
        assertTrue(outcome.isKept(), id + ": expected a record, got " + outcome);
        JsonNode messages = expected.get("messages");
        assertEquals("user", messages.get(0).get("role").asText());
        assertEquals("assistant", messages.get(1).get("role").asText());
        assertEquals(messages.get(0).get("content").asText(), outcome.chatRecord().user(), id + " user");
        assertEquals(messages.get(1).get("content").asText(), outcome.chatRecord().assistant(), id + " assistant");
        // The held-out accuracy during training grades against the answer read back from the assistant turn.
        assertEquals(java.util.Optional.of(answer.pyStr()), FormatContract.answerOf(outcome.chatRecord().assistant()),
                id + " answerOf(assistant)");
    }

    private static RecordOutcome cot(PyValue cot, int minLen) {
        return FormatContract.build(PyValue.str("Q"), cot, PyValue.Int.of(1), FormatContract.DEFAULT_PROMPT_SUFFIX, minLen);
    }

    @Test
    void dropReasonsAreNamed() {
        assertEquals(DropReason.MISSING_COT, cot(PyValue.none(), 0).dropReason().orElseThrow());
        assertEquals(DropReason.NAN_COT, cot(new PyValue.Float(Double.NaN), 0).dropReason().orElseThrow());
        assertEquals(DropReason.NAN_COT, cot(PyValue.str("nan"), 0).dropReason().orElseThrow());
        assertEquals(DropReason.EMPTY_COT, cot(PyValue.str(""), 0).dropReason().orElseThrow());
        assertEquals(DropReason.SHORT_COT, cot(PyValue.str(" abcd\u00a0"), 5).dropReason().orElseThrow());
        assertEquals(DropReason.SHORT_AFTER_STRIP_BOXED, cot(PyValue.str("ab \\boxed{12345}"), 5).dropReason().orElseThrow());
        assertEquals("short_cot", DropReason.SHORT_COT.code());
        assertEquals(DropReason.NAN_COT, DropReason.fromCode("nan_cot"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DropReason.fromCode("bogus"));
        assertTrue(e.getMessage().contains("'bogus'") && e.getMessage().contains("missing_cot"), e.getMessage());
    }

    @Test
    void handCheckedRecord() {
        RecordOutcome o = FormatContract.build(PyValue.str("What is 2+2?"), PyValue.str("We add two and two. \\boxed{5}"),
                new PyValue.Float(4.0));
        assertEquals("What is 2+2?" + FormatContract.DEFAULT_PROMPT_SUFFIX, o.chatRecord().user());
        assertEquals("We add two and two.\n</think>\n\\boxed{4.0}", o.chatRecord().assistant());
        // a supplementary character counts once: 4 code points < 5 even though 8 UTF-16 units
        assertFalse(cot(PyValue.str("\ud83d\ude00\ud83d\ude00\ud83d\ude00\ud83d\ude00"), 5).isKept());
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> cot(PyValue.none(), 5).chatRecord());
        assertTrue(e.getMessage().contains("missing_cot"), e.getMessage());
    }
}
