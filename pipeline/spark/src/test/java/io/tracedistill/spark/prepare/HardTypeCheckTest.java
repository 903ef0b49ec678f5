package io.tracedistill.spark.prepare;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Issue 17 messages: a hard type matching no row was silently ignored (a typo turned it easy), and an all-null
 * type column said "No rows of any hard type". Both fail before the split, naming {@code hard_types} or the
 * type column, with the closest labels.
 */
class HardTypeCheckTest {
    private static final List<String> TYPES = Arrays.asList("cryptarithm_deduce", "bit_manipulation", null,
            "cryptarithm_guess", "bit_manipulation");

    @Test
    void aMisspelledHardTypeFailsSuggestingTheClosestLabels() {
        InputSchemaException e = assertThrows(InputSchemaException.class,
                () -> HardTypeCheck.check(TYPES, List.of("bit_manipulation", "cryptarithm_dedcue")));
        assertEquals("hard_types lists 'cryptarithm_dedcue' (closest labels: ['cryptarithm_deduce', 'cryptarithm_guess',"
                + " 'bit_manipulation']), but no input row has that type: a hard type that matches nothing would silently"
                + " leave the real type easy. Fix the spelling in hard_types (the input has 3 labels)", e.getMessage());
    }

    /** Through the splitter: before the check, this split succeeded and treated cryptarithm_deduce as easy. */
    @Test
    void theSplitterRunsTheCheck() {
        int n = TYPES.size();
        StagedSummaryCodec.InputSummary s = new StagedSummaryCodec.InputSummary(List.of("f.csv"), new int[n], new int[n],
                TYPES.toArray(new String[0]), new String[n], new int[n], new int[n], new byte[n]);
        assertThrows(InputSchemaException.class, () -> PhaseSplitter.split(s,
                new PhaseSplitter.Params(List.of("bit_manipulation", "Cryptarithm_Deduce "), 1L, java.math.BigInteger.ONE, true, 1, 1)));
    }

    @Test
    void anAllNullTypeColumnSaysSo() {
        InputSchemaException e = assertThrows(InputSchemaException.class,
                () -> HardTypeCheck.check(Arrays.asList(null, null, null), List.of("a")));
        assertTrue(e.getMessage().startsWith("The type column is empty: none of the 3 input rows has a type"), e.getMessage());
    }

    @Test
    void presentHardTypesPass() {
        HardTypeCheck.check(TYPES, List.of("bit_manipulation", "cryptarithm_guess"));
        assertEquals(3, HardTypeCheck.editDistance("kitten", "sitting"));
    }

    /** Labels that differ only by case, surrounding space or control characters are flagged. */
    @Test
    void nearDuplicateLabelsAreGrouped() {
        List<String> labels = List.of("bit_manipulation", "Bit_Manipulation ", "bit_manipulation\u0007", "gravity", "Gravity",
                "cipher");
        assertEquals(List.of(List.of("Bit_Manipulation ", "bit_manipulation", "bit_manipulation\u0007"),
                List.of("Gravity", "gravity")), HardTypeCheck.nearDuplicateLabels(labels));
        assertEquals("type labels that differ only by case, surrounding space or control characters are treated as"
                + " different types: ['Bit_Manipulation ', 'bit_manipulation', 'bit_manipulation\\x07']; ['Gravity', 'gravity']."
                + " Clean the type column if each group is one type", HardTypeCheck.nearDuplicateWarning(labels));
        assertEquals(null, HardTypeCheck.nearDuplicateWarning(List.of("a", "b")));
    }
}
