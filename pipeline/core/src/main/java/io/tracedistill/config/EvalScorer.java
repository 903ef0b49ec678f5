package io.tracedistill.config;

import io.tracedistill.grade.CompetitionGrader;
import io.tracedistill.grade.Grader;
import io.tracedistill.grade.Gsm8kGrader;

import java.util.function.Supplier;

/**
 * The grading rule of {@code eval_scorer} (see {@link io.tracedistill.grade}). Its YAML spelling ({@code competition},
 * {@code gsm8k}) is also its grader's {@link Grader#name()}.
 */
public enum EvalScorer implements YamlEnum {
    COMPETITION(CompetitionGrader::new),
    GSM8K(Gsm8kGrader::new);

    private final Supplier<Grader> grader;

    EvalScorer(Supplier<Grader> grader) {
        this.grader = grader;
    }

    /** A new grader of this rule (graders are stateless). */
    public Grader grader() {
        return grader.get();
    }
}
