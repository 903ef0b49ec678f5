package io.tracedistill.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Batched greedy decoding: the four fixture prompts (lengths 8, 5, 12, 21) decoded together with left
 * padding give each row's recorded tokens, with the KV cache and by full re-forward; with the eos ids
 * of generation_config.json a row stops after its eos while the others go on.
 */
class GreedyGeneratorTest {

    static Stream<Arguments> models() {
        return Stream.of("tiny-llama", "tiny-qwen2", "tiny-qwen3").map(m -> Arguments.of(m));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("models")
    void leftPaddedBatchEqualsRecordedTokens(String model) {
        JsonNode cases = Fixtures.json(model + "/expected.json").get("cases");
        List<int[]> prompts = new ArrayList<>();
        List<int[]> expected = new ArrayList<>();
        for (JsonNode c : cases) {
            prompts.add(Fixtures.ints(c.get("input_ids")));
            expected.add(Fixtures.ints(c.get("greedy_new_tokens")));
        }
        try (NDManager manager = NDManager.newBaseManager()) {
            CausalLm lm = CausalLm.load(Fixtures.dir(model), manager);
            GenerationConfig gc = GenerationConfig.load(Fixtures.dir(model), lm.config());
            assertEquals(List.of(258, 256), gc.eosTokenIds());
            assertEquals(256, gc.padTokenId());
            GreedyGenerator.Options noStop = new GreedyGenerator.Options(10, List.of(), gc.padTokenId());
            List<int[]> cached = GreedyGenerator.generate(lm, prompts, noStop, manager);
            List<int[]> reforward = GreedyGenerator.generateByReforward(lm, prompts, noStop, manager);
            GreedyGenerator.Options stop = GreedyGenerator.Options.of(gc, 10);
            List<int[]> stopped = GreedyGenerator.generate(lm, prompts, stop, manager);
            for (int r = 0; r < prompts.size(); r++) {
                assertArrayEquals(expected.get(r), cached.get(r), model + " row " + r + " (KV cache, batch)");
                assertArrayEquals(expected.get(r), reforward.get(r), model + " row " + r + " (re-forward, batch)");
                int[] want = expected.get(r);
                for (int i = 0; i < want.length; i++) {
                    if (want[i] == 258 || want[i] == 256) {
                        want = Arrays.copyOf(want, i + 1);
                        break;
                    }
                }
                assertArrayEquals(want, stopped.get(r), model + " row " + r + " (eos stop)");
            }
        }
    }
}
