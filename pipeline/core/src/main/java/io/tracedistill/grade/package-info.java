/**
 * Grading a model output against a gold answer: {@link io.tracedistill.grade.Gsm8kGrader}
 * (the reference's GSM8K example scorer, bit-exact with golden {@code grader.json}) and
 * {@link io.tracedistill.grade.CompetitionGrader} (our documented reading of the competition's
 * prose rule: last balanced box, exact match or relative error ≤ 1e-2).
 */
package io.tracedistill.grade;
