package io.tracedistill.spark.tokenize;

import java.io.Serializable;
import java.nio.file.Path;
import java.time.LocalDate;

/**
 * Renders one training conversation {@code [user: prompt, assistant: completion]} with the model's chat template into
 * the reference's {@code (prompt, completion)} texts ({@code masking.py::render_prompt_completion}: prompt = render of
 * the user turn with {@code add_generation_prompt=True}, completion = the rest of the full render, accepted only when
 * the prompt is a strict prefix).
 *
 * <p>The production implementation is {@link ChatTemplateTurnRenderer}; tests may plug in another through
 * {@link Factory}. Implementations must be thread-safe (one instance serves every task of an executor JVM).
 */
public interface TurnRenderer {

    /**
     * Renders the pair.
     *
     * @throws RenderFailure with {@link TokenDropReason#TEMPLATE_BOUNDARY} when the boundary is not a strict prefix
     *     or the completion is empty, {@link TokenDropReason#TEMPLATE_ERROR} when the template fails on this row
     */
    Rendered render(String user, String assistant) throws RenderFailure;

    /** {@code sha256:<hex>} of the template source, for the manifest. */
    String fingerprint();

    /** The rendered prompt (ends with the generation prompt) and the assistant completion. */
    record Rendered(String prompt, String completion) {}

    /** A row the template cannot render safely; the stage quarantines it with {@link #reason()}. */
    final class RenderFailure extends Exception {
        private final TokenDropReason reason;

        public RenderFailure(TokenDropReason reason, String message, Throwable cause) {
            super(message, cause);
            this.reason = reason;
        }

        public TokenDropReason reason() {
            return reason;
        }
    }

    /**
     * Creates renderers on the executors (so it must be serializable): one per model directory, thinking flag and
     * chat date, cached per JVM by {@link ExecutorResources}.
     */
    @FunctionalInterface
    interface Factory extends Serializable {
        TurnRenderer create(Path modelDir, boolean enableThinking, LocalDate chatDate);
    }
}
