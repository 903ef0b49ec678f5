package io.tracedistill.chat;

import com.fasterxml.jackson.databind.JsonNode;
import io.tracedistill.chat.jinja.RenderResult;
import io.tracedistill.chat.jinja.TemplateException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The 12 real Hugging Face chat templates of {@code golden/chat_templates} (256 cases), rendered byte-identically to
 * Python jinja2 under transformers' settings; errors with the same Python type and message; the
 * {@code {% generation %}} spans; and, for the prompt/completion pairs, the prompt render and the fail-closed boundary
 * ({@code prefix_ok}, {@code completion}) through {@link PromptCompletionRenderer}.
 */
class ChatTemplateGoldenTest {

    private static final Map<String, ChatTemplate> TEMPLATES = new HashMap<>();

    static Stream<Arguments> cases() {
        JsonNode index = ChatGolden.json("golden/chat_templates/index.json");
        List<Arguments> out = new ArrayList<>();
        int total = 0;
        for (JsonNode t : index.get("templates")) {
            JsonNode file = ChatGolden.json("golden/chat_templates/" + t.get("file").asText());
            String id = file.get("id").asText();
            for (JsonNode c : file.get("cases")) {
                out.add(Arguments.of(id + "/" + c.get("id").asText(), file, c));
                total++;
            }
        }
        assertEquals(index.get("meta").get("case_count").asInt(), total, "case count of index.json");
        return out.stream();
    }

    private static ChatTemplate template(JsonNode file) {
        return TEMPLATES.computeIfAbsent(file.get("id").asText(), id -> ChatTemplate
                .fromString(file.get("chat_template").asText(), id + ".jinja", ChatGolden.map(file.get("special_tokens")))
                .withClock(() -> ChatGolden.FROZEN_NOW));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void rendersLikeTransformers(String name, JsonNode file, JsonNode c) {
        ChatTemplate tpl = template(file);
        List<Map<String, Object>> messages = ChatGolden.messages(c.get("messages"));
        Map<String, Object> extra = ChatGolden.map(c.get("extra_kwargs"));
        boolean agp = c.get("add_generation_prompt").asBoolean();

        if (c.has("error")) {
            TemplateException e = assertThrows(TemplateException.class, () -> tpl.render(messages, agp, extra));
            assertEquals(c.get("error").get("type").asText(), e.errorType(), "error type; " + e.getMessage());
            assertEquals(c.get("error").get("message").asText(), e.detail(), "error message");
            assertTrue(e.getMessage().contains(file.get("id").asText() + ".jinja"), "error names the template");
            return;
        }
        RenderResult r = tpl.renderWithSpans(messages, agp, extra);
        assertEquals(c.get("expected").asText(), r.text());
        if (c.has("generation_spans")) {
            List<int[]> expectedSpans = new ArrayList<>();
            c.get("generation_spans").forEach(s -> expectedSpans.add(new int[] {s.get(0).asInt(), s.get(1).asInt()}));
            assertEquals(expectedSpans.size(), r.generationSpans().size(), "number of generation spans");
            for (int k = 0; k < expectedSpans.size(); k++) {
                assertArrayEquals(expectedSpans.get(k), r.generationSpans().get(k), "generation span " + k);
            }
        }
        if (c.has("prefix_ok")) {
            checkBoundary(tpl, c, messages, extra, r.text());
        }
    }

    /** The pc_* boundary check: prompt render, prefix_ok, completion, through PromptCompletionRenderer. */
    private static void checkBoundary(ChatTemplate tpl, JsonNode c, List<Map<String, Object>> messages,
            Map<String, Object> extra, String full) {
        List<Map<String, Object>> head = messages.subList(0, messages.size() - 1);
        if (c.has("prompt_error")) {
            assertThrows(TemplateException.class, () -> tpl.render(head, true, extra));
            return;
        }
        String prompt = tpl.render(head, true, extra);
        assertEquals(c.get("prompt").asText(), prompt, "prompt render");
        boolean prefixOk = c.get("prefix_ok").asBoolean();
        // The renderer under test passes enable_thinking itself; feed it the case's own kwargs instead.
        ChatRenderer caseKwargs = (msgs, agp, ignored) -> tpl.render(msgs, agp, extra);
        PromptCompletionRenderer pcr = new PromptCompletionRenderer(caseKwargs);
        if (prefixOk) {
            PromptCompletion pc = pcr.render(messages, true);
            assertEquals(c.get("completion").asText(), pc.completion(), "completion");
            assertEquals(full, pc.prompt() + pc.completion());
            if (c.has("assistant_content_in_completion")) {
                Object content = messages.get(messages.size() - 1).get("content");
                assertEquals(c.get("assistant_content_in_completion").asBoolean(),
                        pc.completion().contains((String) content), "assistant content kept verbatim");
            }
        } else {
            PromptCompletionException e = assertThrows(PromptCompletionException.class, () -> pcr.render(messages, true));
            if (c.get("completion").isNull()) {
                assertEquals(PromptCompletionException.Reason.NOT_A_PREFIX, e.reason());
                assertFalse(full.startsWith(prompt));
            } else {
                assertEquals(PromptCompletionException.Reason.EMPTY_COMPLETION, e.reason());
                if (!c.get("completion").asText().isEmpty()) {
                    fail("golden says prefix_ok=false with a non-empty completion");
                }
            }
        }
    }
}
