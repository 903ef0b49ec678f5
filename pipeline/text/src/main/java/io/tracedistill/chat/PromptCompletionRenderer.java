package io.tracedistill.chat;

import io.tracedistill.chat.jinja.TemplateException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Renders a conversation into (prompt, completion) for completion-only training, failing closed: the completion is
 * {@code full[len(prompt):]} <b>only</b> when the prompt render is a strict prefix of the full render, otherwise the
 * conversation is refused (never guessed). Reference: tracedistill {@code masking.render_prompt_completion(tokenizer,
 * messages, *, enable_thinking=True)}:
 * <ol>
 *   <li>at least two messages, the last with {@code role == 'assistant'};
 *   <li>{@code prompt = apply_chat_template(messages[:-1], add_generation_prompt=True, enable_thinking=...)};
 *   <li>{@code full = apply_chat_template(messages, add_generation_prompt=False, enable_thinking=...)};
 *   <li>a renderer that rejects the {@code enable_thinking} argument is called again without it;
 *   <li>{@code full} must start with {@code prompt}, and the completion must not be empty.
 * </ol>
 */
public final class PromptCompletionRenderer {

    /** The template variable that switches the thinking block (the reference passes it to every render). */
    public static final String ENABLE_THINKING = "enable_thinking";

    private final ChatRenderer template;

    public PromptCompletionRenderer(ChatRenderer template) {
        this.template = Objects.requireNonNull(template, "template");
    }

    /**
     * @throws PromptCompletionException with the reference's message when the conversation cannot be split safely
     * @throws TemplateException when the template itself fails
     */
    public PromptCompletion render(List<Map<String, Object>> messages, boolean enableThinking) {
        if (messages.size() < 2) {
            throw new PromptCompletionException(PromptCompletionException.Reason.TOO_FEW_MESSAGES);
        }
        Object role = messages.get(messages.size() - 1).get("role");
        if (!"assistant".equals(role)) {
            throw new PromptCompletionException(PromptCompletionException.Reason.LAST_NOT_ASSISTANT);
        }
        String prompt = apply(messages.subList(0, messages.size() - 1), true, enableThinking);
        String full = apply(messages, false, enableThinking);
        if (!full.startsWith(prompt)) {
            throw new PromptCompletionException(PromptCompletionException.Reason.NOT_A_PREFIX);
        }
        String completion = full.substring(prompt.length());
        if (completion.isEmpty()) {
            throw new PromptCompletionException(PromptCompletionException.Reason.EMPTY_COMPLETION);
        }
        return new PromptCompletion(prompt, completion);
    }

    /** The two-turn record of the format contract: {@code [user, assistant]}. */
    public PromptCompletion render(String user, String assistant, boolean enableThinking) {
        Map<String, Object> u = new LinkedHashMap<>();
        u.put("role", "user");
        u.put("content", user);
        Map<String, Object> a = new LinkedHashMap<>();
        a.put("role", "assistant");
        a.put("content", assistant);
        return render(List.of(u, a), enableThinking);
    }

    private String apply(List<Map<String, Object>> messages, boolean addGenerationPrompt, boolean enableThinking) {
        Map<String, Object> extra = new LinkedHashMap<>();
        extra.put(ENABLE_THINKING, enableThinking);
        try {
            return template.render(messages, addGenerationPrompt, extra);
        } catch (ChatRenderer.UnsupportedArgumentException e) {
            if (!ENABLE_THINKING.equals(e.argument())) {
                throw e;
            }
            return template.render(messages, addGenerationPrompt, Map.of());
        }
    }
}
