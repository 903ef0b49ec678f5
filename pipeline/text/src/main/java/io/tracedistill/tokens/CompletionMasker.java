package io.tracedistill.tokens;

import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;

/**
 * Completion-only masking: tokenizes {@code prompt + completion} once and sets the label of every token that starts
 * before the completion to {@code -100}.
 *
 * <p>Port of the reference's {@code tracedistill.masking.tokenize_with_masked_prompt} (commit 400d131), pinned by
 * {@code golden/masking.json}. Steps:
 * <ol>
 *   <li>{@code max_length <= 0} and an empty completion are rejected, in that order, with the reference's messages.</li>
 *   <li>The full text is encoded and truncated to its first {@code max_length} tokens (HF {@code truncation=True},
 *       right side).</li>
 *   <li><b>Offsets path</b> (fast tokenizers): the completion starts at the first token with a non-empty span whose
 *       start is {@code >= len(prompt)}. A token straddling the boundary starts before it, so it stays masked: no
 *       prompt text ever reaches the loss. Empty spans (special tokens) are masked defensively.</li>
 *   <li><b>No-offsets fallback</b> (slow tokenizers): the prompt is encoded alone (untruncated) and compared with the
 *       full encoding token by token; the completion starts after the common prefix, plus one more token when the
 *       two diverge inside the prompt (the boundary token changed at the join, so it is masked too).</li>
 *   <li>If no token of the completion survived truncation the example is empty ({@link Optional#empty()}, the
 *       reference's {@code None}); the caller quarantines it as {@code truncated_no_completion}.</li>
 * </ol>
 */
public final class CompletionMasker {

    private CompletionMasker() {}

    /**
     * Tokenizes and masks one example.
     *
     * @param tokenizer the model's tokenizer
     * @param prompt the rendered prompt (chat template up to and including the generation prompt)
     * @param completion the rendered assistant completion; must not be empty
     * @param maxLength the token budget; must be positive
     * @return the masked example, or empty when truncation left no completion token
     * @throws IllegalArgumentException {@code "max_length must be positive."} or
     *     {@code "completion must not be empty."} (the reference's ValueError messages)
     */
    public static Optional<MaskedExample> mask(TextTokenizer tokenizer, String prompt, String completion,
            int maxLength) {
        Objects.requireNonNull(tokenizer, "tokenizer");
        Objects.requireNonNull(prompt, "prompt");
        Objects.requireNonNull(completion, "completion");
        if (maxLength <= 0) {
            throw new IllegalArgumentException("max_length must be positive.");
        }
        if (completion.isEmpty()) {
            throw new IllegalArgumentException("completion must not be empty.");
        }

        String full = prompt + completion;
        Encoding encoding = tokenizer.encode(full);
        int kept = Math.min(encoding.size(), maxLength);
        int[] inputIds = Arrays.copyOf(encoding.ids(), kept);

        int completionStart;
        if (encoding.offsets().isPresent()) {
            completionStart = startFromOffsets(encoding.offsets().get(), kept, prompt.length());
        } else {
            completionStart = startFromCommonPrefix(tokenizer.encode(prompt).ids(), inputIds);
        }

        if (completionStart >= inputIds.length) {
            return Optional.empty();
        }
        int[] labels = inputIds.clone();
        Arrays.fill(labels, 0, completionStart, MaskedExample.IGNORE_INDEX);
        int[] attentionMask = new int[inputIds.length];
        Arrays.fill(attentionMask, 1);
        return Optional.of(new MaskedExample(inputIds, attentionMask, labels));
    }

    /** First kept token whose span is non-empty and starts at or after {@code boundary}; {@code kept} if none. */
    private static int startFromOffsets(Encoding.Spans spans, int kept, int boundary) {
        for (int i = 0; i < kept; i++) {
            int start = spans.starts()[i];
            int end = spans.ends()[i];
            if (end > start && start >= boundary) {
                return i;
            }
        }
        return kept;
    }

    /**
     * Length of the common prefix of the prompt-alone and full (truncated) encodings, plus one when they diverge
     * before either ends (the token at the join changed: mask it as well).
     */
    private static int startFromCommonPrefix(int[] promptIds, int[] inputIds) {
        int common = 0;
        int limit = Math.min(promptIds.length, inputIds.length);
        while (common < limit && promptIds[common] == inputIds[common]) {
            common++;
        }
        boolean divergedInsidePrompt = common < promptIds.length && common < inputIds.length;
        return common + (divergedInsidePrompt ? 1 : 0);
    }
}
