package io.tracedistill.jobs.notebooks;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A small chain-of-thought CSV with hand-countable outcomes, for running the notebooks when the bundled
 * {@code src/embedded/sample/cot_sample.csv} is absent. Columns {@code id, prompt, generated_cot, answer, type}
 * ({@code id} passes through). RFC 4180: one prompt spans two lines and holds doubled quotes.
 *
 * <p>Rows (42): hard types {@code bit_manipulation} ×6 and {@code cryptarithm_deduce} ×4; easy {@code gravity} ×10,
 * {@code unit_conversion} ×10, {@code cipher} ×8; {@code malformed} ×3 (empty cot = NaN → {@code nan_cot}, cot
 * {@code "nan"} → {@code nan_cot}, cot {@code "ok"} → {@code short_cot}); one good row without a type
 * ({@code missing_type}). So 38 rows are kept and 4 quarantined.
 *
 * <p>Split (reference two_phase_split): quota n = 4 (the rarer hard type); phase 2 = the 10 hard rows + min(4, count)
 * rows of each easy type = 10 + 4 + 4 + 4 + 3 input rows, of which the 3 malformed ones are quarantined: 22 kept.
 * Phase 1 = the other 27 input rows minus the untyped one: 26 kept. Traces have 1, 3 or 5 sentences (about 100, 300
 * or 550 characters), so with the byte-level tiny-qwen2 tokenizer (one token per byte) and {@code max_length: 512}
 * about a third of the rows are truncated at {@code max_length}. One trace boxes another answer than its label and
 * one boxes nothing (data quality section).
 *
 * <p>{@link #evalCsv()} is a 6-row eval table (prompt, answer, type, id) with rows of every good type.
 */
public final class SampleCotTable {
    private SampleCotTable() {}

    public static final List<String> HARD_TYPES = List.of("bit_manipulation", "cryptarithm_deduce");
    public static final long INPUT_ROWS = 42;
    public static final long KEPT_ROWS = 38;
    public static final Map<String, Long> DROP_REASONS = Map.of("missing_type", 1L, "nan_cot", 2L, "short_cot", 1L);
    public static final long PHASE1_ROWS = 26;
    public static final long PHASE2_ROWS = 22;

    /** The CSV text (header + 42 rows, {@code \n} line ends). */
    public static String csv() {
        List<String[]> rows = new ArrayList<>();
        int id = 0;
        for (int i = 0; i < 6; i++) {
            int x = 0b1011 + 3 * i;
            String answer = Integer.toBinaryString(x ^ 0b0110);
            String boxed = i == 0 ? Integer.toBinaryString(x) : answer; // row 0: the teacher boxes the wrong value
            rows.add(row(id++, "Apply the hidden bit rule to " + Integer.toBinaryString(x) + ".",
                    cot("I compare input and output bits position by position; the rule flips bits 1 and 2.", i % 3,
                            boxed), answer, "bit_manipulation"));
        }
        for (int i = 0; i < 4; i++) {
            String prompt = i == 0
                    ? "Solve the cryptarithm \"\"SEND + MORE\"\"\nwhere each letter is one digit."
                    : "Deduce the digit of letter " + (char) ('A' + i) + " in AB + BA = " + (55 + 11 * i) + ".";
            rows.add(row(id++, prompt, cot("Each column sum carries at most one, so I try digits in order.", (i + 2) % 3,
                    String.valueOf(i + 1)), String.valueOf(i + 1), "cryptarithm_deduce"));
        }
        for (int i = 0; i < 10; i++) {
            String answer = String.format("%.2f", 4.9 * (i + 1) * (i + 1));
            String cot = i == 3
                    ? "Distance is one half g t squared, so I multiply and round; the result is " + answer + "."
                    : cot("The fall distance is d = 0.5 * g * t^2 with g = 9.8 m/s^2.", i % 3, answer);
            rows.add(row(id++, "How far does a stone fall in " + (i + 1) + " s?", cot, answer, "gravity"));
        }
        for (int i = 0; i < 10; i++) {
            String answer = String.valueOf(1000 * (i + 1));
            rows.add(row(id++, "Convert " + (i + 1) + " km to metres.",
                    cot("One kilometre is one thousand metres, so I multiply by 1000.", (i + 1) % 3, answer), answer,
                    "unit_conversion"));
        }
        for (int i = 0; i < 8; i++) {
            String answer = String.valueOf((char) ('D' + i));
            rows.add(row(id++, "Decode the Caesar-shifted letter " + (char) ('A' + i) + " with shift 3.",
                    cot("Shifting by three moves each letter three places forward in the alphabet.", i % 3, answer),
                    answer, "cipher"));
        }
        rows.add(row(id++, "A row whose trace is missing.", "", "1", "malformed"));
        rows.add(row(id++, "A row whose trace is the string nan.", "nan", "2", "malformed"));
        rows.add(row(id++, "A row whose trace is too short.", "ok", "3", "malformed"));
        rows.add(row(id, "A row without a type.", cot("This row has a good trace but no type.", 0, "4"), "4", ""));

        StringBuilder sb = new StringBuilder("id,prompt,generated_cot,answer,type\n");
        for (String[] r : rows) {
            for (int c = 0; c < r.length; c++) {
                if (c > 0) {
                    sb.append(',');
                }
                sb.append(r[c].isEmpty() ? "" : "\"" + r[c].replace("\"", "\"\"") + "\"");
            }
            sb.append('\n');
        }
        return sb.toString();
    }

    /** An eval table: the first row of each good type, then one more gravity row (6 rows). */
    public static String evalCsv() {
        StringBuilder sb = new StringBuilder("id,prompt,answer,type\n");
        sb.append("100,\"Apply the hidden bit rule to 1011.\",1101,bit_manipulation\n");
        sb.append("101,\"Deduce the digit of letter B in AB + BA = 66.\",2,cryptarithm_deduce\n");
        sb.append("102,\"How far does a stone fall in 1 s?\",4.90,gravity\n");
        sb.append("103,\"Convert 3 km to metres.\",3000,unit_conversion\n");
        sb.append("104,\"Decode the Caesar-shifted letter A with shift 3.\",D,cipher\n");
        sb.append("105,\"How far does a stone fall in 2 s?\",19.60,gravity\n");
        return sb.toString();
    }

    private static String[] row(int id, String prompt, String cot, String answer, String type) {
        // The prompt of the cryptarithm row is already CSV-escaped once for readability above; undo that.
        return new String[] {String.valueOf(id), prompt.replace("\"\"", "\""), cot, answer, type};
    }

    /** A trace of {@code 1 + 2 * repeat} sentences ending in {@code \boxed{answer}}. */
    private static String cot(String step, int repeat, String answer) {
        StringBuilder sb = new StringBuilder(step);
        for (int i = 0; i < 2 * repeat; i++) {
            sb.append(" Checking step ").append(i + 1).append(": ").append(step.toLowerCase());
        }
        return sb.append(" So the answer is \\boxed{").append(answer).append("}.").toString();
    }
}
