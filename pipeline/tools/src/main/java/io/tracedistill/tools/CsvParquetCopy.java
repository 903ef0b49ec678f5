package io.tracedistill.tools;

import io.tracedistill.spark.SparkSessions;
import io.tracedistill.spark.prepare.InputFormat;
import io.tracedistill.spark.prepare.InputReader;
import org.apache.spark.sql.SparkSession;
import java.util.Locale;

/**
 * The anchor of the whole-process prepare benchmark ({@code scripts/bench-prepare whole-process}): Spark's own CSV →
 * Parquet copy of the same input, with the CSV options prepare reads it with ({@link InputReader#readOptions}), on
 * the same master, started the same way as the CLI (one JVM, {@link SparkSessions#builder}). Nothing else: no
 * contract, split, order or manifest, so it is the floor a Spark job on this input cannot go under.
 *
 * <p>Usage: {@code CsvParquetCopy INPUT_DIR OUTPUT_DIR MASTER}. Prints the time inside the JVM (the script times the
 * whole process).
 */
public final class CsvParquetCopy {
    private CsvParquetCopy() {
    }

    public static void main(String[] args) {
        if (args.length != 3) {
            System.err.println("usage: CsvParquetCopy INPUT_DIR OUTPUT_DIR MASTER");
            System.exit(2);
        }
        long t0 = System.nanoTime();
        SparkSession spark = SparkSessions.builder(args[2], "csv-parquet-copy").getOrCreate();
        try {
            long t1 = System.nanoTime();
            spark.read().options(InputReader.readOptions(InputFormat.CSV)).csv(args[0]).write().parquet(args[1]);
            long t2 = System.nanoTime();
            System.out.printf(Locale.ROOT, "copy: session %.1f s, read+write %.1f s (in-JVM)%n", (t1 - t0) / 1e9,
                    (t2 - t1) / 1e9);
        } finally {
            spark.stop();
        }
    }
}
