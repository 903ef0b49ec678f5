package io.tracedistill.contract;

import java.util.Optional;

/**
 * The {@code \boxed{…}} spans of a reasoning trace, found by brace depth.
 *
 * <p>Reference: {@code tracedistill.formatting.strip_boxed} (commit 400d131). A span starts at
 * the literal {@code \boxed{} and ends at the {@code }} that brings the brace depth back to
 * zero, so nested braces ({@code \boxed{\frac{1}{2}}}) are part of the span. Escaped braces
 * ({@code \{}) are not special: they count like any brace, exactly as in the reference. A
 * {@code \boxed{} that never closes (a truncated trace) is kept literally and scanning resumes
 * right after it, so a later balanced box is still found. Pinned by
 * {@code golden/strip_boxed.json} (330 cases).
 *
 * <p>All delimiters are ASCII, so scanning UTF-16 units is exact: a surrogate (paired or lone)
 * never equals {@code \}, {@code {} or {@code }}.
 */
public final class BoxedText {

    private static final String OPEN = "\\boxed{";

    private BoxedText() {
    }

    /** Python {@code strip_boxed(text)}: removes every balanced {@code \boxed{…}} span. */
    public static String strip(String text) {
        int first = text.indexOf(OPEN);
        if (first < 0) {
            return text;
        }
        StringBuilder out = new StringBuilder(text.length());
        out.append(text, 0, first);
        int i = first;
        int n = text.length();
        while (i < n) {
            int start = text.indexOf(OPEN, i);
            if (start < 0) {
                out.append(text, i, n);
                break;
            }
            out.append(text, i, start);
            int contentStart = start + OPEN.length();
            int end = balancedEnd(text, contentStart);
            if (end >= 0) {
                i = end + 1; // balanced: drop the whole span, closing brace included
            } else {
                out.append(OPEN); // unbalanced: keep the literal "\boxed{" and rescan after it
                i = contentStart;
            }
        }
        return out.toString();
    }

    /**
     * The content of the last balanced top-level {@code \boxed{…}} span (the same spans that
     * {@link #strip} removes; a box nested inside another box is part of the outer span), or
     * empty when there is none. {@code lastBoxed("a \boxed{1} b \boxed{\frac{1}{2}}")} is
     * {@code \frac{1}{2}}.
     */
    public static Optional<String> lastBoxed(String text) {
        String last = null;
        int i = 0;
        int n = text.length();
        while (i < n) {
            int start = text.indexOf(OPEN, i);
            if (start < 0) {
                break;
            }
            int contentStart = start + OPEN.length();
            int end = balancedEnd(text, contentStart);
            if (end >= 0) {
                last = text.substring(contentStart, end);
                i = end + 1;
            } else {
                i = contentStart;
            }
        }
        return Optional.ofNullable(last);
    }

    /** Number of balanced top-level boxes, as {@link #lastBoxed} counts them. */
    public static int countBoxed(String text) {
        int count = 0;
        int i = 0;
        while (i < text.length()) {
            int start = text.indexOf(OPEN, i);
            if (start < 0) {
                break;
            }
            int contentStart = start + OPEN.length();
            int end = balancedEnd(text, contentStart);
            if (end >= 0) {
                count++;
                i = end + 1;
            } else {
                i = contentStart;
            }
        }
        return count;
    }

    /** Index of the '}' closing a box whose content starts at {@code from} (depth 1), or -1. */
    private static int balancedEnd(String text, int from) {
        int depth = 1;
        for (int j = from; j < text.length(); j++) {
            char c = text.charAt(j);
            if (c == '{') {
                depth++;
            } else if (c == '}') {
                depth--;
                if (depth == 0) {
                    return j;
                }
            }
        }
        return -1;
    }
}
