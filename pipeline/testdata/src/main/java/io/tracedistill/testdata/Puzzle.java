package io.tracedistill.testdata;

/**
 * One generated puzzle: the prompt, the teacher trace (which ends in its own {@code \boxed{}}), the authoritative
 * answer and the family label.
 */
public record Puzzle(String prompt, String cot, String answer, String type) {}
