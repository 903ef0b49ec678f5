package io.tracedistill.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** {@code generate --model DIR [--adapter DIR]} on tiny-nemotron-h: the fixture's greedy tokens, with and without its adapter. */
class NemotronHGenerateTest {

    @Test
    void generateReproducesGreedyTokensWithAndWithoutAdapter() {
        String dir = Fixtures.dir("tiny-nemotron-h").toString();
        var base = Fixtures.json("tiny-nemotron-h/expected.json").get("cases").get(2);
        GenerateTest.Result r = GenerateTest.run("--model", dir, "--input-ids",
                GenerateTest.csv(Fixtures.ints(base.get("input_ids"))), "--max-new-tokens", "10", "--no-eos-stop");
        assertEquals(0, r.code(), r.err());
        assertEquals(GenerateTest.json(Fixtures.ints(base.get("greedy_new_tokens"))), r.firstLine());

        var adapted = Fixtures.json("tiny-nemotron-h/lora/expected_with_adapter.json").get("cases").get(2);
        GenerateTest.Result a = GenerateTest.run("--model", dir, "--adapter", Fixtures.dir("tiny-nemotron-h/lora").toString(),
                "--input-ids", GenerateTest.csv(Fixtures.ints(adapted.get("input_ids"))), "--max-new-tokens", "10",
                "--no-eos-stop");
        assertEquals(0, a.code(), a.err());
        assertEquals(GenerateTest.json(Fixtures.ints(adapted.get("greedy_new_tokens"))), a.firstLine());
    }
}
