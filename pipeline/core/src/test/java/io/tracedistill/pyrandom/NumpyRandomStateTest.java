package io.tracedistill.pyrandom;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Hand-checkable edge cases of {@link NumpyRandomState}. */
class NumpyRandomStateTest {

    @Test
    void seedErrorWording() {
        assertEquals("Seed must be between 0 and 2**32 - 1 (got -1; numpy's RandomState takes no negative or wider seeds)",
                assertThrows(IllegalArgumentException.class, () -> new NumpyRandomState(-1)).getMessage());
        assertEquals("Seed must be between 0 and 2**32 - 1 (got 4294967296; numpy's RandomState takes no negative or wider seeds)",
                assertThrows(IllegalArgumentException.class, () -> new NumpyRandomState(1L << 32)).getMessage());
    }

    @Test
    void emptyAndSingletonPermutationsDrawNothing() {
        NumpyRandomState a = new NumpyRandomState(3);
        NumpyRandomState b = new NumpyRandomState(3);
        assertArrayEquals(new int[0], a.permutation(0));
        assertArrayEquals(new int[] {0}, a.permutation(1));
        assertEquals(0, a.randomInterval(0));
        assertEquals(5, a.randintUint64(5, 6));
        assertEquals(b.nextUint32(), a.nextUint32());
    }

    @Test
    void randomIntervalMasksThenRejects() {
        // random_interval(1): mask 1, so the value is the lowest bit of the next word (never rejected).
        NumpyRandomState a = new NumpyRandomState(0);
        NumpyRandomState b = new NumpyRandomState(0);
        assertEquals(b.nextUint32() & 1, a.randomInterval(1));
        // permutation(2): one draw of random_interval(1); swap when it is 0.
        NumpyRandomState c = new NumpyRandomState(0);
        long bit = new NumpyRandomState(0).nextUint32() & 1;
        assertArrayEquals(bit == 0 ? new int[] {1, 0} : new int[] {0, 1}, c.permutation(2));
    }

    @Test
    void badArgumentsNameTheValue() {
        NumpyRandomState r = new NumpyRandomState(0);
        assertEquals("permutation needs n >= 0, got n=-2",
                assertThrows(IllegalArgumentException.class, () -> r.permutation(-2)).getMessage());
        assertEquals("randintUint64 supports 0 < high - low <= 2**32, got low=3, high=3",
                assertThrows(IllegalArgumentException.class, () -> r.randintUint64(3, 3)).getMessage());
    }
}
