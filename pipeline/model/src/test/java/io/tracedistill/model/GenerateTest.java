package io.tracedistill.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The {@code generate} command on the tiny fixtures. */
class GenerateTest {

    record Result(int code, String out, String err) {
        String firstLine() {
            return out.split("\n", 2)[0];
        }
    }

    static Result run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Generate.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    static String json(int[] ids) {
        return Arrays.stream(ids).mapToObj(String::valueOf).collect(Collectors.joining(",", "[", "]"));
    }

    static String csv(int[] ids) {
        return Arrays.stream(ids).mapToObj(String::valueOf).collect(Collectors.joining(","));
    }

    @Test
    void inputIdsReproduceFixtureGreedyTokensWithoutEosStop() {
        var c = Fixtures.json("tiny-llama/expected.json").get("cases").get(0);
        Result r = run("--model", Fixtures.dir("tiny-llama").toString(), "--input-ids", csv(Fixtures.ints(c.get("input_ids"))),
                "--max-new-tokens", "10", "--no-eos-stop");
        assertEquals(0, r.code(), r.err());
        assertEquals(json(Fixtures.ints(c.get("greedy_new_tokens"))), r.firstLine());
    }

    @Test
    void eosStopsQwen2Case3AfterEmitting258() {
        // tiny-qwen2 case 3 emits 258 (<|im_end|>, an eos id in generation_config.json) as its 7th token.
        var c = Fixtures.json("tiny-qwen2/expected.json").get("cases").get(3);
        int[] full = Fixtures.ints(c.get("greedy_new_tokens"));
        Result r = run("--model", Fixtures.dir("tiny-qwen2").toString(), "--input-ids", csv(Fixtures.ints(c.get("input_ids"))),
                "--max-new-tokens", "10");
        assertEquals(0, r.code(), r.err());
        assertEquals(json(Arrays.copyOf(full, 7)), r.firstLine());
        assertTrue(r.out().strip().endsWith("<|im_end|>"), "decoded text keeps the eos token: " + r.out());
    }

    @Test
    void chatPromptRendersTheChatTemplate() {
        // cases[3] of every fixture is the ChatML render of [{user: "Hi"}] with add_generation_prompt.
        var c = Fixtures.json("tiny-qwen3/expected.json").get("cases").get(3);
        Result r = run("--model", Fixtures.dir("tiny-qwen3").toString(), "--prompt", "Hi", "--chat",
                "--max-new-tokens", "10", "--no-eos-stop");
        assertEquals(0, r.code(), r.err());
        assertEquals(json(Fixtures.ints(c.get("greedy_new_tokens"))), r.firstLine());
    }

    @Test
    void adapterChangesTheTokens() {
        var c = Fixtures.json("tiny-qwen2/lora/expected_with_adapter.json").get("cases").get(0);
        Result r = run("--model", Fixtures.dir("tiny-qwen2").toString(), "--adapter", Fixtures.dir("tiny-qwen2/lora").toString(),
                "--input-ids", csv(Fixtures.ints(c.get("input_ids"))), "--max-new-tokens", "10", "--no-eos-stop");
        assertEquals(0, r.code(), r.err());
        assertEquals(json(Fixtures.ints(c.get("greedy_new_tokens"))), r.firstLine());
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
        Result r = run("--model", Fixtures.dir("tiny-llama").toString(), "--input-ids", "1,259", "--max-new-tokens", "1");
        assertEquals(1, r.code());
        assertTrue(r.err().contains("Token id 259 is outside the vocabulary [0, 259)"), r.err());
    }
}
