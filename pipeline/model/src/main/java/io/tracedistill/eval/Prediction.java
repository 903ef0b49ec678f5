package io.tracedistill.eval;

import java.util.Objects;
import java.util.Optional;

/**
 * One row of the predictions table: one eval row under one arm.
 *
 * @param rowIndex     the eval row's stable index
 * @param arm          arm name ({@code base}, or the adapter directory's name)
 * @param type         {@code str(type)}
 * @param gold         {@code str(answer)}
 * @param output       decoded new tokens, special tokens skipped ("" when not decoded)
 * @param extracted    the graded box content ("" when unparsed)
 * @param parsed       the output contains a box the scorer can grade
 * @param correct      graded correct
 * @param promptTokens prompt length in tokens (0 when the template failed)
 * @param newTokens    generated tokens including the eos token, as HF counts them (0 when not decoded)
 * @param finish       {@link #FINISH_EOS}, {@link #FINISH_LENGTH} or {@link #FINISH_NOT_DECODED}
 * @param reason       why the row was not decoded; empty when it was
 */
public record Prediction(long rowIndex, String arm, String type, String gold, String output, String extracted,
        boolean parsed, boolean correct, int promptTokens, int newTokens, String finish,
        Optional<SkipReason> reason) {
    /** The row stopped at an eos id. */
    public static final String FINISH_EOS = "eos";
    /** The row hit {@code eval_max_new_tokens}; counted as unparsed unless a box was already written. */
    public static final String FINISH_LENGTH = "max_new_tokens";
    /** The row was not decoded; see {@link #reason()}. */
    public static final String FINISH_NOT_DECODED = "not_decoded";

    public Prediction {
        Objects.requireNonNull(arm, "arm");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(gold, "gold");
        Objects.requireNonNull(output, "output");
        Objects.requireNonNull(extracted, "extracted");
        Objects.requireNonNull(finish, "finish");
        Objects.requireNonNull(reason, "reason");
        if (reason.isPresent() != FINISH_NOT_DECODED.equals(finish)) {
            throw new IllegalArgumentException("row " + rowIndex + ": finish '" + finish + "' and reason " + reason
                    + " disagree");
        }
        if (correct && !parsed) {
            throw new IllegalArgumentException("row " + rowIndex + ": an unparsed output cannot be correct");
        }
    }

    /** The prediction of a row that was not decoded (unparsed, incorrect). */
    public static Prediction notDecoded(EncodedPrompt p, String arm) {
        EvalExample e = p.example();
        return new Prediction(e.rowIndex(), arm, e.type(), e.gold(), "", "", false, false, p.promptTokens(), 0,
                FINISH_NOT_DECODED, p.skip());
    }
}
