package io.tracedistill.tokens;

import java.util.Arrays;
import java.util.Objects;

/**
 * One supervised training example: the tokens of {@code prompt + completion} and their labels, with
 * {@link #IGNORE_INDEX} on every prompt token (the reference's {@code tokenize_with_masked_prompt} result dict).
 *
 * @param inputIds token ids, length {@code T <= max_length}
 * @param attentionMask {@code 1} per token (no padding here; the trainer's collator pads)
 * @param labels {@code inputIds} with {@code -100} on the masked prompt prefix; at least one label is not -100
 */
public record MaskedExample(int[] inputIds, int[] attentionMask, int[] labels) {

    /** The label value the loss ignores (PyTorch/HF {@code ignore_index}). */
    public static final int IGNORE_INDEX = -100;

    public MaskedExample {
        Objects.requireNonNull(inputIds, "inputIds");
        Objects.requireNonNull(attentionMask, "attentionMask");
        Objects.requireNonNull(labels, "labels");
        if (attentionMask.length != inputIds.length || labels.length != inputIds.length) {
            throw new IllegalArgumentException("MaskedExample arrays differ in length: input_ids " + inputIds.length
                    + ", attention_mask " + attentionMask.length + ", labels " + labels.length);
        }
    }

    /** Number of tokens {@code T}. */
    public int numTokens() {
        return inputIds.length;
    }

    /** Number of supervised tokens (labels other than -100). */
    public int numLossTokens() {
        int n = 0;
        for (int label : labels) {
            if (label != IGNORE_INDEX) {
                n++;
            }
        }
        return n;
    }

    /** Index of the first supervised token (the masked prefix length). */
    public int completionStart() {
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] != IGNORE_INDEX) {
                return i;
            }
        }
        return labels.length;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof MaskedExample m && Arrays.equals(inputIds, m.inputIds)
                && Arrays.equals(attentionMask, m.attentionMask) && Arrays.equals(labels, m.labels);
    }

    @Override
    public int hashCode() {
        return Objects.hash(Arrays.hashCode(inputIds), Arrays.hashCode(attentionMask), Arrays.hashCode(labels));
    }

    @Override
    public String toString() {
        return "MaskedExample{input_ids=" + Arrays.toString(inputIds) + ", attention_mask="
                + Arrays.toString(attentionMask) + ", labels=" + Arrays.toString(labels) + "}";
    }
}
