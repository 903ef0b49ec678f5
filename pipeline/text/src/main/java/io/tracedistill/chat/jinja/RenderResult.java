package io.tracedistill.chat.jinja;

import java.util.List;

/**
 * The output of one render.
 *
 * @param text the rendered string
 * @param generationSpans {@code [start, end)} of each {@code {% generation %}} body, in <b>code points</b> (Python
 *     string indices, as transformers' {@code return_assistant_tokens_mask} reports them); use
 *     {@link #generationSpansUtf16()} to slice the Java string
 */
public record RenderResult(String text, List<int[]> generationSpans) {

    public RenderResult {
        generationSpans = List.copyOf(generationSpans);
    }

    /** The generation spans as UTF-16 offsets into {@link #text()}. */
    public List<int[]> generationSpansUtf16() {
        return generationSpans.stream()
                .map(s -> new int[] {text.offsetByCodePoints(0, s[0]), text.offsetByCodePoints(0, s[1])})
                .toList();
    }
}
