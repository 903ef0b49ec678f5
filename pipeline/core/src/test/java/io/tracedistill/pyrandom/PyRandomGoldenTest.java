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

/**
 * {@link PyRandom} against {@code golden/python_random.json} (raw CPython 3.11.2 {@code random.Random}
 * output, 9 seeds). Each seed is one case of each parameterized test below; every comparison is
 * exact (integers, and floats compared bit for bit with the parsed Python repr).
 */
class PyRandomGoldenTest {

    static final String FILE = "python_random.json";

    static JsonNode golden() {
        return GoldenResources.load(FILE);
    }

    static Stream<Arguments> cases() {
        return GoldenResources.cases(FILE, "cases").stream().map(c -> Arguments.of("seed=" + c.get("seed").asText(), c));
    }

    @Test
    void caseCountMatchesMeta() {
        JsonNode g = golden();
        assertEquals(g.get("meta").get("case_count").asInt(), g.get("cases").size());
        assertEquals(9, g.get("cases").size());
    }

    private static PyRandom fresh(JsonNode c) {
        return new PyRandom(new BigInteger(c.get("seed").asText()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void getrandbits32First10(String id, JsonNode c) {
        PyRandom r = fresh(c);
        for (JsonNode v : c.get("getrandbits32_first10")) {
            assertEquals(v.asLong(), r.nextUint32());
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void randomFirst5(String id, JsonNode c) {
        PyRandom r = fresh(c);
        for (JsonNode v : c.get("random_first5_repr")) {
            double expected = Double.parseDouble(v.asText());
            double actual = r.random();
            assertEquals(Double.doubleToLongBits(expected), Double.doubleToLongBits(actual),
                    "random(): expected " + v.asText() + " got " + actual);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void getrandbitsSequence(String id, JsonNode c) {
        PyRandom r = fresh(c);
        for (JsonNode kv : c.get("getrandbits_k_sequence_from_fresh")) {
            int k = kv.get(0).asInt();
            assertEquals(new BigInteger(kv.get(1).asText()), r.getrandbits(k), "getrandbits(" + k + ")");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void shuffleRange(String id, JsonNode c) {
        Iterator<Map.Entry<String, JsonNode>> it = c.get("shuffle_range_n").fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            int n = Integer.parseInt(e.getKey());
            int[] x = new int[n];
            for (int i = 0; i < n; i++) {
                x[i] = i;
            }
            fresh(c).shuffle(x);
            assertArrayEquals(ints(e.getValue()), x, "shuffle(range(" + n + "))");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void randbelowSequence(String id, JsonNode c) {
        PyRandom r = fresh(c);
        for (JsonNode nv : c.get("randbelow_sequence_from_fresh")) {
            long n = nv.get(0).asLong();
            assertEquals(nv.get(1).asLong(), r.randbelow(n), "_randbelow(" + n + ")");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void sampleAndWordsConsumed(String id, JsonNode c) {
        for (JsonNode s : c.get("sample_range_n_k_from_fresh")) {
            int n = s.get("n").asInt();
            int k = s.get("k").asInt();
            PyRandom r = fresh(c);
            assertArrayEquals(ints(s.get("result")), r.sample(n, k), "sample(range(" + n + "), " + k + ")");
            assertEquals(s.get("next_getrandbits32_after").asLong(), r.nextUint32(),
                    "word after sample(range(" + n + "), " + k + ") (words consumed)");
        }
    }

    static int[] ints(JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asInt();
        }
        return out;
    }
}
