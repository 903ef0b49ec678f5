package io.tracedistill.chat;

/**
 * A conversation split at the assistant boundary: {@code prompt} = render of every message but the last with the
 * generation prompt, {@code completion} = the rest of the full render. {@code prompt + completion} is the full render.
 */
public record PromptCompletion(String prompt, String completion) {}
