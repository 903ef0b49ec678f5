package io.tracedistill.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The {@code render-chat} command ({@code tracedistill render-chat}) on small files: output bytes, exit codes and error wording. */
class RenderChatCommandTest {

    @TempDir
    Path tmp;

    private final ByteArrayOutputStream outBytes = new ByteArrayOutputStream();
    private final ByteArrayOutputStream errBytes = new ByteArrayOutputStream();
    private Path template;
    private Path messages;

    @BeforeEach
    void files() throws IOException {
        template = tmp.resolve("t.jinja");
        Files.writeString(template, "{% for m in messages %}<{{ m.role }}>{{ m.content }}\n{% endfor %}"
                + "{% if add_generation_prompt %}<assistant>{% if enable_thinking is false %}<think></think>{% endif %}"
                + "{% endif %}{{ strftime_now('%Y') if with_date is defined }}");
        messages = tmp.resolve("m.json");
        Files.writeString(messages, "[{\"role\": \"user\", \"content\": \"h\u00e9 \\\"q\\\"\"}]");
    }

    private int run(String... args) {
        String[] line = Stream.concat(Stream.of("render-chat"), Stream.of(args)).toArray(String[]::new);
        return Cli.run(line, new PrintStream(outBytes, true, StandardCharsets.UTF_8),
                new PrintStream(errBytes, true, StandardCharsets.UTF_8));
    }

    private String out() {
        return outBytes.toString(StandardCharsets.UTF_8);
    }

    private String err() {
        return errBytes.toString(StandardCharsets.UTF_8);
    }

    @Test
    void printsTheRenderedTextByteForByte() {
        assertEquals(0, run("--template", template.toString(), "--messages", messages.toString(), "--add-generation-prompt"));
        assertEquals("<user>h\u00e9 \"q\"\n<assistant>", out());
        assertEquals("", err());
    }

    @Test
    void jsonPrintsOneLine() {
        assertEquals(0, run("--template", template.toString(), "--messages", messages.toString(), "--json"));
        assertEquals("\"<user>h\u00e9 \\\"q\\\"\\n\"" + System.lineSeparator(), out());
    }

    @Test
    void varsFileSetsVariablesAndTheDate() throws IOException {
        Path vars = tmp.resolve("v.json");
        Files.writeString(vars, "{\"enable_thinking\": false, \"with_date\": 1, \"date\": \"2023-01-02\"}");
        Path wrapped = tmp.resolve("wrapped.json");
        Files.writeString(wrapped, "{\"messages\": [{\"role\": \"user\", \"content\": \"x\"}]}");
        assertEquals(0, run("--template", template.toString(), "--messages", wrapped.toString(), "--vars",
                vars.toString(), "--add-generation-prompt"));
        assertEquals("<user>x\n<assistant><think></think>2023", out());
    }

    @Test
    void templateErrorsExitOne() throws IOException {
        Path bad = tmp.resolve("bad.jinja");
        Files.writeString(bad, "{{ raise_exception('Conversation roles must alternate') }}");
        assertEquals(1, run("--template", bad.toString(), "--messages", messages.toString()));
        assertEquals("render-chat: TemplateError: Conversation roles must alternate (chat template " + bad
                + ", line 1)" + System.lineSeparator(), err());
    }

    @Test
    void usageErrorsExitTwo() throws IOException {
        assertEquals(2, run("--messages", messages.toString()));
        assertTrue(err().startsWith("render-chat: --template is required"), err());
        errBytes.reset();
        assertEquals(2, run("--template", template.toString(), "--messages", messages.toString(), "--bogus"));
        assertTrue(err().startsWith("render-chat: unknown argument --bogus"), err());
        errBytes.reset();
        assertEquals(2, run("--template", template.toString(), "--messages", messages.toString(), "--tokens"));
        assertTrue(err().startsWith("render-chat: --tokens needs --tokenizer DIR"), err());
        errBytes.reset();
        Path notList = tmp.resolve("n.json");
        Files.writeString(notList, "{\"role\": \"user\"}");
        assertEquals(2, run("--template", template.toString(), "--messages", notList.toString()));
        assertEquals("render-chat: " + notList + " must hold a JSON list of messages ({\"role\": ..., \"content\": ...}) "
                + "or an object with a \"messages\" list, not OBJECT" + System.lineSeparator(), err());
        errBytes.reset();
        Path vars = tmp.resolve("v.json");
        Files.writeString(vars, "{\"date\": \"10/07/2025\"}");
        assertEquals(2, run("--template", template.toString(), "--messages", messages.toString(), "--vars", vars.toString()));
        assertEquals("render-chat: Invalid value 10/07/2025 for \"date\" in " + vars + ": expected YYYY-MM-DD"
                + System.lineSeparator(), err());
    }

    @Test
    void tokensModeShowsTheMaskedPrompt() throws Exception {
        // The real Qwen3 tokenizer and chat template (pipeline/testdata/fixtures/tokenizers/qwen3).
        Path tokenizerDir = Path.of(RenderChatCommandTest.class.getResource("/fixtures/tokenizers/qwen3/tokenizer.json").toURI())
                .getParent();
        Path pair = tmp.resolve("pair.json");
        Files.writeString(pair, "[{\"role\": \"user\", \"content\": \"Hi\"}, {\"role\": \"assistant\", \"content\": \"Yo\"}]");
        assertEquals(0, run("--template", tokenizerDir.toString(), "--messages", pair.toString(),
                "--tokens", "--tokenizer", tokenizerDir.toString(), "--json"), err());
        assertEquals("{\"prompt\":\"<|im_start|>user\\nHi<|im_end|>\\n<|im_start|>assistant\\n\","
                + "\"completion\":\"<think>\\n\\n</think>\\n\\nYo<|im_end|>\\n\",", out().substring(0, out().indexOf("\"input_ids\"")));
        outBytes.reset();
        assertEquals(0, run("--template", tokenizerDir.toString(), "--messages", pair.toString(),
                "--tokens", "--tokenizer", tokenizerDir.toString()), err());
        assertTrue(out().contains("masked (label -100)"), out());
        assertTrue(out().contains("[(151644, \"<|im_start|>\")]"), out());
        errBytes.reset();
        assertEquals(1, run("--template", tokenizerDir.toString(), "--messages", messages.toString(),
                "--tokens", "--tokenizer", tokenizerDir.toString()));
        assertEquals("render-chat: Expected at least one prompt message and one assistant message." + System.lineSeparator(), err());
    }
}
