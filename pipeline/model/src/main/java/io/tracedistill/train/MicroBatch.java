package io.tracedistill.train;

import io.tracedistill.tokens.MaskedExample;
import java.util.List;

/**
 * One micro-batch as the collator builds it: {@code per_device_train_batch_size} examples, right-padded
 * to the longest row with the pad id; attention mask 0 and label -100 on padding (reference: TRL's
 * {@code DataCollatorForLanguageModeling} with {@code padding_side="right"}).
 *
 * <p>Arrays are row-major {@code [rows, paddedLength]}.
 */
public record MicroBatch(List<TokenExample> examples, int paddedLength, int[] inputIds, int[] attentionMask, int[] labels) {

    /** Pads {@code examples} (already truncated) into one micro-batch. */
    public static MicroBatch collate(List<TokenExample> examples, int padId) {
        if (examples.isEmpty()) {
            throw new IllegalArgumentException("a micro-batch needs at least one example");
        }
        int len = 0;
        for (TokenExample e : examples) {
            len = Math.max(len, e.length());
        }
        int rows = examples.size();
        int[] ids = new int[rows * len];
        int[] mask = new int[rows * len];
        int[] labels = new int[rows * len];
        for (int b = 0; b < rows; b++) {
            TokenExample e = examples.get(b);
            int off = b * len;
            for (int t = 0; t < len; t++) {
                boolean real = t < e.length();
                ids[off + t] = real ? e.inputIds()[t] : padId;
                mask[off + t] = real ? 1 : 0;
                labels[off + t] = real ? e.labels()[t] : MaskedExample.IGNORE_INDEX;
            }
        }
        return new MicroBatch(List.copyOf(examples), len, ids, mask, labels);
    }

    /** Rows in this micro-batch. */
    public int rows() {
        return examples.size();
    }

    /** Count of supervised targets after the causal shift ({@code labels[:, 1:] != -100}). */
    public int numShiftedLabelTokens() {
        int n = 0;
        for (TokenExample e : examples) {
            n += e.numShiftedLabelTokens();
        }
        return n;
    }

    /** Count of non-pad tokens (what TRL logs as {@code num_tokens}). */
    public long numTokens() {
        long n = 0;
        for (int m : attentionMask) {
            n += m;
        }
        return n;
    }
}
