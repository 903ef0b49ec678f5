package io.tracedistill.chat;

/**
 * {@link PromptCompletionRenderer} refused a conversation. The message is the reference's {@code ValueError} text.
 */
public final class PromptCompletionException extends RuntimeException {

    /** Why the conversation was refused; {@link #code()} is a stable snake_case id for quarantine columns. */
    public enum Reason {
        TOO_FEW_MESSAGES("too_few_messages", "Expected at least one prompt message and one assistant message."),
        LAST_NOT_ASSISTANT("last_not_assistant", "The final message must have role='assistant'."),
        NOT_A_PREFIX("prompt_not_prefix", "Rendered prompt is not a prefix of the full conversation; "
                + "completion-only masking cannot establish a safe assistant boundary for this chat template."),
        EMPTY_COMPLETION("empty_completion", "The rendered assistant completion is empty.");

        private final String code;
        private final String message;

        Reason(String code, String message) {
            this.code = code;
            this.message = message;
        }

        public String code() {
            return code;
        }

        /** The reference's exact {@code ValueError} message. */
        public String message() {
            return message;
        }
    }

    private final Reason reason;

    public PromptCompletionException(Reason reason) {
        super(reason.message());
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }

    /** Python exception class of the reference ({@code ValueError}). */
    public String errorType() {
        return "ValueError";
    }
}
