package io.tracedistill.pyrandom;

import com.fasterxml.jackson.databind.JsonNode;
import io.tracedistill.contract.GoldenResources;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.math.BigInteger;
import java.util.Iterator;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link NumpyRandomState} against {@code golden/numpy_random_state.json} (numpy 1.24.2 legacy
 * {@code RandomState}, 7 seeds, plus 3 rejected seeds). All comparisons are exact.
 */
class NumpyRandomStateGoldenTest {

    static final String FILE = "numpy_random_state.json";

    static JsonNode golden() {
        return GoldenResources.load(FILE);
    }

    static Stream<Arguments> cases() {
        return GoldenResources.cases(FILE, "cases").stream().map(c -> Arguments.of("seed=" + c.get("seed").asText(), c));
    }

    static Stream<Arguments> seedErrors() {
        return GoldenResources.cases(FILE, "seed_errors").stream().map(c -> Arguments.of("seed=" + c.get("seed").asText(), c));
    }

    @Test
    void caseCountMatchesMeta() {
        JsonNode g = golden();
        assertEquals(g.get("meta").get("case_count").asInt(), g.get("cases").size());
        assertEquals(7, g.get("cases").size());
        assertEquals(3, g.get("seed_errors").size());
    }

    private static NumpyRandomState fresh(JsonNode c) {
        return new NumpyRandomState(c.get("seed").asLong());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void rawUint32First10(String id, JsonNode c) {
        NumpyRandomState r = fresh(c);
        for (JsonNode v : c.get("raw_uint32_first10")) {
            assertEquals(v.asLong(), r.nextUint32());
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void randintFullUint32RangeFirst10(String id, JsonNode c) {
        NumpyRandomState r = fresh(c);
        for (JsonNode v : c.get("randint_0_2pow32_uint64_first10")) {
            assertEquals(v.asLong(), r.randintUint64(0, 1L << 32));
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void randomSampleFirst5(String id, JsonNode c) {
        NumpyRandomState r = fresh(c);
        for (JsonNode v : c.get("random_sample_first5_repr")) {
            double expected = Double.parseDouble(v.asText());
            double actual = r.randomSample();
            assertEquals(Double.doubleToLongBits(expected), Double.doubleToLongBits(actual),
                    "random_sample(): expected " + v.asText() + " got " + actual);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void permutationFromFresh(String id, JsonNode c) {
        Iterator<Map.Entry<String, JsonNode>> it = c.get("permutation_from_fresh").fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            int n = Integer.parseInt(e.getKey());
            assertArrayEquals(PyRandomGoldenTest.ints(e.getValue()), fresh(c).permutation(n), "permutation(" + n + ")");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void successivePermutations(String id, JsonNode c) {
        NumpyRandomState r = fresh(c);
        JsonNode perms = c.get("successive_permutations_5_9_3");
        int[] sizes = {5, 9, 3};
        assertEquals(sizes.length, perms.size());
        for (int i = 0; i < sizes.length; i++) {
            assertArrayEquals(PyRandomGoldenTest.ints(perms.get(i)), r.permutation(sizes[i]),
                    "permutation #" + (i + 1) + " of size " + sizes[i]);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("seedErrors")
    void rejectedSeed(String id, JsonNode c) {
        assertEquals("ValueError", c.get("error_type").asText());
        BigInteger seed = new BigInteger(c.get("seed").asText());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new NumpyRandomState(seed));
        // Python's message first, then the offending seed.
        assertTrue(e.getMessage().startsWith(c.get("message").asText()), e.getMessage());
        assertTrue(e.getMessage().contains("got " + seed), e.getMessage());
        if (seed.bitLength() < 64) {
            IllegalArgumentException e2 = assertThrows(IllegalArgumentException.class,
                    () -> new NumpyRandomState(seed.longValueExact()));
            assertEquals(e.getMessage(), e2.getMessage());
        }
    }
}
