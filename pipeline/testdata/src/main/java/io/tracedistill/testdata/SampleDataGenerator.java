package io.tracedistill.testdata;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * A seeded generator of chain-of-thought training rows for puzzle families like the competition's
 * ({@code golden/NOTES-grader.md} §2): a few input→output examples under a hidden rule, then a query. Each teacher
 * trace is produced by code that really solves the puzzle from its examples (infers {@code g}, the conversion
 * factor, the letter mapping, the bit rule or the operation, then applies it) and ends in its own {@code \boxed{}}.
 *
 * <p>Families ({@code type}): {@code gravity}, {@code unit_conversion}, {@code numeral_system},
 * {@code text_cipher}, {@code bit_manipulation}, {@code equation_numeric_deduce}, {@code cryptarithm_deduce}.
 * A few rows are deliberately bad so the quarantine is exercised: every {@value #BAD_EVERY}th row has a short,
 * blank or {@code nan} trace, or no type. About 1 gravity row in 40 has a "teacher slip" (its box rounds to one
 * decimal), which the manifest's data-quality section reports as a disagreement.
 *
 * <p>Columns: {@code id,prompt,generated_cot,answer,type}, written as RFC 4180 CSV (UTF-8, {@code \n} line ends).
 * Command line: {@code SampleDataGenerator --rows N --seed S --out FILE.csv} or {@code --out DIR --parts P}.
 */
public final class SampleDataGenerator {
    /** Header of the CSV. */
    public static final List<String> COLUMNS = List.of("id", "prompt", "generated_cot", "answer", "type");
    /** Families, in generation rotation order. */
    public static final List<String> TYPES = List.of("gravity", "unit_conversion", "numeral_system", "text_cipher",
            "bit_manipulation", "equation_numeric_deduce", "cryptarithm_deduce");
    /**
     * Relative frequency of each family, as in the competition's 9,500 training puzzles (NOTES-grader.md §2, with
     * the two cryptarithm and equation sub-types folded into the deduce variants): the hard families are rarer.
     */
    public static final List<Integer> WEIGHTS = List.of(1597, 1594, 1576, 1576, 1602, 732, 823);
    /** Every this-many rows one is deliberately bad. */
    public static final int BAD_EVERY = 211;

    private final SplittableRandom rng;

    /** A generator; the same seed gives the same rows. */
    public SampleDataGenerator(long seed) {
        this.rng = new SplittableRandom(seed);
    }

    /** One CSV row: id, prompt, generated_cot, answer, type ({@code null} type = blank cell). */
    public record Row(long id, String prompt, String cot, String answer, String type) {}

    /** The next row with id {@code id}. */
    public Row next(long id) {
        String type = weightedType(rng.nextInt(TOTAL_WEIGHT));
        Puzzle p = puzzle(type);
        if (id % BAD_EVERY == BAD_EVERY - 1) {
            switch ((int) ((id / BAD_EVERY) % 4)) {
                case 0:
                    return new Row(id, p.prompt(), "ok", p.answer(), p.type()); // short_cot
                case 1:
                    return new Row(id, p.prompt(), "", p.answer(), p.type()); // blank -> nan_cot
                case 2:
                    return new Row(id, p.prompt(), "nan", p.answer(), p.type()); // nan_cot
                default:
                    return new Row(id, p.prompt(), p.cot(), p.answer(), null); // missing_type
            }
        }
        return new Row(id, p.prompt(), p.cot(), p.answer(), p.type());
    }

    private static final int TOTAL_WEIGHT = WEIGHTS.stream().mapToInt(Integer::intValue).sum();

    private static String weightedType(int draw) {
        for (int i = 0; i < TYPES.size(); i++) {
            draw -= WEIGHTS.get(i);
            if (draw < 0) {
                return TYPES.get(i);
            }
        }
        throw new IllegalStateException("weighted draw out of range");
    }

    /** A puzzle of {@code type}. */
    public Puzzle puzzle(String type) {
        switch (type) {
            case "gravity":
                return gravity();
            case "unit_conversion":
                return unitConversion();
            case "numeral_system":
                return roman();
            case "text_cipher":
                return cipher();
            case "bit_manipulation":
                return bits();
            case "equation_numeric_deduce":
                return equation(false);
            case "cryptarithm_deduce":
                return equation(true);
            default:
                throw new IllegalArgumentException("Unknown puzzle type '" + type + "'; expected one of " + TYPES);
        }
    }

    // ---- gravity: d = 0.5 * g * t^2 with a hidden g ----
    private Puzzle gravity() {
        double g = 4.0 + rng.nextInt(1600) / 100.0;
        StringBuilder p = new StringBuilder("In Alice's Wonderland, gravity is different. Observed falls:\n");
        StringBuilder c = new StringBuilder("Use d = 0.5*g*t^2, so g = 2d/t^2.\n");
        double sum = 0;
        int n = 3;
        for (int i = 0; i < n; i++) {
            double t = 1.0 + rng.nextInt(400) / 100.0;
            double d = round2(0.5 * g * t * t);
            p.append("t = ").append(f2(t)).append("s, distance = ").append(f2(d)).append(" m\n");
            double gi = 2 * d / (t * t);
            sum += gi;
            c.append("Example ").append(i + 1).append(": g = 2*").append(f2(d)).append("/").append(f2(t)).append("^2 = ")
                    .append(f4(gi)).append('\n');
        }
        double gHat = sum / n;
        double tq = 1.0 + rng.nextInt(400) / 100.0;
        p.append("Determine the falling distance for t = ").append(f2(tq)).append("s.");
        double dq = 0.5 * gHat * tq * tq;
        String answer = f2(round2(dq));
        c.append("Average g = ").append(f4(gHat)).append(".\nd = 0.5*").append(f4(gHat)).append("*").append(f2(tq))
                .append("^2 = ").append(f4(dq)).append(", rounded to ").append(answer).append(".\n");
        String boxed = rng.nextInt(40) == 0 ? String.format(Locale.ROOT, "%.1f", dq) : answer; // rare teacher slip
        c.append("\\boxed{").append(boxed).append('}');
        return new Puzzle(p.toString(), c.toString(), answer, "gravity");
    }

    // ---- unit conversion: out = in * k with a hidden k ----
    private Puzzle unitConversion() {
        double k = 0.5 + rng.nextInt(250) / 100.0;
        StringBuilder p = new StringBuilder("A secret unit conversion is applied. Examples:\n");
        StringBuilder c = new StringBuilder("Assume out = in * k and estimate k from each example.\n");
        double sum = 0;
        int n = 3;
        for (int i = 0; i < n; i++) {
            double x = 5 + rng.nextInt(4500) / 100.0;
            double y = round2(x * k);
            p.append(f2(x)).append(" m becomes ").append(f2(y)).append('\n');
            double ki = y / x;
            sum += ki;
            c.append("k").append(i + 1).append(" = ").append(f2(y)).append("/").append(f2(x)).append(" = ")
                    .append(f4(ki)).append('\n');
        }
        double kHat = sum / n;
        double q = 5 + rng.nextInt(4500) / 100.0;
        p.append("Convert the following measurement: ").append(f2(q)).append(" m");
        String answer = f2(round2(q * kHat));
        c.append("Mean k = ").append(f4(kHat)).append(". ").append(f2(q)).append(" * ").append(f4(kHat)).append(" = ")
                .append(answer).append(".\n\\boxed{").append(answer).append('}');
        return new Puzzle(p.toString(), c.toString(), answer, "unit_conversion");
    }

    // ---- numeral system: integer -> Roman numerals ----
    private static final int[] ROMAN_VALUES = {1000, 900, 500, 400, 100, 90, 50, 40, 10, 9, 5, 4, 1};
    private static final String[] ROMAN_SYMBOLS = {"M", "CM", "D", "CD", "C", "XC", "L", "XL", "X", "IX", "V", "IV",
        "I"};

    /** Roman numeral of 1..3999. */
    public static String toRoman(int n) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < ROMAN_VALUES.length; i++) {
            while (n >= ROMAN_VALUES[i]) {
                sb.append(ROMAN_SYMBOLS[i]);
                n -= ROMAN_VALUES[i];
            }
        }
        return sb.toString();
    }

    private Puzzle roman() {
        StringBuilder p = new StringBuilder("In Alice's Wonderland, numbers are secretly converted. Examples:\n");
        for (int i = 0; i < 3; i++) {
            int x = 1 + rng.nextInt(100);
            p.append(x).append(" -> ").append(toRoman(x)).append('\n');
        }
        int q = 1 + rng.nextInt(100);
        p.append("Now, write the number ").append(q).append(" in the Wonderland numeral system.");
        StringBuilder c = new StringBuilder("The examples are Roman numerals. Decompose ").append(q).append(":\n");
        int rest = q;
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < ROMAN_VALUES.length; i++) {
            while (rest >= ROMAN_VALUES[i]) {
                c.append(rest).append(" >= ").append(ROMAN_VALUES[i]).append(" -> ").append(ROMAN_SYMBOLS[i]).append('\n');
                out.append(ROMAN_SYMBOLS[i]);
                rest -= ROMAN_VALUES[i];
            }
        }
        String answer = out.toString();
        c.append("Result: ").append(answer).append("\n\\boxed{").append(answer).append('}');
        return new Puzzle(p.toString(), c.toString(), answer, "numeral_system");
    }

    // ---- text cipher: letter substitution over a closed vocabulary ----
    private static final String[] WORDS = {"alice", "rabbit", "queen", "hatter", "garden", "mirror", "dream",
        "secret", "door", "key", "tea", "cat", "king", "castle", "forest", "river", "golden", "silver", "magic",
        "potion", "turtle", "mouse", "wonder", "curious", "bright", "dark", "ancient", "hidden", "crystal", "map",
        "sees", "follows", "finds", "reads", "opens", "draws", "the", "a", "under", "near", "through", "strange"};

    private Puzzle cipher() {
        char[] perm = "abcdefghijklmnopqrstuvwxyz".toCharArray();
        for (int i = perm.length - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            char t = perm[i];
            perm[i] = perm[j];
            perm[j] = t;
        }
        String plainQuery = sentence(3);
        // Examples that together cover every letter of the query, so the mapping can be read off them.
        List<String> examples = new ArrayList<>();
        java.util.Set<Character> need = new java.util.TreeSet<>();
        for (char ch : plainQuery.toCharArray()) {
            if (ch != ' ') {
                need.add(ch);
            }
        }
        java.util.Set<Character> covered = new java.util.HashSet<>();
        for (String w : WORDS) {
            if (examples.size() >= 6) {
                break;
            }
            boolean helps = false;
            for (char ch : w.toCharArray()) {
                helps |= need.contains(ch) && !covered.contains(ch);
            }
            if (helps && rng.nextInt(3) > 0 || examples.size() < 2 && helps) {
                examples.add(w);
                for (char ch : w.toCharArray()) {
                    covered.add(ch);
                }
            }
        }
        for (char ch : need) {
            if (!covered.contains(ch)) {
                for (String w : WORDS) {
                    if (w.indexOf(ch) >= 0) {
                        examples.add(w);
                        for (char x : w.toCharArray()) {
                            covered.add(x);
                        }
                        break;
                    }
                }
            }
        }
        StringBuilder p = new StringBuilder("Secret encryption rules are used on text. Examples:\n");
        StringBuilder c = new StringBuilder("Each letter maps to one letter. From the examples:\n");
        java.util.Map<Character, Character> dec = new java.util.TreeMap<>();
        for (String w : examples) {
            String e = encrypt(w, perm);
            p.append(e).append(" -> ").append(w).append('\n');
            for (int i = 0; i < w.length(); i++) {
                dec.put(e.charAt(i), w.charAt(i));
            }
        }
        String enc = encrypt(plainQuery, perm);
        p.append("Now, decrypt the following text: ").append(enc);
        StringBuilder out = new StringBuilder();
        for (char ch : enc.toCharArray()) {
            if (ch == ' ') {
                out.append(' ');
                continue;
            }
            Character d = dec.get(ch);
            if (d == null) {
                throw new IllegalStateException("cipher generator left letter " + ch + " unmapped");
            }
            out.append(d);
        }
        for (char ch : need) {
            char e = perm[ch - 'a'];
            c.append(e).append('=').append(dec.get(e)).append(' ');
        }
        String answer = out.toString();
        c.append("\nApplying them to ").append(enc).append(" gives ").append(answer).append(".\n\\boxed{").append(answer)
                .append('}');
        return new Puzzle(p.toString(), c.toString(), answer, "text_cipher");
    }

    private String sentence(int words) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < words; i++) {
            sb.append(i == 0 ? "" : " ").append(WORDS[rng.nextInt(WORDS.length)]);
        }
        return sb.toString();
    }

    private static String encrypt(String s, char[] perm) {
        StringBuilder sb = new StringBuilder();
        for (char ch : s.toCharArray()) {
            sb.append(ch == ' ' ? ' ' : perm[ch - 'a']);
        }
        return sb.toString();
    }

    // ---- bit manipulation: one hidden 8-bit rule from a small family ----
    private interface BitRule {
        int apply(int x);

        String name();
    }

    private static BitRule rule(String name, java.util.function.IntUnaryOperator f) {
        return new BitRule() {
            @Override
            public int apply(int x) {
                return f.applyAsInt(x) & 0xFF;
            }

            @Override
            public String name() {
                return name;
            }
        };
    }

    /** The candidate rules the solver tries, in order (rotations, shifts, NOT, nibble swap, reversal, XOR masks). */
    static List<BitRule> candidates(int xorMask) {
        List<BitRule> out = new ArrayList<>();
        for (int k = 1; k < 8; k++) {
            final int kk = k;
            out.add(rule("rotate left by " + k, x -> (x << kk) | (x >>> (8 - kk))));
        }
        for (int k = 1; k < 4; k++) {
            final int kk = k;
            out.add(rule("shift left by " + k, x -> x << kk));
            out.add(rule("shift right by " + k, x -> x >>> kk));
        }
        out.add(rule("NOT", x -> ~x));
        out.add(rule("swap nibbles", x -> (x << 4) | (x >>> 4)));
        out.add(rule("reverse bits", x -> Integer.reverse(x) >>> 24));
        out.add(rule("XOR with " + bin8(xorMask), x -> x ^ xorMask));
        return out;
    }

    private Puzzle bits() {
        int mask = 1 + rng.nextInt(255);
        List<BitRule> cands = candidates(mask);
        BitRule hidden = cands.get(rng.nextInt(cands.size()));
        int[] xs = new int[5];
        for (int i = 0; i < xs.length; i++) {
            xs[i] = rng.nextInt(256);
        }
        int q = rng.nextInt(256);
        StringBuilder p = new StringBuilder("A secret bit manipulation rule transforms 8-bit binary numbers. Examples:\n");
        for (int x : xs) {
            p.append(bin8(x)).append(" -> ").append(bin8(hidden.apply(x))).append('\n');
        }
        p.append("Now, determine the output for: ").append(bin8(q));
        // Solve: derive the XOR mask candidate from example 1, then test each rule against every example.
        int derivedMask = xs[0] ^ hidden.apply(xs[0]);
        StringBuilder c = new StringBuilder("Test candidate rules on all examples.\n");
        BitRule found = null;
        for (BitRule r : candidates(derivedMask)) {
            int bad = -1;
            for (int i = 0; i < xs.length && bad < 0; i++) {
                if (r.apply(xs[i]) != hidden.apply(xs[i])) {
                    bad = i;
                }
            }
            if (bad < 0) {
                found = r;
                c.append(r.name()).append(": fits all examples.\n");
                break;
            }
            if (c.length() < 260) {
                c.append(r.name()).append(": fails example ").append(bad + 1).append(".\n");
            }
        }
        if (found == null) {
            throw new IllegalStateException("bit solver found no rule");
        }
        if (found.apply(q) != hidden.apply(q)) {
            return bits(); // the examples do not pin the rule down on this query: draw another puzzle
        }
        String answer = bin8(hidden.apply(q));
        c.append("Apply ").append(found.name()).append(" to ").append(bin8(q)).append(" -> ").append(answer)
                .append(".\n\\boxed{").append(answer).append('}');
        return new Puzzle(p.toString(), c.toString(), answer, "bit_manipulation");
    }

    static String bin8(int x) {
        String s = Integer.toBinaryString(x & 0xFF);
        return "00000000".substring(s.length()) + s;
    }

    // ---- equations: AB?CD = result with a hidden operation; cryptarithm: digits written as symbols ----
    private static final String[] OPS = {"add", "subtract", "multiply", "concatenate", "concatenate reversed"};
    private static final String SYMBOLS = "!@#$%^&*<>?[]~"; // no braces: answers go inside \\boxed{}

    private static String applyOp(int op, int a, int b) {
        switch (op) {
            case 0:
                return Integer.toString(a + b);
            case 1:
                return Integer.toString(a - b);
            case 2:
                return Integer.toString(a * b);
            case 3:
                return a + "" + b;
            default:
                return b + "" + a;
        }
    }

    private Puzzle equation(boolean symbols) {
        int op = rng.nextInt(OPS.length);
        char glyph = "+-*|:".charAt(rng.nextInt(5));
        // A digit alphabet for the cryptarithm: ten distinct symbols/letters.
        char[] alphabet = new char[10];
        String pool = SYMBOLS + "ABCDEFGHJKLMNPQRSTUVWXYZ";
        List<Character> avail = new ArrayList<>();
        for (char ch : pool.toCharArray()) {
            avail.add(ch);
        }
        for (int d = 0; d < 10; d++) {
            alphabet[d] = avail.remove(rng.nextInt(avail.size()));
        }
        StringBuilder p = new StringBuilder(symbols
                ? "In Alice's Wonderland, digits are written as symbols and equations follow a secret rule.\n"
                : "In Alice's Wonderland, equations follow a secret rule. Examples:\n");
        if (symbols) {
            p.append("Digits 0-9 are written ").append(new String(alphabet)).append(". Examples:\n");
        }
        int[][] ex = new int[3][2];
        for (int[] e : ex) {
            e[0] = 10 + rng.nextInt(90);
            e[1] = 10 + rng.nextInt(90);
            p.append(enc(e[0] + "" + glyph + e[1], symbols, alphabet)).append(" = ")
                    .append(enc(applyOp(op, e[0], e[1]), symbols, alphabet)).append('\n');
        }
        int qa = 10 + rng.nextInt(90);
        int qb = 10 + rng.nextInt(90);
        p.append("Now, determine the result for: ").append(enc(qa + "" + glyph + qb, symbols, alphabet));
        StringBuilder c = new StringBuilder();
        if (symbols) {
            c.append("Decode with the digit legend: ");
            for (int[] e : ex) {
                c.append(e[0]).append(glyph).append(e[1]).append("=").append(applyOp(op, e[0], e[1])).append("; ");
            }
            c.append('\n');
        }
        int found = -1;
        for (int cand = 0; cand < OPS.length && found < 0; cand++) {
            int bad = -1;
            for (int i = 0; i < ex.length && bad < 0; i++) {
                if (!applyOp(cand, ex[i][0], ex[i][1]).equals(applyOp(op, ex[i][0], ex[i][1]))) {
                    bad = i;
                }
            }
            c.append(OPS[cand]).append(' ').append(ex[0][0]).append(", ").append(ex[0][1]).append(" -> ")
                    .append(applyOp(cand, ex[0][0], ex[0][1]));
            if (bad < 0) {
                c.append(": fits all examples.\n");
                found = cand;
            } else {
                c.append(": fails example ").append(bad + 1).append(" (want ")
                        .append(applyOp(op, ex[bad][0], ex[bad][1])).append(").\n");
            }
        }
        String plain = applyOp(found, qa, qb);
        String answer = enc(plain, symbols, alphabet);
        c.append(qa).append(' ').append(OPS[found]).append(' ').append(qb).append(" = ").append(plain);
        if (symbols) {
            c.append(", written ").append(answer);
        }
        c.append(".\n\\boxed{").append(answer).append('}');
        return new Puzzle(p.toString(), c.toString(), answer, symbols ? "cryptarithm_deduce" : "equation_numeric_deduce");
    }

    private static String enc(String s, boolean symbols, char[] alphabet) {
        if (!symbols) {
            return s;
        }
        StringBuilder sb = new StringBuilder();
        for (char ch : s.toCharArray()) {
            sb.append(ch >= '0' && ch <= '9' ? alphabet[ch - '0'] : ch);
        }
        return sb.toString();
    }

    private static double round2(double x) {
        return Math.round(x * 100.0) / 100.0;
    }

    private static String f2(double x) {
        return String.format(Locale.ROOT, "%.2f", x);
    }

    private static String f4(double x) {
        return String.format(Locale.ROOT, "%.4f", x);
    }

    // ---- CSV output ----

    /** RFC 4180 field: quoted when it holds a comma, quote, CR or LF; quotes doubled. Null = empty cell. */
    public static String csvField(String s) {
        if (s == null) {
            return "";
        }
        if (s.indexOf(',') < 0 && s.indexOf('"') < 0 && s.indexOf('\n') < 0 && s.indexOf('\r') < 0) {
            return s;
        }
        return '"' + s.replace("\"", "\"\"") + '"';
    }

    /** Writes rows {@code firstId .. firstId+rows-1} as CSV (with header) to {@code out}. */
    public void writeCsv(Writer out, long firstId, long rows) throws IOException {
        out.write(String.join(",", COLUMNS));
        out.write('\n');
        for (long i = 0; i < rows; i++) {
            Row r = next(firstId + i);
            out.write(Long.toString(r.id()));
            out.write(',');
            out.write(csvField(r.prompt()));
            out.write(',');
            out.write(csvField(r.cot()));
            out.write(',');
            out.write(csvField(r.answer()));
            out.write(',');
            out.write(csvField(r.type()));
            out.write('\n');
        }
    }

    /** Writes {@code rows} rows to one CSV file. */
    public static void writeFile(long seed, long rows, Path file) {
        try {
            if (file.getParent() != null) {
                Files.createDirectories(file.getParent());
            }
            try (BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
                new SampleDataGenerator(seed).writeCsv(w, 0, rows);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot write sample data to " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Writes {@code rows} rows as {@code parts} CSV files {@code part-00000.csv ...} in {@code dir}; the rows are
     * the same as {@link #writeFile} with the same seed, split in order.
     */
    public static void writeParts(long seed, long rows, int parts, Path dir) {
        try {
            Files.createDirectories(dir);
            SampleDataGenerator g = new SampleDataGenerator(seed);
            long per = (rows + parts - 1) / parts;
            long id = 0;
            for (int part = 0; part < parts; part++) {
                long n = Math.min(per, rows - id);
                try (BufferedWriter w = Files.newBufferedWriter(dir.resolve(String.format(Locale.ROOT,
                        "part-%05d.csv", part)), StandardCharsets.UTF_8)) {
                    g.writeCsv(w, id, Math.max(0, n));
                }
                id += Math.max(0, n);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot write sample data to " + dir + ": " + e.getMessage(), e);
        }
    }

    /** {@code --rows N --seed S --out PATH [--parts P]}. */
    public static void main(String[] args) {
        long rows = 3000;
        long seed = 20240601L;
        int parts = 0;
        String out = null;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException("Missing value after " + a
                        + "; usage: SampleDataGenerator --rows N --seed S --out PATH [--parts P]");
            }
            String v = args[++i];
            switch (a) {
                case "--rows" -> rows = Long.parseLong(v);
                case "--seed" -> seed = Long.parseLong(v);
                case "--parts" -> parts = Integer.parseInt(v);
                case "--out" -> out = v;
                default -> throw new IllegalArgumentException("Unknown option " + a
                        + "; usage: SampleDataGenerator --rows N --seed S --out PATH [--parts P]");
            }
        }
        if (out == null) {
            throw new IllegalArgumentException("--out is required; usage: SampleDataGenerator --rows N --seed S --out "
                    + "PATH [--parts P]");
        }
        if (parts > 0) {
            writeParts(seed, rows, parts, Path.of(out));
        } else {
            writeFile(seed, rows, Path.of(out));
        }
        System.out.println("Wrote " + rows + " rows (seed " + seed + ") to " + out);
    }
}
