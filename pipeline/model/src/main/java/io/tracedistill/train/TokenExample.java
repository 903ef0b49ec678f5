package io.tracedistill.train;

import static io.tracedistill.tokens.MaskedExample.IGNORE_INDEX;

import java.util.Arrays;

/**
 * One tokenized training example, as a token shard row holds it: its 0-based training
 * {@code position} in the phase, its {@code type}, the {@code input_ids} and the {@code labels}
 * (= input ids with -100 on every prompt token; reference {@code tokenize_with_masked_prompt}).
 */
public record TokenExample(long position, String type, int[] inputIds, int[] labels) {

    public TokenExample {
        if (inputIds == null || labels == null) {
            throw new IllegalArgumentException("example at position " + position + ": input_ids and labels must not be null");
        }
        if (inputIds.length != labels.length) {
            throw new IllegalArgumentException("example at position " + position + ": input_ids has " + inputIds.length
                    + " tokens but labels has " + labels.length + "; re-run the tokenize stage");
        }
        if (inputIds.length == 0) {
            throw new IllegalArgumentException("example at position " + position + " has no tokens; re-run the tokenize stage");
        }
    }

    /** Number of tokens. */
    public int length() {
        return inputIds.length;
    }

    /** Keep-start truncation (TRL {@code truncation_mode="keep_start"}): the first {@code maxLength} tokens. */
    public TokenExample truncated(int maxLength) {
        if (inputIds.length <= maxLength) {
            return this;
        }
        return new TokenExample(position, type, Arrays.copyOf(inputIds, maxLength), Arrays.copyOf(labels, maxLength));
    }

    /**
     * Supervised targets after the causal shift: count of {@code labels[1:] != -100} (what
     * transformers counts into {@code num_items_in_batch}).
     */
    public int numShiftedLabelTokens() {
        int n = 0;
        for (int t = 1; t < labels.length; t++) {
            if (labels[t] != IGNORE_INDEX) {
                n++;
            }
        }
        return n;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TokenExample e && e.position == position && java.util.Objects.equals(e.type, type)
                && Arrays.equals(e.inputIds, inputIds) && Arrays.equals(e.labels, labels);
    }

    @Override
    public int hashCode() {
        return 31 * Long.hashCode(position) + Arrays.hashCode(inputIds);
    }

    @Override
    public String toString() {
        return "TokenExample[position=" + position + ", type=" + type + ", length=" + inputIds.length + "]";
    }
}
