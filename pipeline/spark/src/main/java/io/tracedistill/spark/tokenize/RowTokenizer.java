package io.tracedistill.spark.tokenize;

import io.tracedistill.tokens.CompletionMasker;
import io.tracedistill.tokens.MaskedExample;
import io.tracedistill.tokens.TextTokenizer;
import java.util.Optional;

/**
 * One prepared row to one {@link TokenizedRow}: the reference's {@code training.py::_tokenize_records} body for a
 * single record ({@code render_prompt_completion} then {@code tokenize_with_masked_prompt}), with the failures the
 * reference would crash on turned into quarantine reasons.
 */
public final class RowTokenizer {

    private final TextTokenizer tokenizer;
    private final TurnRenderer renderer;
    private final int maxLength;

    public RowTokenizer(TextTokenizer tokenizer, TurnRenderer renderer, int maxLength) {
        this.tokenizer = tokenizer;
        this.renderer = renderer;
        this.maxLength = maxLength;
    }

    /**
     * Renders {@code [user, assistant]}, tokenizes and masks.
     *
     * @param user the prepared {@code prompt} column (user turn, suffix included)
     * @param assistant the prepared {@code completion} column (assistant turn)
     */
    public TokenizedRow tokenize(String user, String assistant) {
        TurnRenderer.Rendered rendered;
        try {
            rendered = renderer.render(user, assistant);
        } catch (TurnRenderer.RenderFailure e) {
            return new TokenizedRow.Dropped(e.reason(), e.getMessage());
        }
        Optional<MaskedExample> example =
                CompletionMasker.mask(tokenizer, rendered.prompt(), rendered.completion(), maxLength);
        if (example.isEmpty()) {
            return new TokenizedRow.Dropped(TokenDropReason.TRUNCATED_NO_COMPLETION,
                    "max_length " + maxLength + " truncation leaves no completion token (the rendered prompt alone "
                            + "has " + tokenizer.encode(rendered.prompt()).size() + " tokens); raise max_length "
                            + "or shorten the prompt");
        }
        return new TokenizedRow.Kept(example.get());
    }
}
