package io.tracedistill.split;

import io.tracedistill.python.PyValue;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Hand-checkable splits and error wording of {@link TwoPhaseSplit}. */
class TwoPhaseSplitTest {

    @Test
    void smallFrameWithoutShuffle() {
        // hard h appears twice -> quota 2; every easy row is reserved (e has 2, f has 1).
        List<String> types = List.of("h", "e", "e", "h", "f", "g", "g", "g");
        TwoPhaseSplit.SplitResult r = TwoPhaseSplit.split(types, List.of("h"), 7, false);
        assertEquals(2, r.quota());
        assertEquals(List.of("e", "f", "g"), r.easyGroupSamples().stream().map(TwoPhaseSplit.EasyGroupSample::type).toList());
        // g has 3 rows, 2 reserved; which 2 depends on Random(8), so check the shape only.
        int[] gSample = r.easyGroupSamples().get(2).sampledPositions();
        assertEquals(2, gSample.length);
        int gKept = 5 + 6 + 7 - gSample[0] - gSample[1];
        assertArrayEquals(new int[] {0, 3, gKept}, r.phase1Rows());
        int[] gReserved = {Math.min(gSample[0], gSample[1]), Math.max(gSample[0], gSample[1])};
        // hard rows first, then reserved easy rows in frame order (not sample order).
        assertArrayEquals(new int[] {0, 3, 1, 2, 4, gReserved[0], gReserved[1]}, r.phase2Rows());
    }

    @Test
    void missingTypesStayInPhaseOneOnly() {
        List<String> types = Arrays.asList("h", null, "e");
        TwoPhaseSplit.SplitResult r = TwoPhaseSplit.split(types, List.of("h"), 0, false);
        assertArrayEquals(new int[] {0, 1}, r.phase1Rows());
        assertArrayEquals(new int[] {0, 2}, r.phase2Rows());
        assertNull(TwoPhaseSplit.typeString(PyValue.none()));
        assertNull(TwoPhaseSplit.typeString(new PyValue.Float(Double.NaN)));
        assertEquals("3", TwoPhaseSplit.typeString(PyValue.Int.of(3)));
    }

    @Test
    void duplicateHardTypesAreASet() {
        List<String> types = List.of("h", "e", "e");
        TwoPhaseSplit.SplitResult once = TwoPhaseSplit.split(types, List.of("h"), 3, true);
        TwoPhaseSplit.SplitResult twice = TwoPhaseSplit.split(types, List.of("h", "h"), 3, true);
        assertArrayEquals(once.phase1Rows(), twice.phase1Rows());
        assertArrayEquals(once.phase2Rows(), twice.phase2Rows());
    }

    @Test
    void negativeSeedIsFineWithoutShuffleOnly() {
        List<String> types = List.of("h", "e");
        assertArrayEquals(new int[] {0, 1}, TwoPhaseSplit.split(types, List.of("h"), -1, false).phase2Rows());
        assertEquals("Seed must be between 0 and 2**32 - 1 (got -1; numpy's RandomState takes no negative or wider seeds)",
                assertThrows(IllegalArgumentException.class,
                        () -> TwoPhaseSplit.split(types, List.of("h"), -1, true)).getMessage());
    }

    @Test
    void errorWordingMatchesReference() {
        assertEquals("No rows of any hard type ['a', 'b'] found in df.",
                assertThrows(IllegalArgumentException.class,
                        () -> TwoPhaseSplit.split(List.of("c"), List.of("b", "a"), 0, true)).getMessage());
        assertEquals("hard_types must contain at least one problem type.",
                assertThrows(IllegalArgumentException.class,
                        () -> TwoPhaseSplit.split(List.of(), List.of(), 0, true)).getMessage());
        assertEquals("Cannot split an empty DataFrame.",
                assertThrows(IllegalArgumentException.class,
                        () -> TwoPhaseSplit.split(List.of(), List.of("a"), 0, true)).getMessage());
        assertEquals("DataFrame is missing type column 'kind'.",
                assertThrows(IllegalArgumentException.class,
                        () -> TwoPhaseSplit.requireTypeColumn(List.of("id", "type"), "kind")).getMessage());
        assertEquals("hard_types contains null; list problem-type strings only",
                assertThrows(IllegalArgumentException.class,
                        () -> TwoPhaseSplit.split(List.of("a"), Arrays.asList("a", null), 0, true)).getMessage());
    }
}
