package io.tracedistill.tokens;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Hand-checkable cases for {@link CompletionMasker} and {@link MaskedSpanPrinter}. */
class CompletionMaskerTest {

    private static final int M = -100;
    private final TextTokenizer chars = new ToyGreedyTokenizer(List.of(), 1000, true);
    private final TextTokenizer charsNoOffsets = new ToyGreedyTokenizer(List.of(), 1000, false);
    // "c:" merges across the join of prompt "ab" + ... no: prompt "xc", completion ":y" -> "c:" straddles.
    private final TextTokenizer straddle = new ToyGreedyTokenizer(List.of("c:"), 1000, true);
    private final TextTokenizer straddleNoOffsets = new ToyGreedyTokenizer(List.of("c:"), 1000, false);

    @Test
    void masksEveryPromptCharacter() {
        MaskedExample ex = CompletionMasker.mask(chars, "ab", "cd", 10).orElseThrow();
        assertArrayEquals(new int[] {'a', 'b', 'c', 'd'}, ex.inputIds());
        assertArrayEquals(new int[] {1, 1, 1, 1}, ex.attentionMask());
        assertArrayEquals(new int[] {M, M, 'c', 'd'}, ex.labels());
        assertEquals(2, ex.numLossTokens());
        assertEquals(2, ex.completionStart());
    }

    @Test
    void tokenStraddlingTheBoundaryIsMaskedWithOffsets() {
        // "xc" + ":y" -> x | c: | y ; "c:" starts inside the prompt so it is masked.
        MaskedExample ex = CompletionMasker.mask(straddle, "xc", ":y", 10).orElseThrow();
        assertArrayEquals(new int[] {'x', 1000, 'y'}, ex.inputIds());
        assertArrayEquals(new int[] {M, M, 'y'}, ex.labels());
    }

    @Test
    void boundaryTokenIsMaskedWithoutOffsets() {
        // prompt alone: x | c ; full: x | c: | y -> common prefix 1, diverged inside prompt -> start 2.
        MaskedExample ex = CompletionMasker.mask(straddleNoOffsets, "xc", ":y", 10).orElseThrow();
        assertArrayEquals(new int[] {M, M, 'y'}, ex.labels());
        // no divergence: common prefix = whole prompt, nothing extra masked.
        assertArrayEquals(new int[] {M, M, 'c'}, CompletionMasker.mask(charsNoOffsets, "ab", "c", 5)
                .orElseThrow().labels());
    }

    @Test
    void truncationKeepsTheStartAndDropsExamplesWithoutCompletion() {
        assertArrayEquals(new int[] {M, M, 'c'}, CompletionMasker.mask(chars, "ab", "cdef", 3).orElseThrow().labels());
        assertEquals(Optional.empty(), CompletionMasker.mask(chars, "ab", "cd", 2));
        assertEquals(Optional.empty(), CompletionMasker.mask(charsNoOffsets, "ab", "cd", 2));
        // only the straddling token would survive: nothing supervised remains.
        assertEquals(Optional.empty(), CompletionMasker.mask(straddle, "xc", ":y", 2));
    }

    @Test
    void emptyPromptSupervisesEverything() {
        assertArrayEquals(new int[] {'a', 'b'}, CompletionMasker.mask(chars, "", "ab", 4).orElseThrow().labels());
    }

    @Test
    void astralCharactersCountAsOneTokenAndBoundaryUsesJavaIndices() {
        // prompt has an emoji (2 UTF-16 units, 1 code point); completion begins right after it.
        MaskedExample ex = CompletionMasker.mask(chars, "\uD83D\uDE00", "z", 4).orElseThrow();
        assertArrayEquals(new int[] {0x1F600, 'z'}, ex.inputIds());
        assertArrayEquals(new int[] {M, 'z'}, ex.labels());
    }

    @Test
    void rejectsBadArgumentsWithTheReferenceMessagesInTheReferenceOrder() {
        var e1 = assertThrows(IllegalArgumentException.class, () -> CompletionMasker.mask(chars, "p", "", 0));
        assertEquals("max_length must be positive.", e1.getMessage());
        var e2 = assertThrows(IllegalArgumentException.class, () -> CompletionMasker.mask(chars, "p", "", 3));
        assertEquals("completion must not be empty.", e2.getMessage());
    }

    @Test
    void printerBracketsMaskedTokensAndBreaksLinesAfterNewlines() {
        MaskedExample ex = CompletionMasker.mask(chars, "a\n", "\"b", 10).orElseThrow();
        String text = MaskedSpanPrinter.render(chars, ex);
        assertEquals("4 tokens: 2 masked (label -100), 2 supervised [bracketed = masked]\n"
                + "[(97, \"a\")] [(10, \"\\n\")]\n"
                + "(34, \"\\\"\") (98, \"b\")\n", text);
        String ansi = MaskedSpanPrinter.render(chars, ex, true);
        assertTrue(ansi.contains("\u001b[31m(97, \"a\")\u001b[0m"), ansi);
        assertTrue(ansi.contains("\u001b[32m(98, \"b\")\u001b[0m"), ansi);
    }

    @Test
    void printerShowsALabelThatDiffersFromItsId() {
        MaskedExample ex = new MaskedExample(new int[] {97, 98}, new int[] {1, 1}, new int[] {M, 99});
        assertEquals("2 tokens: 1 masked (label -100), 1 supervised [bracketed = masked]\n"
                + "[(97, \"a\")] (98->99, \"b\")\n", MaskedSpanPrinter.render(chars, ex));
    }

    @Test
    void missingTokenizerFileIsNamed(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) {
        var e = assertThrows(IllegalArgumentException.class, () -> HfTokenizer.load(dir));
        assertTrue(e.getMessage().contains(dir.resolve("tokenizer.json").toAbsolutePath().toString()), e.getMessage());
        assertTrue(e.getMessage().contains("tokenizer.json"), e.getMessage());
    }

    @Test
    void invalidTokenizerFileIsNamed(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        java.nio.file.Path bad = dir.resolve("tokenizer.json");
        java.nio.file.Files.writeString(bad, "{\"not\": \"a tokenizer\"}");
        var e = assertThrows(IllegalArgumentException.class, () -> HfTokenizer.load(bad));
        assertTrue(e.getMessage().startsWith("Cannot load tokenizer " + bad.toAbsolutePath()), e.getMessage());
    }
}
