package io.tracedistill.grade;

/** Grades a model output against a gold answer. Implementations are stateless and thread-safe. */
public interface Grader {

    /** Grade {@code modelOutput} against {@code gold}. */
    Grade grade(String modelOutput, String gold);

    /** Name used in config ({@code eval_scorer}) and in reports. */
    String name();

    /** The grader for an {@code eval_scorer} config value: {@code competition} or {@code gsm8k}. */
    static Grader forName(String name) {
        return io.tracedistill.config.YamlEnum.fromYaml(io.tracedistill.config.EvalScorer.class, "scorer", name).grader();
    }
}
