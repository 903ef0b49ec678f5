package io.tracedistill.order;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Hand-checkable properties and errors of {@link StratifiedOrder}. */
class StratifiedOrderTest {

    @Test
    void everyBatchOfTwoHoldsOneOfEachType() {
        // 4 'a' + 4 'b', batch 2 -> 4 slots; 'a' fills each slot once, then 'b' does.
        List<String> labels = List.of("b", "a", "b", "a", "a", "b", "b", "a");
        int[] order = StratifiedOrder.indexOrder(labels, 2, 42);
        int[] sorted = order.clone();
        Arrays.sort(sorted);
        assertArrayEquals(new int[] {0, 1, 2, 3, 4, 5, 6, 7}, sorted);
        for (int b = 0; b < 4; b++) {
            assertEquals("a", labels.get(order[2 * b]), "slot " + b);
            assertEquals("b", labels.get(order[2 * b + 1]), "slot " + b);
        }
    }

    @Test
    void labelsAreDealtInCodePointOrderNotUtf16Order() {
        // U+FF21 < U+1F600 by code point; Java's compareTo says the opposite (0xD83D < 0xFF21).
        String fullwidthA = "\uFF21";
        String grinning = "\uD83D\uDE00";
        // One slot; single-row buckets draw nothing, so the order is just the label order.
        assertArrayEquals(new int[] {1, 0}, StratifiedOrder.indexOrder(List.of(grinning, fullwidthA), 10, 0));
        assertArrayEquals(new int[] {0, 1}, StratifiedOrder.indexOrder(List.of(fullwidthA, grinning), 10, 0));
    }

    @Test
    void negativeBatchSizeMeansOneSlot() {
        List<String> labels = List.of("x", "y", "x", "z", "y");
        assertArrayEquals(StratifiedOrder.indexOrder(labels, 1000, 5), StratifiedOrder.indexOrder(labels, -3, 5));
    }

    @Test
    void emptyLabelsGiveEmptyOrder() {
        assertArrayEquals(new int[0], StratifiedOrder.indexOrder(List.of(), 8, 42));
    }

    @Test
    void errorsNameTheProblem() {
        assertEquals("division by zero (batch_size is 0 for 1 labels; use a batch size of at least 1)",
                assertThrows(ArithmeticException.class,
                        () -> StratifiedOrder.indexOrder(List.of("a"), 0, 42)).getMessage());
        List<String> withNull = new ArrayList<>(List.of("a", "b"));
        withNull.add(null);
        assertEquals("Label of row 2 is null; the stratified order needs a type string for every row"
                        + " (map missing types to a label first)",
                assertThrows(IllegalArgumentException.class,
                        () -> StratifiedOrder.indexOrder(withNull, 2, 42)).getMessage());
    }
}
