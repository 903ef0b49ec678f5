package io.tracedistill.tokens;

import java.util.Objects;

/**
 * Prints a {@link MaskedExample} token by token for eyeballing the completion-only mask, in the spirit of axolotl's
 * {@code preprocess --debug} ({@code check_example_labels}): every token is shown as {@code (id, "text")}; a masked
 * token (label -100) is wrapped in square brackets, {@code [(id, "text")]}, and a supervised token whose label differs
 * from its input id (never produced by {@link CompletionMasker}, but possible in hand-made examples) shows
 * {@code (id->label, "text")}. A line break follows every token whose text contains a newline, so the output keeps the
 * shape of the rendered chat. With {@code ansi = true} masked tokens are red and supervised tokens green instead.
 *
 * <p>Used by the {@code render-chat --tokens} command.
 */
public final class MaskedSpanPrinter {

    private static final String RED = "\u001b[31m";
    private static final String GREEN = "\u001b[32m";
    private static final String RESET = "\u001b[0m";

    private MaskedSpanPrinter() {}

    /** Plain-text rendering (masked tokens in brackets), preceded by a one-line summary. */
    public static String render(TextTokenizer tokenizer, MaskedExample example) {
        return render(tokenizer, example, false);
    }

    /**
     * Renders the example.
     *
     * @param ansi colour masked tokens red and supervised ones green (terminal output) instead of bracketing
     */
    public static String render(TextTokenizer tokenizer, MaskedExample example, boolean ansi) {
        Objects.requireNonNull(tokenizer, "tokenizer");
        Objects.requireNonNull(example, "example");
        int n = example.numTokens();
        StringBuilder out = new StringBuilder();
        out.append(n).append(" tokens: ").append(n - example.numLossTokens()).append(" masked (label -100), ")
                .append(example.numLossTokens()).append(" supervised")
                .append(ansi ? " [red = masked, green = supervised]" : " [bracketed = masked]").append('\n');
        boolean lineStart = true;
        for (int i = 0; i < n; i++) {
            int id = example.inputIds()[i];
            int label = example.labels()[i];
            String text = tokenizer.tokenText(id);
            boolean masked = label == MaskedExample.IGNORE_INDEX;
            String ids = masked || label == id ? Integer.toString(id) : id + "->" + label;
            String cell = "(" + ids + ", \"" + escape(text) + "\")";
            if (!lineStart) {
                out.append(' ');
            }
            if (ansi) {
                out.append(masked ? RED : GREEN).append(cell).append(RESET);
            } else {
                out.append(masked ? "[" + cell + "]" : cell);
            }
            lineStart = text.indexOf('\n') >= 0;
            if (lineStart) {
                out.append('\n');
            }
        }
        if (!lineStart) {
            out.append('\n');
        }
        return out.toString();
    }

    /** Opens a trained (supervised) span in {@link #renderText}. */
    public static final String TRAINED_OPEN = "\u27E6";
    /** Closes a trained span in {@link #renderText}. */
    public static final String TRAINED_CLOSE = "\u27E7";

    /**
     * The example as text, each token's text in order, with every run of supervised tokens (label != -100) wrapped in
     * {@link #TRAINED_OPEN} ... {@link #TRAINED_CLOSE} (the CLI form of notebook 02's view; ids are
     * {@link #render}'s).
     */
    public static String renderText(TextTokenizer tokenizer, MaskedExample example) {
        StringBuilder out = new StringBuilder();
        int n = example.numTokens();
        for (int start = 0; start < n; ) {
            boolean trained = example.labels()[start] != MaskedExample.IGNORE_INDEX;
            int end = start;
            while (end < n && (example.labels()[end] != MaskedExample.IGNORE_INDEX) == trained) {
                end++;
            }
            String text = tokenizer.decode(java.util.Arrays.copyOfRange(example.inputIds(), start, end)); // one span at a time
            out.append(trained ? TRAINED_OPEN + text + TRAINED_CLOSE : text);
            start = end;
        }
        return out.toString();
    }

    /** Escapes control characters, quotes and backslashes so one token stays on one line. */
    static String escape(String text) {
        StringBuilder sb = new StringBuilder(text.length() + 8);
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                default -> {
                    if (c < 0x20 || c == 0x7f) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        return sb.toString();
    }
}
