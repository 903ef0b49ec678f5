package io.tracedistill.eval;

import java.io.Serializable;
import java.util.Objects;

/**
 * One eval row as the decoder sees it.
 *
 * @param rowIndex 0-based index of the row in the eval input (file path order, then row order); stable key
 * @param type     Python {@code str(type)} of the row's problem family
 * @param gold     Python {@code str(answer)}
 * @param user     the user turn: {@code str(prompt) + prompt_suffix}, exactly as in training
 */
public record EvalExample(long rowIndex, String type, String gold, String user) implements Serializable {
    public EvalExample {
        if (rowIndex < 0) {
            throw new IllegalArgumentException("rowIndex must be >= 0, got " + rowIndex);
        }
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(gold, "gold");
        Objects.requireNonNull(user, "user");
    }
}
