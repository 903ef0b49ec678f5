package io.tracedistill.spark.tokenize;

import java.nio.file.Path;
import java.time.LocalDate;

/**
 * A hand-written renderer equal to the tiny models' ChatML template ({@code fixtures/README.md}: per message
 * {@code <|im_start|>{role}\n{content}<|im_end|>\n}, plus {@code <|im_start|>assistant\n} as generation prompt), so the
 * stage can be tested independently of the Jinja renderer. For quarantine tests a user turn containing
 * {@value #BOUNDARY_MARKER} or {@value #ERROR_MARKER} fails like a non-prefix template or a template error.
 */
final class ChatMlTestRenderer implements TurnRenderer {

    static final String BOUNDARY_MARKER = "@@boundary@@";
    static final String ERROR_MARKER = "@@error@@";
    static final TurnRenderer.Factory FACTORY = ChatMlTestRenderer::create;

    private static TurnRenderer create(Path modelDir, boolean enableThinking, LocalDate chatDate) {
        return new ChatMlTestRenderer();
    }

    @Override
    public Rendered render(String user, String assistant) throws RenderFailure {
        if (user.contains(BOUNDARY_MARKER)) {
            throw new RenderFailure(TokenDropReason.TEMPLATE_BOUNDARY, "test: prompt is not a prefix", null);
        }
        if (user.contains(ERROR_MARKER)) {
            throw new RenderFailure(TokenDropReason.TEMPLATE_ERROR, "test: template raised", null);
        }
        return new Rendered("<|im_start|>user\n" + user + "<|im_end|>\n<|im_start|>assistant\n",
                assistant + "<|im_end|>\n");
    }

    @Override
    public String fingerprint() {
        return "test:chatml";
    }
}
