package io.tracedistill.spark.tokenize;

import io.tracedistill.tokens.MaskedExample;
import java.util.Objects;

/**
 * The outcome of rendering, tokenizing and masking one prepared row: either a {@link MaskedExample} or a drop reason
 * with a human-readable detail (the renderer's message).
 */
public sealed interface TokenizedRow {

    /** A kept example. */
    record Kept(MaskedExample example) implements TokenizedRow {
        public Kept {
            Objects.requireNonNull(example, "example");
        }
    }

    /** A quarantined row. */
    record Dropped(TokenDropReason reason, String detail) implements TokenizedRow {
        public Dropped {
            Objects.requireNonNull(reason, "reason");
            Objects.requireNonNull(detail, "detail");
        }
    }
}
