package io.tracedistill.chat;

import com.fasterxml.jackson.databind.JsonNode;
import io.tracedistill.chat.jinja.TemplateException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * {@link ChatTemplate#fromTokenizerConfig}: the real Qwen3 {@code tokenizer_config.json} (fixture copied to
 * {@code fixtures/tokenizers/qwen3/}, shared from pipeline/testdata, with its 5 jinja2-rendered conversations), the file forms
 * transformers accepts, special tokens, and the error messages.
 */
class ChatTemplateLoadingTest {

    @TempDir
    Path tmp;

    static Path qwen3Dir() {
        try {
            return Path.of(ChatTemplateLoadingTest.class.getResource("/fixtures/tokenizers/qwen3/tokenizer_config.json")
                    .toURI()).getParent();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static Stream<Arguments> qwen3Conversations() {
        JsonNode chat = ChatGolden.json("fixtures/tokenizers/qwen3/expected.json").get("chat");
        List<Arguments> out = new ArrayList<>();
        for (int i = 0; i < chat.size(); i++) {
            out.add(Arguments.of("qwen3 fixture conversation " + i, chat.get(i)));
        }
        assertEquals(5, out.size());
        return out.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("qwen3Conversations")
    void qwen3TokenizerConfigRendersTheFixtureConversations(String name, JsonNode c) {
        Map<String, Object> extra = new LinkedHashMap<>();
        if (!c.get("enable_thinking").isNull()) {
            extra.put("enable_thinking", c.get("enable_thinking").asBoolean());
        }
        List<Map<String, Object>> messages = ChatGolden.messages(c.get("messages"));
        boolean agp = c.get("add_generation_prompt").asBoolean();
        String fromDir = ChatTemplate.fromTokenizerConfig(qwen3Dir()).render(messages, agp, extra);
        String fromFile = ChatTemplate.fromTokenizerConfig(qwen3Dir().resolve("tokenizer_config.json"))
                .render(messages, agp, extra);
        assertEquals(c.get("rendered").asText(), fromDir);
        assertEquals(c.get("rendered").asText(), fromFile);
    }

    @Test
    void qwen3SpecialTokensAreTheConfiguredStrings() {
        Map<String, Object> tokens = ChatTemplate.fromTokenizerConfig(qwen3Dir()).specialTokens();
        assertEquals("<|im_end|>", tokens.get("eos_token"));
        assertEquals("<|endoftext|>", tokens.get("pad_token"));
        assertTrue(!tokens.containsKey("bos_token"), "bos_token is null in the config, so it stays undefined");
        assertEquals(13, ((List<?>) tokens.get("additional_special_tokens")).size());
    }

    private Path write(String name, String text) throws IOException {
        Path p = tmp.resolve(name);
        Files.writeString(p, text);
        return p;
    }

    @Test
    void addedTokenDictsBecomeStrings() throws IOException {
        write("tokenizer_config.json", "{\"bos_token\": {\"content\": \"<s>\", \"lstrip\": false}, \"eos_token\": null,"
                + " \"chat_template\": \"{{ bos_token }}|{{ eos_token is defined }}|{{ tools is none }}{{ documents is none }}\"}");
        assertEquals("<s>|False|TrueTrue", ChatTemplate.fromTokenizerConfig(tmp).render(List.of(), false, Map.of()));
    }

    @Test
    void chatTemplateJinjaNextToTheConfigWins() throws IOException {
        write("tokenizer_config.json", "{\"eos_token\": \"E\", \"chat_template\": \"from config\"}");
        write("chat_template.jinja", "from jinja {{ eos_token }}\n");
        assertEquals("from jinja E", ChatTemplate.fromTokenizerConfig(tmp).render(List.of(), false, Map.of()));
        assertEquals("from jinja E", ChatTemplate.fromTokenizerConfig(tmp.resolve("tokenizer_config.json"))
                .render(List.of(), false, Map.of()));
        assertEquals("from jinja E", ChatTemplate.fromTokenizerConfig(tmp.resolve("chat_template.jinja"))
                .render(List.of(), false, Map.of()));
    }

    @Test
    void namedTemplateListUsesDefault() throws IOException {
        write("tokenizer_config.json", "{\"chat_template\": [{\"name\": \"tool_use\", \"template\": \"T\"},"
                + " {\"name\": \"default\", \"template\": \"D\"}]}");
        assertEquals("D", ChatTemplate.fromTokenizerConfig(tmp).render(List.of(), false, Map.of()));
    }

    @Test
    void namedTemplateListWithoutDefaultIsRefused() throws IOException {
        Path cfg = write("tokenizer_config.json", "{\"chat_template\": [{\"name\": \"tool_use\", \"template\": \"T\"}]}");
        TemplateException e = assertThrows(TemplateException.class, () -> ChatTemplate.fromTokenizerConfig(cfg));
        assertEquals(cfg + " defines named chat templates [tool_use] but none is called \"default\"", e.detail());
    }

    @Test
    void missingTemplateNamesTheFile() throws IOException {
        Path cfg = write("tokenizer_config.json", "{\"eos_token\": \"E\"}");
        TemplateException e = assertThrows(TemplateException.class, () -> ChatTemplate.fromTokenizerConfig(tmp));
        assertEquals("ValueError", e.errorType());
        assertTrue(e.detail().startsWith(cfg + " has no \"chat_template\" key"), e.detail());
    }

    @Test
    void missingPathIsReported() {
        TemplateException e = assertThrows(TemplateException.class,
                () -> ChatTemplate.fromTokenizerConfig(tmp.resolve("nope")));
        assertTrue(e.detail().startsWith("No such file or directory: " + tmp.resolve("nope")), e.detail());
    }

    @Test
    void syntaxErrorNamesFileAndLine() throws IOException {
        Path jinja = write("bad.jinja", "ok\n{% if x %}\nnever closed");
        TemplateException e = assertThrows(TemplateException.class, () -> ChatTemplate.fromTokenizerConfig(jinja));
        assertEquals("TemplateSyntaxError", e.errorType());
        assertTrue(e.getMessage().contains(jinja.toString()), e.getMessage());
        assertTrue(e.detail().contains("'endif'"), e.detail());
    }

    @Test
    void undefinedRequiredVariableIsNamed() {
        ChatTemplate t = ChatTemplate.fromString("{{ messages[0].content }}{{ system_prompt.strip() }}", "sys.jinja", Map.of());
        TemplateException e = assertThrows(TemplateException.class,
                () -> t.render(List.of(Map.of("role", "user", "content", "hi")), false, Map.of()));
        assertEquals("UndefinedError: 'system_prompt' is undefined (chat template sys.jinja, line 1)", e.getMessage());
        assertEquals("hiX", t.render(List.of(Map.of("role", "user", "content", "hi")), false, Map.of("system_prompt", " X ")));
    }

    @Test
    void extraVariablesWinOverSpecialTokens() {
        ChatTemplate t = ChatTemplate.fromString("{{ eos_token }}{{ add_generation_prompt }}", "t", Map.of("eos_token", "E"));
        assertEquals("ETrue", t.render(List.of(), true, Map.of()));
        assertEquals("XFalse", t.render(List.of(), false, Map.of("eos_token", "X")));
    }

    @Test
    void reservedNamesAreNotExtraVariables() {
        ChatTemplate t = ChatTemplate.fromString("x", "t.jinja", Map.of());
        TemplateException e = assertThrows(TemplateException.class,
                () -> t.render(List.of(), false, Map.of("add_generation_prompt", true)));
        assertEquals("TypeError: render() got multiple values for keyword argument 'add_generation_prompt'; pass it as "
                + "the render argument, not as an extra variable (chat template t.jinja)", e.getMessage());
    }

    @Test
    void dateFreezesStrftimeNow() {
        ChatTemplate t = ChatTemplate.fromString("{{ strftime_now('%d %b %Y') }}", "t", Map.of()).withDate(LocalDate.of(2024, 2, 29));
        assertEquals("29 Feb 2024", t.render(List.of(), false, Map.of()));
    }

    @Test
    void renderingDoesNotMutateTheCallersMessages() {
        ChatTemplate t = ChatTemplate.fromString("{% set x = messages.pop() %}{{ x.content }}{{ messages | length }}", "t", Map.of());
        List<Map<String, Object>> messages = new ArrayList<>(List.of(Map.of("role", "user", "content", "a")));
        assertEquals("a0", t.render(messages, false, Map.of()));
        assertEquals(1, messages.size());
    }

    @Test
    void oneTemplateRendersFromManyThreads() throws Exception {
        ChatTemplate t = ChatTemplate.fromTokenizerConfig(qwen3Dir());
        JsonNode chat = ChatGolden.json("fixtures/tokenizers/qwen3/expected.json").get("chat");
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(4);
        try {
            List<java.util.concurrent.Future<Boolean>> results = new ArrayList<>();
            for (int task = 0; task < 8; task++) {
                results.add(pool.submit(() -> {
                    for (int round = 0; round < 200; round++) {
                        for (JsonNode c : chat) {
                            Map<String, Object> extra = new LinkedHashMap<>();
                            if (!c.get("enable_thinking").isNull()) {
                                extra.put("enable_thinking", c.get("enable_thinking").asBoolean());
                            }
                            String text = t.render(ChatGolden.messages(c.get("messages")),
                                    c.get("add_generation_prompt").asBoolean(), extra);
                            if (!text.equals(c.get("rendered").asText())) {
                                return false;
                            }
                        }
                    }
                    return true;
                }));
            }
            for (java.util.concurrent.Future<Boolean> r : results) {
                assertTrue(r.get(), "a concurrent render differed from the fixture");
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
