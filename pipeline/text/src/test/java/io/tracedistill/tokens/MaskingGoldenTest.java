package io.tracedistill.tokens;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link CompletionMasker} against {@code golden/masking.json}: the reference's {@code tokenize_with_masked_prompt}
 * run with four toy tokenizers (greedy/char, with/without offsets), one test case per golden case.
 */
class MaskingGoldenTest {

    private static final JsonNode GOLDEN = GoldenFiles.json("golden/masking.json");

    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        GOLDEN.get("cases").forEach(c -> out.add(Arguments.of(c.get("id").asText(), c)));
        return out.stream();
    }

    @Test
    void goldenFileHasEveryCase() {
        assertEquals(GOLDEN.get("meta").get("case_count").asInt(), GOLDEN.get("cases").size());
        assertEquals(175, GOLDEN.get("cases").size());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void matchesReference(String id, JsonNode c) {
        TextTokenizer tokenizer = ToyGreedyTokenizer.fromMeta(
                GOLDEN.get("meta").get("tokenizers").get(c.get("tokenizer").asText()));
        String prompt = c.get("prompt").asText();
        String completion = c.get("completion").asText();
        int maxLength = c.get("max_length").asInt();

        if (c.has("error")) {
            assertEquals("ValueError", c.get("error").get("type").asText());
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> CompletionMasker.mask(tokenizer, prompt, completion, maxLength));
            assertEquals(c.get("error").get("message").asText(), e.getMessage());
            return;
        }
        Optional<MaskedExample> actual = CompletionMasker.mask(tokenizer, prompt, completion, maxLength);
        JsonNode expected = c.get("expected");
        if (expected.isNull()) {
            assertTrue(actual.isEmpty(), () -> "expected no example (truncated completion), got " + actual.get());
            return;
        }
        assertTrue(actual.isPresent(), "expected an example, got none");
        assertArrayEquals(GoldenFiles.ints(expected.get("input_ids")), actual.get().inputIds(), "input_ids");
        assertArrayEquals(GoldenFiles.ints(expected.get("attention_mask")), actual.get().attentionMask(),
                "attention_mask");
        assertArrayEquals(GoldenFiles.ints(expected.get("labels")), actual.get().labels(), "labels");
    }
}
