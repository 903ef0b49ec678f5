package io.tracedistill.tokens;

import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;

/**
 * The result of encoding one text: token ids and, when the tokenizer can report them, the character span of
 * every token.
 *
 * <p>Spans are {@code [start, end)} <b>Java {@code String} indices (UTF-16 units)</b> into the encoded text. The Hugging
 * Face Python API reports them in code points; the two orders agree (the code point to UTF-16 index map is strictly
 * increasing), so {@code start >= prompt.length()} in Java selects exactly the tokens that
 * {@code start >= len(prompt)} selects in Python. A token made only of added/special text that the tokenizer did not
 * map back to the input has {@code start == end}.
 *
 * @param ids token ids, one per token
 * @param offsets the token spans, or empty when the tokenizer cannot report offsets (HF "slow" tokenizers), which
 *     sends {@link CompletionMasker} to the reference's no-offsets fallback
 */
public record Encoding(int[] ids, Optional<Spans> offsets) {

    public Encoding {
        Objects.requireNonNull(ids, "ids");
        Objects.requireNonNull(offsets, "offsets");
        offsets.ifPresent(spans -> {
            if (spans.starts().length != ids.length) {
                throw new IllegalArgumentException("Encoding has " + ids.length + " ids but "
                        + spans.starts().length + " offset spans; a tokenizer must report one span per token.");
            }
        });
    }

    /** An encoding with spans. */
    public static Encoding withOffsets(int[] ids, int[] starts, int[] ends) {
        return new Encoding(ids, Optional.of(new Spans(starts, ends)));
    }

    /** An encoding from a tokenizer that cannot report offsets. */
    public static Encoding withoutOffsets(int[] ids) {
        return new Encoding(ids, Optional.empty());
    }

    /** Number of tokens. */
    public int size() {
        return ids.length;
    }

    /** Per-token {@code [start, end)} UTF-16 spans into the encoded text; {@code starts.length == ends.length}. */
    public record Spans(int[] starts, int[] ends) {
        public Spans {
            Objects.requireNonNull(starts, "starts");
            Objects.requireNonNull(ends, "ends");
            if (starts.length != ends.length) {
                throw new IllegalArgumentException(
                        "Offset spans need as many starts as ends, got " + starts.length + " and " + ends.length);
            }
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Spans s && Arrays.equals(starts, s.starts) && Arrays.equals(ends, s.ends);
        }

        @Override
        public int hashCode() {
            return 31 * Arrays.hashCode(starts) + Arrays.hashCode(ends);
        }

        @Override
        public String toString() {
            return "Spans" + Arrays.toString(starts) + Arrays.toString(ends);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Encoding e && Arrays.equals(ids, e.ids) && offsets.equals(e.offsets);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(ids) + offsets.hashCode();
    }

    @Override
    public String toString() {
        return "Encoding{ids=" + Arrays.toString(ids) + ", offsets=" + offsets + "}";
    }
}
