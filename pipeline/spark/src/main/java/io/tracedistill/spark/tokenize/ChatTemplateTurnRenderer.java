package io.tracedistill.spark.tokenize;

import io.tracedistill.chat.ChatTemplate;
import io.tracedistill.chat.PromptCompletion;
import io.tracedistill.chat.PromptCompletionException;
import io.tracedistill.chat.PromptCompletionRenderer;
import io.tracedistill.chat.jinja.TemplateException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.LocalDate;
import java.util.HexFormat;

/**
 * The production {@link TurnRenderer}: the model's own chat template ({@code tokenizer_config.json} /
 * {@code chat_template.jinja} of the model directory, via {@link ChatTemplate}) with {@code strftime_now} frozen at the
 * run's chat date, split into prompt and completion by {@link PromptCompletionRenderer} (fail-closed strict-prefix
 * boundary). A refused boundary becomes {@link TokenDropReason#TEMPLATE_BOUNDARY}, a template error
 * {@link TokenDropReason#TEMPLATE_ERROR}.
 */
public final class ChatTemplateTurnRenderer implements TurnRenderer {

    /** Builds the renderer on each executor from the model directory. */
    public static final TurnRenderer.Factory FACTORY = ChatTemplateTurnRenderer::load;

    private final PromptCompletionRenderer renderer;
    private final boolean enableThinking;
    private final String fingerprint;

    private ChatTemplateTurnRenderer(ChatTemplate template, boolean enableThinking) {
        this.renderer = new PromptCompletionRenderer(template);
        this.enableThinking = enableThinking;
        this.fingerprint = "sha256:" + sha256(template.source());
    }

    /**
     * Loads the template of {@code modelDir}.
     *
     * @throws TemplateException naming the file when the directory has no chat template or it does not parse
     */
    public static ChatTemplateTurnRenderer load(Path modelDir, boolean enableThinking, LocalDate chatDate) {
        return new ChatTemplateTurnRenderer(ChatTemplate.fromTokenizerConfig(modelDir).withDate(chatDate),
                enableThinking);
    }

    @Override
    public Rendered render(String user, String assistant) throws RenderFailure {
        try {
            PromptCompletion pc = renderer.render(user, assistant, enableThinking);
            return new Rendered(pc.prompt(), pc.completion());
        } catch (PromptCompletionException e) {
            throw new RenderFailure(TokenDropReason.TEMPLATE_BOUNDARY, e.reason().code() + ": " + e.getMessage(), e);
        } catch (TemplateException e) {
            throw new RenderFailure(TokenDropReason.TEMPLATE_ERROR, e.getMessage(), e);
        }
    }

    @Override
    public String fingerprint() {
        return fingerprint;
    }

    private static String sha256(String text) {
        try {
            return HexFormat.of().formatHex(
                    MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }
}
