package io.tracedistill.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Stream;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The {@code generate} command ({@code tracedistill generate}) on the tiny fixtures of pipeline/testdata. */
class GenerateCommandTest {

    record Result(int code, String out, String err) {
        String firstLine() {
            return out.split("\n", 2)[0];
        }
    }

    static Result run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        String[] line = Stream.concat(Stream.of("generate"), Stream.of(args)).toArray(String[]::new);
        int code = Cli.run(line, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** A fixture file or directory under {@code fixtures/} (pipeline/testdata/fixtures, copied by the pom). */
    static Path fixture(String relative) {
        try {
            return Path.of(GenerateCommandTest.class.getResource("/fixtures/" + relative).toURI());
        } catch (URISyntaxException | NullPointerException e) {
            throw new IllegalStateException("Missing test resource fixtures/" + relative, e);
        }
    }

    static JsonNode fixtureJson(String relative) {
        try {
            return new ObjectMapper().readTree(fixture(relative).toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static int[] ints(JsonNode arr) {
        int[] out = new int[arr.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = arr.get(i).asInt();
        }
        return out;
    }

    static String json(int[] ids) {
        return Arrays.stream(ids).mapToObj(String::valueOf).collect(Collectors.joining(",", "[", "]"));
    }

    static String csv(int[] ids) {
        return Arrays.stream(ids).mapToObj(String::valueOf).collect(Collectors.joining(","));
    }

    @Test
    void inputIdsReproduceFixtureGreedyTokensWithoutEosStop() {
        var c = fixtureJson("tiny-llama/expected.json").get("cases").get(0);
        Result r = run("--model", fixture("tiny-llama").toString(), "--input-ids", csv(ints(c.get("input_ids"))),
                "--max-new-tokens", "10", "--no-eos-stop");
        assertEquals(0, r.code(), r.err());
        assertEquals(json(ints(c.get("greedy_new_tokens"))), r.firstLine());
    }

    @Test
    void eosStopsQwen2Case3AfterEmitting258() {
        // tiny-qwen2 case 3 emits 258 (<|im_end|>, an eos id in generation_config.json) as its 7th token.
        var c = fixtureJson("tiny-qwen2/expected.json").get("cases").get(3);
        int[] full = ints(c.get("greedy_new_tokens"));
        Result r = run("--model", fixture("tiny-qwen2").toString(), "--input-ids", csv(ints(c.get("input_ids"))),
                "--max-new-tokens", "10");
        assertEquals(0, r.code(), r.err());
        assertEquals(json(Arrays.copyOf(full, 7)), r.firstLine());
        assertTrue(r.out().strip().endsWith("<|im_end|>"), "decoded text keeps the eos token: " + r.out());
    }

    @Test
    void chatPromptRendersTheChatTemplate() {
        // cases[3] of every fixture is the ChatML render of [{user: "Hi"}] with add_generation_prompt.
        var c = fixtureJson("tiny-qwen3/expected.json").get("cases").get(3);
        Result r = run("--model", fixture("tiny-qwen3").toString(), "--prompt", "Hi", "--chat",
                "--max-new-tokens", "10", "--no-eos-stop");
        assertEquals(0, r.code(), r.err());
        assertEquals(json(ints(c.get("greedy_new_tokens"))), r.firstLine());
    }

    @Test
    void adapterChangesTheTokens() {
        var c = fixtureJson("tiny-qwen2/lora/expected_with_adapter.json").get("cases").get(0);
        Result r = run("--model", fixture("tiny-qwen2").toString(), "--adapter", fixture("tiny-qwen2/lora").toString(),
                "--input-ids", csv(ints(c.get("input_ids"))), "--max-new-tokens", "10", "--no-eos-stop");
        assertEquals(0, r.code(), r.err());
        assertEquals(json(ints(c.get("greedy_new_tokens"))), r.firstLine());
    }

    @Test
    void nemotronHReproducesGreedyTokensWithAndWithoutAdapter() {
        String dir = fixture("tiny-nemotron-h").toString();
        var base = fixtureJson("tiny-nemotron-h/expected.json").get("cases").get(2);
        Result r = run("--model", dir, "--input-ids", csv(ints(base.get("input_ids"))), "--max-new-tokens", "10",
                "--no-eos-stop");
        assertEquals(0, r.code(), r.err());
        assertEquals(json(ints(base.get("greedy_new_tokens"))), r.firstLine());

        var adapted = fixtureJson("tiny-nemotron-h/lora/expected_with_adapter.json").get("cases").get(2);
        Result a = run("--model", dir, "--adapter", fixture("tiny-nemotron-h/lora").toString(),
                "--input-ids", csv(ints(adapted.get("input_ids"))), "--max-new-tokens", "10", "--no-eos-stop");
        assertEquals(0, a.code(), a.err());
        assertEquals(json(ints(adapted.get("greedy_new_tokens"))), a.firstLine());
    }

    @Test
    void badArgumentsExitTwoWithUsage() {
        Result r = run("--model", "x", "--max-new-tokens", "ten", "--input-ids", "1");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("Invalid value 'ten' for --max-new-tokens"), r.err());
        assertTrue(r.err().contains("usage: generate"), r.err());
        Result both = run("--model", "x", "--max-new-tokens", "1", "--input-ids", "1", "--prompt", "a");
        assertEquals(2, both.code());
        assertTrue(both.err().contains("exactly one of --prompt and --input-ids"), both.err());
        Result badId = run("--model", "x", "--max-new-tokens", "1", "--input-ids", "1,x");
        assertEquals(2, badId.code());
        assertTrue(badId.err().contains("Invalid token id 'x'"), badId.err());
    }

    @Test
    void outOfVocabularyIdFailsClearly() {
        Result r = run("--model", fixture("tiny-llama").toString(), "--input-ids", "1,259", "--max-new-tokens", "1");
        assertEquals(1, r.code());
        assertTrue(r.err().contains("Token id 259 is outside the vocabulary [0, 259)"), r.err());
    }
}
