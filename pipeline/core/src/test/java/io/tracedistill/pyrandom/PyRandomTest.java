package io.tracedistill.pyrandom;

import org.junit.jupiter.api.Test;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Hand-checkable edge cases of {@link PyRandom}: seeding words, word consumption, errors. */
class PyRandomTest {

    @Test
    void seedKeyIsLittleEndianWordsOfAbsoluteValue() {
        assertArrayEquals(new int[] {0}, PyRandom.seedKey(BigInteger.ZERO));
        assertArrayEquals(new int[] {3}, PyRandom.seedKey(BigInteger.valueOf(-3)));
        assertArrayEquals(new int[] {0xffffffff}, PyRandom.seedKey(BigInteger.valueOf(0xffffffffL)));
        assertArrayEquals(new int[] {0, 1}, PyRandom.seedKey(BigInteger.ONE.shiftLeft(32)));
        // 2**64 + 1 -> [1, 0, 1]
        assertArrayEquals(new int[] {1, 0, 1}, PyRandom.seedKey(BigInteger.ONE.shiftLeft(64).add(BigInteger.ONE)));
    }

    @Test
    void negativeSeedEqualsPositiveSeed() {
        PyRandom a = new PyRandom(-12345);
        PyRandom b = new PyRandom(12345);
        for (int i = 0; i < 5; i++) {
            assertEquals(b.nextUint32(), a.nextUint32());
        }
    }

    @Test
    void getrandbitsZeroConsumesNothing() {
        PyRandom a = new PyRandom(7);
        PyRandom b = new PyRandom(7);
        assertEquals(BigInteger.ZERO, a.getrandbits(0));
        assertEquals(b.nextUint32(), a.nextUint32());
    }

    @Test
    void randbelowOneStillConsumesAWord() {
        PyRandom a = new PyRandom(7);
        PyRandom b = new PyRandom(7);
        assertEquals(0, a.randbelow(1));
        b.nextUint32();
        assertEquals(b.nextUint32(), a.nextUint32());
    }

    @Test
    void wideGetrandbitsAgreesWithLongPath() {
        for (int k : new int[] {1, 31, 32, 33, 48, 63}) {
            PyRandom a = new PyRandom(99);
            PyRandom b = new PyRandom(99);
            assertEquals(BigInteger.valueOf(a.getrandbitsLong(k)), b.getrandbits(k), "k=" + k);
        }
        // 64 bits = two words, least significant first.
        PyRandom a = new PyRandom(5);
        PyRandom b = new PyRandom(5);
        BigInteger expected = BigInteger.valueOf(b.nextUint32()).or(BigInteger.valueOf(b.nextUint32()).shiftLeft(32));
        assertEquals(expected, a.getrandbits(64));
    }

    @Test
    void listShuffleMatchesArrayShuffle() {
        int[] arr = {0, 1, 2, 3, 4, 5, 6, 7};
        List<Integer> list = new ArrayList<>();
        for (int v : arr) {
            list.add(v);
        }
        new PyRandom(42).shuffle(arr);
        new PyRandom(42).shuffle(list);
        for (int i = 0; i < arr.length; i++) {
            assertEquals(arr[i], list.get(i));
        }
    }

    @Test
    void sampleSetSizeFollowsCpythonFormula() {
        assertEquals(21, PyRandom.sampleSetSize(0));
        assertEquals(21, PyRandom.sampleSetSize(5));
        assertEquals(21 + 64, PyRandom.sampleSetSize(6));   // 3k = 18 -> 4**3
        assertEquals(21 + 64, PyRandom.sampleSetSize(21));  // 3k = 63 -> 4**3
        assertEquals(21 + 256, PyRandom.sampleSetSize(22)); // 3k = 66 -> 4**4
        // CPython computes 4 ** ceil(log(3k, 4)) in floating point; same answer for every k here.
        for (int k = 6; k <= 200_000; k++) {
            long viaFloat = 21 + (long) Math.pow(4, Math.ceil(Math.log(k * 3.0) / Math.log(4)));
            assertEquals(viaFloat, PyRandom.sampleSetSize(k), "k=" + k);
        }
    }

    @Test
    void errorsNameTheBadValue() {
        PyRandom r = new PyRandom(1);
        assertEquals("randbelow needs n >= 1, got n=0",
                assertThrows(IllegalArgumentException.class, () -> r.randbelow(0)).getMessage());
        assertEquals("number of bits must be non-negative, got k=-1",
                assertThrows(IllegalArgumentException.class, () -> r.getrandbits(-1)).getMessage());
        assertEquals("Sample larger than population or is negative: k=4, population size n=3; need 0 <= k <= n",
                assertThrows(IllegalArgumentException.class, () -> r.sample(3, 4)).getMessage());
    }
}
