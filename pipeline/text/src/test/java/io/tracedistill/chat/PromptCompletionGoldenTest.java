package io.tracedistill.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code golden/render_prompt_completion.json} (27 cases): the reference's {@code render_prompt_completion} over the
 * three stub templates of its {@code meta.chat_templates}. {@code concat} and {@code think} are written as Jinja
 * templates (so the whole renderer is exercised); {@code no_enable_thinking_kw} is a renderer that rejects the
 * {@code enable_thinking} argument like a Python {@code TypeError}, which the renderer must retry without.
 */
class PromptCompletionGoldenTest {

    static final String CONCAT = "{% for m in messages %}<{{ m.role }}>{{ m.content }}{% endfor %}"
            + "{% if add_generation_prompt %}<assistant>{% endif %}";
    static final String THINK = "{% for m in messages %}<{{ m.role }}>{{ m.content }}{% endfor %}"
            + "{% if add_generation_prompt %}<assistant>{% if enable_thinking %}<think>\n{% endif %}{% endif %}";
    static final String BRACKETS = "{% for m in messages %}[{{ m.role }}]{{ m.content }}{% endfor %}"
            + "{% if add_generation_prompt %}[assistant]{% endif %}";

    static ChatRenderer stub(String name) {
        return switch (name) {
            case "concat" -> ChatTemplate.fromString(CONCAT, "concat", Map.of());
            case "think" -> ChatTemplate.fromString(THINK, "think", Map.of());
            case "no_enable_thinking_kw" -> {
                ChatTemplate t = ChatTemplate.fromString(BRACKETS, "no_enable_thinking_kw", Map.of());
                yield (messages, agp, extra) -> {
                    if (extra.containsKey("enable_thinking")) {
                        throw new ChatRenderer.UnsupportedArgumentException("enable_thinking");
                    }
                    return t.render(messages, agp, extra);
                };
            }
            default -> throw new IllegalArgumentException("unknown stub template " + name);
        };
    }

    static Stream<Arguments> cases() {
        JsonNode root = ChatGolden.json("golden/render_prompt_completion.json");
        List<Arguments> out = new ArrayList<>();
        for (JsonNode c : root.get("cases")) {
            out.add(Arguments.of(c.get("id").asText(), c));
        }
        assertEquals(root.get("meta").get("case_count").asInt(), out.size());
        assertEquals(3, root.get("meta").get("chat_templates").size(), "stub templates described in meta");
        return out.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void matchesReference(String id, JsonNode c) {
        PromptCompletionRenderer r = new PromptCompletionRenderer(stub(c.get("chat_template").asText()));
        List<Map<String, Object>> messages = ChatGolden.messages(c.get("messages"));
        boolean thinking = c.get("enable_thinking").asBoolean();
        if (c.has("error")) {
            PromptCompletionException e = assertThrows(PromptCompletionException.class, () -> r.render(messages, thinking));
            assertEquals(c.get("error").get("type").asText(), e.errorType());
            assertEquals(c.get("error").get("message").asText(), e.getMessage());
            return;
        }
        PromptCompletion pc = r.render(messages, thinking);
        assertEquals(c.get("expected").get("prompt").asText(), pc.prompt());
        assertEquals(c.get("expected").get("completion").asText(), pc.completion());
    }
}
