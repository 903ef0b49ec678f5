package io.tracedistill.tokens;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import io.tracedistill.chat.ChatTemplate;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link HfTokenizer} on the real Qwen3 {@code tokenizer.json} against {@code fixtures/tokenizers/qwen3/expected.json}
 * (ids from transformers.js-compatible code and from HF {@code AutoTokenizer}): 8 plain strings and the 5 chat
 * renders stored in the file, one case each. Also checks the DJL native library loads offline.
 */
class HfTokenizerGoldenTest {

    private static final JsonNode EXPECTED = GoldenFiles.json("fixtures/tokenizers/qwen3/expected.json");
    private static HfTokenizer qwen3;

    @BeforeAll
    static void load() {
        qwen3 = HfTokenizer.load(GoldenFiles.path("fixtures/tokenizers/qwen3"));
    }

    @AfterAll
    static void close() {
        qwen3.close();
    }

    static Stream<Arguments> encodings() {
        List<Arguments> out = new ArrayList<>();
        JsonNode list = EXPECTED.get("encodings");
        for (int i = 0; i < list.size(); i++) {
            out.add(Arguments.of("encoding_" + i + "_" + abbreviate(list.get(i).get("text").asText()), list.get(i)));
        }
        return out.stream();
    }

    static Stream<Arguments> chats() {
        List<Arguments> out = new ArrayList<>();
        JsonNode list = EXPECTED.get("chat");
        for (int i = 0; i < list.size(); i++) {
            out.add(Arguments.of("chat_" + i, list.get(i)));
        }
        return out.stream();
    }

    @Test
    void fixtureHasEightStringsAndFiveChats() {
        assertEquals(8, EXPECTED.get("encodings").size());
        assertEquals(5, EXPECTED.get("chat").size());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("encodings")
    void encodesLikeReference(String name, JsonNode c) {
        String text = c.get("text").asText();
        Encoding enc = qwen3.encode(text);
        assertArrayEquals(GoldenFiles.ints(c.get("ids")), enc.ids(), "ids of " + text);
        assertSpansWellFormed(text, enc);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("chats")
    void encodesRenderedChatLikeReference(String name, JsonNode c) {
        String rendered = c.get("rendered").asText();
        Encoding enc = qwen3.encode(rendered);
        assertArrayEquals(GoldenFiles.ints(c.get("ids")), enc.ids(), "ids of the rendered chat");
        assertSpansWellFormed(rendered, enc);
    }

    /** The same 5 chats rendered by our Jinja renderer from the Qwen3 tokenizer_config.json, then tokenized. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("chats")
    void rendersWithChatTemplateAndEncodesLikeReference(String name, JsonNode c) {
        ChatTemplate template = ChatTemplate.fromTokenizerConfig(GoldenFiles.path("fixtures/tokenizers/qwen3"));
        List<Map<String, Object>> messages = new ArrayList<>();
        for (JsonNode m : c.get("messages")) {
            Map<String, Object> msg = new LinkedHashMap<>();
            m.fields().forEachRemaining(e -> msg.put(e.getKey(), e.getValue().asText()));
            messages.add(msg);
        }
        Map<String, Object> extra = new LinkedHashMap<>();
        if (!c.get("enable_thinking").isNull()) {
            extra.put("enable_thinking", c.get("enable_thinking").asBoolean());
        }
        String rendered = template.render(messages, c.get("add_generation_prompt").asBoolean(), extra);
        assertEquals(c.get("rendered").asText(), rendered, "rendered chat");
        assertArrayEquals(GoldenFiles.ints(c.get("ids")), qwen3.encode(rendered).ids(), "ids of our render");
    }

    @Test
    void spansAreJavaStringIndicesEvenAfterAnAstralCharacter() {
        // "Hello, world!" -> Hello | , | " world" | !
        Encoding hello = qwen3.encode("Hello, world!");
        assertArrayEquals(new int[] {0, 5, 6, 12}, hello.offsets().orElseThrow().starts());
        assertArrayEquals(new int[] {5, 6, 12, 13}, hello.offsets().orElseThrow().ends());
        // An emoji is one code point (Rust/Python offsets) but two UTF-16 units (Java): the token after it must
        // start at the Java index, i.e. 3, not 2.
        String text = "a\uD83D\uDE00 b";
        Encoding enc = qwen3.encode(text);
        Encoding.Spans spans = enc.offsets().orElseThrow();
        int last = enc.size() - 1;
        assertEquals(text.length(), spans.ends()[last], "last token ends at the Java length");
        assertEquals(" b", text.substring(spans.starts()[last], spans.ends()[last]));
    }

    @Test
    void addsNoSpecialTokensAndMatchesLiteralSpecials() {
        // Qwen's post-processor adds nothing; the literal <|im_start|> is one added token with a real span.
        Encoding enc = qwen3.encode("<|im_start|>user");
        assertArrayEquals(new int[] {151644, 872}, enc.ids());
        assertEquals(0, enc.offsets().orElseThrow().starts()[0]);
        assertEquals(12, enc.offsets().orElseThrow().ends()[0]);
        assertEquals(0, qwen3.encode("").size());
    }

    @Test
    void tinyQwen2TokenizerIsBytesPlusChatMlSpecials() {
        try (HfTokenizer tiny = HfTokenizer.load(GoldenFiles.path("fixtures/tiny-qwen2/tokenizer.json"))) {
            // fixtures/README.md: the exact ids of this ChatML prompt.
            int[] expected = {257, 117, 115, 101, 114, 10, 72, 105, 258, 10, 257, 97, 115, 115, 105, 115, 116, 97,
                110, 116, 10};
            assertArrayEquals(expected,
                    tiny.encode("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n").ids());
            assertEquals("<|im_end|>", tiny.tokenText(258));
            assertTrue(tiny.fingerprint().startsWith("sha256:"));
        }
    }

    @Test
    void fingerprintIsTheSha256OfTokenizerJson() {
        assertEquals("sha256:aeb13307a71acd8fe81861d94ad54ab689df773318809eed3cbe794b4492dae4", qwen3.fingerprint());
    }

    /** Every span lies inside the text, is ordered, and non-special tokens cover non-empty text. */
    private static void assertSpansWellFormed(String text, Encoding enc) {
        Encoding.Spans spans = enc.offsets().orElseThrow();
        int previousStart = 0;
        for (int i = 0; i < enc.size(); i++) {
            int s = spans.starts()[i];
            int e = spans.ends()[i];
            assertTrue(0 <= s && s <= e && e <= text.length(), "span " + i + " [" + s + "," + e + ") inside text");
            assertTrue(s >= previousStart, "span starts are non-decreasing at token " + i);
            assertTrue(e > s, "token " + i + " has a non-empty span");
            previousStart = s;
        }
    }

    private static String abbreviate(String text) {
        String flat = text.replaceAll("[^A-Za-z0-9]+", "_");
        return flat.length() > 24 ? flat.substring(0, 24) : flat;
    }
}
