package io.tracedistill.eval;

import java.util.Map;
import java.util.Objects;

/**
 * One arm's results.
 *
 * @param arm            the arm
 * @param overall        counts over every eval row
 * @param byType         counts per type, in code-point order of the type label
 * @param decoded        rows that were decoded
 * @param notDecoded     rows not decoded, per reason code ({@code prompt_too_long}, {@code template_error}, {@code malformed_input})
 * @param hitMaxNewTokens decoded rows that stopped at {@code max_new_tokens} instead of an eos id
 * @param newTokens      generated tokens over all decoded rows
 */
public record ArmSummary(ArmSpec arm, TypeCounts overall, Map<String, TypeCounts> byType, long decoded,
        Map<String, Long> notDecoded, long hitMaxNewTokens, long newTokens) {
    public ArmSummary {
        Objects.requireNonNull(arm, "arm");
        Objects.requireNonNull(overall, "overall");
        byType = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(byType));
        notDecoded = java.util.Collections.unmodifiableMap(new java.util.TreeMap<>(notDecoded));
    }
}
