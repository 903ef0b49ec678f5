package io.tracedistill.eval;

import io.tracedistill.chat.ChatRenderer;
import io.tracedistill.chat.ChatTemplate;
import io.tracedistill.chat.jinja.TemplateException;
import io.tracedistill.tokens.HfTokenizer;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Turns a user turn into the prompt token ids the model continues from, exactly as training renders the prompt
 * half of a record ({@code masking.py::render_prompt_completion}):
 * {@code apply_chat_template([{"role": "user", "content": user}], add_generation_prompt=True,
 * enable_thinking=...)}, retried without {@code enable_thinking} when the template rejects it, then
 * {@code tokenizer(text, add_special_tokens=False)}.
 *
 * <p>Thread-safe (the template and the tokenizer are); one instance per model directory per JVM via
 * {@link ArmModels#encoder}.
 */
public final class EvalPromptEncoder {
    static final String ENABLE_THINKING = "enable_thinking";

    private final ChatRenderer template;
    private final HfTokenizer tokenizer;
    private final boolean enableThinking;

    public EvalPromptEncoder(ChatRenderer template, HfTokenizer tokenizer, boolean enableThinking) {
        this.template = template;
        this.tokenizer = tokenizer;
        this.enableThinking = enableThinking;
    }

    /** Loads the chat template and tokenizer of {@code modelDir}; {@code chatDate} freezes {@code strftime_now}. */
    public static EvalPromptEncoder load(Path modelDir, boolean enableThinking, Optional<LocalDate> chatDate) {
        HfTokenizer tokenizer = HfTokenizer.load(modelDir);
        ChatTemplate template = ChatTemplate.fromTokenizerConfig(modelDir);
        if (chatDate.isPresent()) {
            template = template.withDate(chatDate.get());
        }
        return new EvalPromptEncoder(template, tokenizer, enableThinking);
    }

    /** The rendered prompt text (ends with the assistant header). @throws TemplateException if the template fails */
    public String render(String user) {
        Map<String, Object> message = new LinkedHashMap<>();
        message.put("role", "user");
        message.put("content", user);
        List<Map<String, Object>> messages = List.of(message);
        Map<String, Object> extra = new LinkedHashMap<>();
        extra.put(ENABLE_THINKING, enableThinking);
        try {
            return template.render(messages, true, extra);
        } catch (ChatRenderer.UnsupportedArgumentException e) {
            if (!ENABLE_THINKING.equals(e.argument())) {
                throw e;
            }
            return template.render(messages, true, Map.of());
        }
    }

    /** Prompt token ids of {@code user}. @throws TemplateException if the template fails on it */
    public int[] encode(String user) {
        return tokenizer.encode(render(user)).ids();
    }

    /**
     * Encodes one example and applies the context rule.
     *
     * @return the ids, or the reason the row is not decoded (template errors are per-row outcomes, not job failures)
     */
    public EncodedPrompt encode(EvalExample example, ContextLimit limit) {
        int[] ids;
        try {
            ids = encode(example.user());
        } catch (TemplateException e) {
            return EncodedPrompt.skipped(example, SkipReason.TEMPLATE_ERROR, e.getMessage(), 0);
        }
        Optional<SkipReason> skip = limit.check(ids.length);
        if (skip.isPresent()) {
            return EncodedPrompt.skipped(example, skip.get(), ids.length + " prompt tokens; needs "
                    + limit.describe(), ids.length);
        }
        return EncodedPrompt.decodable(example, ids);
    }
}
