package io.tracedistill.tools;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

class MedianTest {

    @Test
    void oddCountTakesTheMiddleEvenCountTheUpperMiddle() {
        assertEquals(3.0, Median.of(new double[] {5, 1, 3}));
        assertEquals(4.0, Median.of(new double[] {4, 1, 9, 2})); // sorted 1 2 4 9: the upper middle, as step_timing.py
        assertEquals(7.0, Median.of(List.of(7.0)));
        assertEquals(2.5, Median.of(List.of(9.0, 2.5, 0.5)));
    }

    @Test
    void leavesTheValuesAsTheyWere() {
        double[] v = {3, 1, 2};
        Median.of(v);
        assertArrayEquals(new double[] {3, 1, 2}, v);
    }

    @Test
    void noValuesIsAnError() {
        assertThrows(IllegalArgumentException.class, () -> Median.of(new double[0]));
        assertThrows(IllegalArgumentException.class, () -> Median.of(List.of()));
    }
}
