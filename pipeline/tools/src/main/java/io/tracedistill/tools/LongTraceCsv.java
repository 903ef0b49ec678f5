package io.tracedistill.tools;

import io.tracedistill.testdata.SampleDataGenerator;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Benchmark input with chain-of-thought traces as long as real ones (hundreds to a few thousand characters):
 * {@link SampleDataGenerator}'s rows (same families, answers and deliberately bad rows), each usable trace preceded by
 * a seeded re-checking paragraph so its length is log-uniform in {@code [minChars, maxChars]}; the trace's own
 * reasoning and final {@code \boxed{}} stay at its end, so the format contract keeps the same rows. Written as
 * {@code parts} RFC 4180 CSV files {@code part-00000.csv ...}. The generator's own traces are about 200 characters,
 * shorter than a teacher model's, and a prepare benchmark on them under-weights the per-byte work (CSV parsing,
 * Parquet encoding).
 *
 * <p>Usage: {@code LongTraceCsv ROWS PARTS OUT_DIR [MIN_CHARS=200] [MAX_CHARS=1600] [SEED=1234]}.
 */
public final class LongTraceCsv {
    private LongTraceCsv() {
    }

    public static void main(String[] args) {
        if (args.length < 3) {
            System.err.println("usage: LongTraceCsv ROWS PARTS OUT_DIR [MIN_CHARS=200] [MAX_CHARS=1600] [SEED=1234]");
            System.exit(2);
        }
        long rows = Long.parseLong(args[0]);
        int parts = Integer.parseInt(args[1]);
        Path dir = Path.of(args[2]);
        int min = args.length > 3 ? Integer.parseInt(args[3]) : 200;
        int max = args.length > 4 ? Integer.parseInt(args[4]) : 1600;
        long seed = args.length > 5 ? Long.parseLong(args[5]) : 1234;
        long t0 = System.nanoTime();
        long bytes = write(seed, rows, parts, dir, min, max);
        System.out.printf(Locale.ROOT, "generated %,d rows with traces of %d-%d chars in %d parts (%.0f MB) in %.1f s%n",
                rows, min, max, parts, bytes / 1e6, (System.nanoTime() - t0) / 1e9);
    }

    /** Writes the parts; returns the bytes written. */
    static long write(long seed, long rows, int parts, Path dir, int minChars, int maxChars) {
        SampleDataGenerator g = new SampleDataGenerator(seed);
        SplittableRandom lengths = new SplittableRandom(seed ^ 0x5DEECE66DL);
        long per = (rows + parts - 1) / parts;
        long id = 0;
        long bytes = 0;
        try {
            Files.createDirectories(dir);
            for (int part = 0; part < parts; part++) {
                long n = Math.max(0, Math.min(per, rows - id));
                Path file = dir.resolve(String.format(Locale.ROOT, "part-%05d.csv", part));
                try (BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
                    w.write(String.join(",", SampleDataGenerator.COLUMNS));
                    w.write('\n');
                    for (long end = id + n; id < end; id++) {
                        SampleDataGenerator.Row r = g.next(id);
                        double u = lengths.nextDouble();
                        int target = (int) Math.round(minChars * Math.pow((double) maxChars / minChars, u));
                        String cot = r.cot().length() < 20 ? r.cot() : lengthen(r.cot(), target, lengths);
                        w.write(Long.toString(r.id()));
                        w.write(',');
                        w.write(SampleDataGenerator.csvField(r.prompt()));
                        w.write(',');
                        w.write(SampleDataGenerator.csvField(cot));
                        w.write(',');
                        w.write(SampleDataGenerator.csvField(r.answer()));
                        w.write(',');
                        w.write(SampleDataGenerator.csvField(r.type()));
                        w.write('\n');
                    }
                }
                bytes += Files.size(file);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot write benchmark data to " + dir + ": " + e.getMessage(), e);
        }
        return bytes;
    }

    /** {@code cot} preceded by re-checking sentences (seeded numbers, so Parquet cannot fold them) to ~target chars. */
    private static String lengthen(String cot, int target, SplittableRandom rng) {
        StringBuilder sb = new StringBuilder(target + 64).append("Let me re-check the rule on the examples first.\n");
        int step = 1;
        while (sb.length() + cot.length() < target) {
            int a = rng.nextInt(1000);
            int b = rng.nextInt(1000);
            sb.append("Step ").append(step++).append(": taking ").append(a).append(" through the rule gives ")
                    .append(a + b).append(", and ").append(b).append(" gives ").append(2 * b + 1)
                    .append(", which agrees with the examples.\n");
        }
        return sb.append(cot).toString();
    }
}
