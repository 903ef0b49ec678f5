package io.tracedistill.tokens;

/**
 * A tokenizer as the completion-only masking sees it: Hugging Face {@code tokenizer(text, add_special_tokens=False,
 * return_offsets_mapping=True)} without truncation (the caller truncates, keeping the start, as HF's default
 * {@code truncation_side="right"} does).
 *
 * <p>Implementations: {@link HfTokenizer} (a real {@code tokenizer.json} through DJL) and, in tests, the golden file's
 * toy greedy tokenizer. Implementations must be safe to call from several threads (Spark runs one task per core in the
 * same executor JVM and shares one instance through a per-JVM cache).
 */
public interface TextTokenizer {

    /**
     * Encodes {@code text} without adding special tokens (no BOS/EOS from a post-processor) and without truncation.
     * Special tokens written literally in the text (e.g. {@code <|im_start|>}) are still matched as added tokens.
     */
    Encoding encode(String text);

    /**
     * The text one token id stands for, for debug printing ({@link MaskedSpanPrinter}); special tokens are
     * included verbatim. Byte-level pieces that are not valid UTF-8 on their own may print as U+FFFD.
     */
    String tokenText(int id);

    /**
     * The text of a run of ids, special tokens verbatim (so byte-level pieces of one character join up). The default
     * concatenates {@link #tokenText}.
     */
    default String decode(int[] ids) {
        StringBuilder sb = new StringBuilder();
        for (int id : ids) {
            sb.append(tokenText(id));
        }
        return sb.toString();
    }
}
