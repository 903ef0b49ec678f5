package io.tracedistill.contract;

import io.tracedistill.python.PyValue;

/**
 * The assistant turn of the experiment's answer-only arm: {@code "</think>\n\\boxed{" + str(answer) + "}"}, the
 * reference's {@code answer_only_records} ({@code examples/gsm8k_trace_distillation.py}): the same boxed answer as
 * the {@link FormatContract} turn, with no trace before the closing tag (the chat template still opens
 * {@code <think>}). The user turn is the contract's ({@code str(prompt) + prompt_suffix}).
 */
public final class AnswerOnlyTarget {

    /** What the answer-only turn starts with, and what ends the contract turn's trace. */
    public static final String PREFIX = "</think>\n\\boxed{";

    /** The separator the contract puts between the trace and the boxed answer. */
    private static final String CONTRACT_SEPARATOR = "\n" + PREFIX;

    private AnswerOnlyTarget() {
    }

    /** The answer-only assistant turn for a row's answer cell ({@code str(answer)}, as the reference's f-string). */
    public static String of(PyValue answer) {
        return PREFIX + answer.pyStr() + "}";
    }

    /**
     * The answer-only turn of a row the contract kept, from its contract turn {@code trace + "\n</think>\n\\boxed{"
     * + answer + "}"}: everything from the first {@code "</think>\n\\boxed{"} that follows a newline. The trace cannot
     * hold that text before the contract's own separator unless it holds an unclosed {@code \boxed{} right after a
     * {@code </think>} line ({@link BoxedText#strip} removes every closed box).
     *
     * @throws IllegalArgumentException when {@code assistant} is not a contract turn
     */
    public static String fromContractTurn(String assistant) {
        int at = assistant.indexOf(CONTRACT_SEPARATOR);
        if (at < 0 || !assistant.endsWith("}")) {
            throw new IllegalArgumentException("not a format-contract assistant turn (it must end with "
                    + "\"\\n</think>\\n\\\\boxed{answer}\"): " + abbreviate(assistant));
        }
        return assistant.substring(at + 1);
    }

    private static String abbreviate(String s) {
        return s.length() <= 80 ? s : s.substring(0, 40) + "..." + s.substring(s.length() - 37);
    }
}
