package io.tracedistill.chat;

import java.util.List;
import java.util.Map;

/**
 * Something that renders a conversation to text the way a tokenizer's {@code apply_chat_template(..., tokenize=False)}
 * does. {@link ChatTemplate} is the real implementation; tests plug in stubs.
 */
public interface ChatRenderer {

    /**
     * @param messages {@code [{role, content, ...}]}
     * @param addGenerationPrompt append the assistant header the model continues from
     * @param extraVars further template variables ({@code enable_thinking}, {@code tools}, {@code date_string}, ...)
     * @throws UnsupportedArgumentException when the renderer does not accept one of {@code extraVars} (the analogue
     *     of Python's {@code TypeError: unexpected keyword argument})
     */
    String render(List<Map<String, Object>> messages, boolean addGenerationPrompt, Map<String, Object> extraVars);

    /** The renderer rejects a keyword argument; callers may retry without it. */
    final class UnsupportedArgumentException extends RuntimeException {
        private final String argument;

        public UnsupportedArgumentException(String argument) {
            super("apply_chat_template() got an unexpected keyword argument '" + argument + "'");
            this.argument = argument;
        }

        public String argument() {
            return argument;
        }
    }
}
