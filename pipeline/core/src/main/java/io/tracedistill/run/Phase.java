package io.tracedistill.run;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/**
 * The two training phases of a run (reference {@code train_two_phase}): phase 1 "Train" over the whole data set,
 * phase 2 "Nudge" over the hard rows plus a sample of the easy ones.
 *
 * <p>One name per phase everywhere: {@link #folderName()} is the folder under {@code prepared/} and {@code tokens/},
 * the YAML key of its settings, the {@code phase} value of {@code metrics.jsonl} and of the tokenize quarantine, and
 * the prefix of its checkpoint names; {@link #number()} is the 1-based number the reference prints.
 */
public enum Phase {
    PHASE1(1),
    PHASE2(2);

    private final int number;

    Phase(int number) {
        this.number = number;
    }

    /** 1 or 2; also its JSON form (a checkpoint's {@code state.json} stores the number). */
    @JsonValue
    public int number() {
        return number;
    }

    /** {@code phase1} / {@code phase2}. */
    public String folderName() {
        return "phase" + number;
    }

    /** The phase numbered {@code number}. @throws IllegalArgumentException unless it is 1 or 2 */
    @JsonCreator
    public static Phase of(int number) {
        return switch (number) {
            case 1 -> PHASE1;
            case 2 -> PHASE2;
            default -> throw new IllegalArgumentException("phase must be 1 or 2, got " + number);
        };
    }

    /** The phase named {@code folderName} ({@code phase1} / {@code phase2}). @throws IllegalArgumentException otherwise */
    public static Phase ofFolderName(String folderName) {
        for (Phase p : values()) {
            if (p.folderName().equals(folderName)) {
                return p;
            }
        }
        throw new IllegalArgumentException("unknown phase '" + folderName + "': expected phase1 or phase2");
    }

    @Override
    public String toString() {
        return folderName();
    }
}
