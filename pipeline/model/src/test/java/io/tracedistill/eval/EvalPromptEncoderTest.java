package io.tracedistill.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tracedistill.chat.ChatRenderer;
import io.tracedistill.chat.jinja.TemplateException;
import io.tracedistill.model.Fixtures;
import io.tracedistill.tokens.HfTokenizer;
import org.junit.jupiter.api.Test;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Prompt rendering as training renders the prompt half, the retry without enable_thinking, and per-row errors. */
class EvalPromptEncoderTest {
    static final HfTokenizer TOKENIZER = HfTokenizer.load(Fixtures.dir("tiny-qwen2"));
    static final ContextLimit LIMIT = new ContextLimit(4096, 128, 8);

    @Test
    void rendersTheUserTurnWithTheGenerationPrompt() {
        EvalPromptEncoder enc = EvalPromptEncoder.load(Fixtures.dir("tiny-qwen2"), true, Optional.empty());
        assertEquals("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n", enc.render("Hi"));
        // fixtures/README.md: this exact text tokenizes to these ids.
        assertArrayEquals(new int[] {257, 117, 115, 101, 114, 10, 72, 105, 258, 10, 257, 97, 115, 115, 105, 115, 116,
            97, 110, 116, 10}, enc.encode("Hi"));
    }

    @Test
    void passesEnableThinkingAndRetriesWithoutItWhenRejected() {
        List<Map<String, Object>> seen = new ArrayList<>();
        ChatRenderer strict = (messages, addGen, extra) -> {
            seen.add(extra);
            assertTrue(addGen, "add_generation_prompt=True");
            if (extra.containsKey("enable_thinking")) {
                throw new ChatRenderer.UnsupportedArgumentException("enable_thinking");
            }
            return "U:" + messages.get(0).get("content") + "|A:";
        };
        EvalPromptEncoder enc = new EvalPromptEncoder(strict, TOKENIZER, false);
        assertEquals("U:q|A:", enc.render("q"));
        assertEquals(List.of(Map.of("enable_thinking", false), Map.of()), seen);
    }

    @Test
    void templateErrorIsAPerRowOutcome() {
        ChatRenderer failing = (messages, addGen, extra) -> {
            if (String.valueOf(messages.get(0).get("content")).contains("BAD")) {
                throw new TemplateException("TemplateError", "no bad words", "stub.jinja", 3);
            }
            return "ok";
        };
        EvalPromptEncoder enc = new EvalPromptEncoder(failing, TOKENIZER, true);
        EncodedPrompt bad = enc.encode(new EvalExample(4, "t", "1", "a BAD prompt"), LIMIT);
        assertEquals(Optional.of(SkipReason.TEMPLATE_ERROR), bad.skip());
        assertEquals(0, bad.promptTokens());
        assertTrue(bad.detail().contains("no bad words"), bad.detail());
        EncodedPrompt good = enc.encode(new EvalExample(5, "t", "1", "fine"), LIMIT);
        assertTrue(good.decodable());
        assertArrayEquals(new int[] {111, 107}, good.ids());
    }

    @Test
    void tooLongPromptNamesTheRule() {
        ChatRenderer echo = (messages, addGen, extra) -> String.valueOf(messages.get(0).get("content"));
        EvalPromptEncoder enc = new EvalPromptEncoder(echo, TOKENIZER, true);
        EncodedPrompt p = enc.encode(new EvalExample(0, "t", "1", "z".repeat(121)), LIMIT);
        assertEquals(Optional.of(SkipReason.PROMPT_TOO_LONG), p.skip());
        assertEquals(121, p.promptTokens());
        assertEquals("121 prompt tokens; needs prompt_tokens + max_new_tokens (8) <= min(max_length 4096, "
                + "max_position_embeddings 128) = 128", p.detail());
        assertTrue(enc.encode(new EvalExample(0, "t", "1", "z".repeat(120)), LIMIT).decodable());
    }
}
