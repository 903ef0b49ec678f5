package io.tracedistill.config;

import io.tracedistill.grade.CompetitionGrader;
import io.tracedistill.grade.Grader;
import io.tracedistill.grade.Gsm8kGrader;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;

/** The grading rule of {@code eval_scorer} (see {@link io.tracedistill.grade}). */
public enum EvalScorer implements YamlNamed {
    COMPETITION(CompetitionGrader::new),
    GSM8K(Gsm8kGrader::new);

    private final Supplier<Grader> grader;

    EvalScorer(Supplier<Grader> grader) {
        this.grader = grader;
    }

    /** The YAML spelling, also the grader's {@link Grader#name()}: {@code competition} or {@code gsm8k}. */
    @Override
    public String yamlName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** A new grader of this rule (graders are stateless). */
    public Grader grader() {
        return grader.get();
    }

    /** Every YAML spelling, in declaration order. */
    public static List<String> yamlNames() {
        return Arrays.stream(values()).map(EvalScorer::yamlName).toList();
    }

    /** The scorer named {@code name}; the error lists the valid names. */
    public static EvalScorer fromYaml(String name) {
        for (EvalScorer s : values()) {
            if (s.yamlName().equals(name)) {
                return s;
            }
        }
        throw new IllegalArgumentException("Unknown scorer '" + name + "'; expected one of " + String.join(", ", yamlNames()));
    }
}
