package io.tracedistill.eval;

import java.io.Serializable;
import java.util.Optional;

/**
 * Which prompts fit the context. Decision: a row is decoded only if its whole generation fits, i.e.
 * {@code prompt_tokens + max_new_tokens <= limit} with {@code limit = min(max_length, max_position_embeddings)}
 * ({@code max_length} from the run config, the model's own limit from {@code config.json}). A row that does not fit
 * is reported with {@link SkipReason#PROMPT_TOO_LONG} instead of being truncated: a truncated prompt would be graded
 * against a question the model never saw, and positions past the model's limit are untrained.
 *
 * @param maxLength         config {@code max_length}
 * @param modelMaxPositions the model's {@code max_position_embeddings}
 * @param maxNewTokens      config {@code eval_max_new_tokens}
 */
public record ContextLimit(int maxLength, int modelMaxPositions, int maxNewTokens) implements Serializable {
    /** max_length and eval_max_new_tokens were checked when the config loaded; the model's limit is checked here. */
    public ContextLimit {
        if (modelMaxPositions < 1) {
            throw new IllegalArgumentException("max_position_embeddings (" + modelMaxPositions + ") of the model must be >= 1");
        }
    }

    /** {@code min(max_length, max_position_embeddings)}. */
    public int limit() {
        return Math.min(maxLength, modelMaxPositions);
    }

    /** The longest prompt that is decoded: {@code limit() - maxNewTokens} (may be negative: nothing fits). */
    public int maxPromptTokens() {
        return limit() - maxNewTokens;
    }

    /** Empty if a prompt of {@code promptTokens} tokens is decoded, else the reason it is not. */
    public Optional<SkipReason> check(int promptTokens) {
        return promptTokens <= maxPromptTokens() ? Optional.empty() : Optional.of(SkipReason.PROMPT_TOO_LONG);
    }

    /** A human-readable statement of the rule with its numbers, for reports. */
    public String describe() {
        return "prompt_tokens + max_new_tokens (" + maxNewTokens + ") <= min(max_length " + maxLength
                + ", max_position_embeddings " + modelMaxPositions + ") = " + limit();
    }
}
