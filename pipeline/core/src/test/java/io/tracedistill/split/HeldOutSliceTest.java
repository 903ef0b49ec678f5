package io.tracedistill.split;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class HeldOutSliceTest {

    /** 40 rows: types b/c/None/a cycling (b every 7th), every row i % 5 == 3 not eligible. */
    private static List<String> types() {
        List<String> t = new ArrayList<>();
        String[] cycle = {"a", "b", "c", null};
        for (int i = 0; i < 40; i++) {
            t.add(i % 7 == 0 ? "b" : cycle[i % 4]);
        }
        return t;
    }

    private static boolean[] eligible() {
        boolean[] e = new boolean[40];
        for (int i = 0; i < 40; i++) {
            e[i] = i % 5 != 3;
        }
        return e;
    }

    /**
     * Expected from CPython 3 with the documented rule: {@code rng = random.Random(42 + 2)}; per type in sorted order
     * {@code rng.sample(rows, min(n - 1, max(1, round(0.25 * n))))}; sorted.
     */
    @Test
    void equalsThePythonRule() {
        assertArrayEquals(new int[] {1, 5, 6, 20, 22, 24, 25}, HeldOutSlice.select(types(), eligible(), 0.25, 42));
    }

    @Test
    void countPerTypeKeepsATrainingRowAndRoundsHalfToEven() {
        assertEquals(0, HeldOutSlice.count(1, 0.5), "a lone row is never held out");
        assertEquals(1, HeldOutSlice.count(2, 0.9), "n - 1 at most");
        assertEquals(1, HeldOutSlice.count(3, 0.01), "at least one");
        assertEquals(2, HeldOutSlice.count(10, 0.25), "round(2.5) = 2");
        assertEquals(4, HeldOutSlice.count(14, 0.25), "round(3.5) = 4");
        assertEquals(0, HeldOutSlice.count(100, 0.0));
    }

    @Test
    void onlyEligibleTypedRowsSameSeedSameSlice() {
        List<String> t = types();
        boolean[] e = eligible();
        int[] a = HeldOutSlice.select(t, e, 0.3, 7);
        assertArrayEquals(a, HeldOutSlice.select(t, e, 0.3, 7));
        for (int r : a) {
            assertEquals(true, e[r], "row " + r + " is eligible");
            assertEquals(true, t.get(r) != null, "row " + r + " has a type");
        }
        assertEquals(0, HeldOutSlice.select(t, e, 0.0, 7).length);
        assertThrows(IllegalArgumentException.class, () -> HeldOutSlice.select(t, e, 1.0, 7));
    }
}
