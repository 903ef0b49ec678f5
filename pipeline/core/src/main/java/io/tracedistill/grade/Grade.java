package io.tracedistill.grade;

import java.util.Optional;

/**
 * Result of grading one model output against its gold answer.
 *
 * @param parsed    a {@code \boxed{…}} answer was found in the output
 * @param extracted the boxed text that was graded; empty string when nothing was parsed
 *                  (see {@link #extractedAnswer()})
 * @param correct   the extracted answer counts as correct
 */
public record Grade(boolean parsed, String extracted, boolean correct) {

    public Grade {
        if (extracted == null) {
            throw new IllegalArgumentException("extracted must not be null; use \"\" when nothing was parsed");
        }
        if (!parsed && correct) {
            throw new IllegalArgumentException("an unparsed output cannot be correct");
        }
    }

    /** The extracted text, or empty when {@link #parsed()} is false. */
    public Optional<String> extractedAnswer() {
        return parsed ? Optional.of(extracted) : Optional.empty();
    }
}
