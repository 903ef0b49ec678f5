package io.tracedistill.eval;

import java.util.Objects;
import java.util.Optional;

/**
 * An eval row after prompt rendering and tokenization: either decodable ({@link #ids()} non-empty,
 * {@link #skip()} empty) or skipped with a reason and detail.
 *
 * @param example      the row
 * @param ids          prompt token ids (empty when skipped)
 * @param promptTokens number of prompt tokens (0 when the template failed)
 * @param skip         why the row is not decoded, if it is not
 * @param detail       human-readable detail of the skip ("" when decodable)
 */
public record EncodedPrompt(EvalExample example, int[] ids, int promptTokens, Optional<SkipReason> skip,
        String detail) {
    public EncodedPrompt {
        Objects.requireNonNull(example, "example");
        Objects.requireNonNull(ids, "ids");
        Objects.requireNonNull(skip, "skip");
        Objects.requireNonNull(detail, "detail");
        if (skip.isEmpty() && ids.length == 0) {
            throw new IllegalArgumentException("row " + example.rowIndex() + ": a decodable prompt has no tokens");
        }
    }

    public static EncodedPrompt decodable(EvalExample example, int[] ids) {
        return new EncodedPrompt(example, ids, ids.length, Optional.empty(), "");
    }

    public static EncodedPrompt skipped(EvalExample example, SkipReason reason, String detail, int promptTokens) {
        return new EncodedPrompt(example, new int[0], promptTokens, Optional.of(reason), detail);
    }

    public boolean decodable() {
        return skip.isEmpty();
    }
}
