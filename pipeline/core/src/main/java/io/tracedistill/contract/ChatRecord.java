package io.tracedistill.contract;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One chat-format SFT record: the user turn (prompt + suffix) and the assistant turn
 * ({@code <cot>\n</think>\n\boxed{answer}}). The reference represents it as
 * {@code {"messages": [{"role": "user", ...}, {"role": "assistant", ...}]}}; see {@link #messages()}.
 */
public record ChatRecord(String user, String assistant) {

    public ChatRecord {
        Objects.requireNonNull(user, "user");
        Objects.requireNonNull(assistant, "assistant");
    }

    /** The reference's {@code rec["messages"]}: role/content maps, user first. */
    public List<Map<String, Object>> messages() {
        return List.of(
                Map.of("role", "user", "content", user),
                Map.of("role", "assistant", "content", assistant));
    }
}
