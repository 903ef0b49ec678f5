package io.tracedistill.spark.prepare;

import java.util.Locale;

/**
 * The input table formats {@code prepare} reads, detected from file names.
 *
 * <p>CSV is read as RFC 4180 (quoted fields, embedded newlines, doubled quotes) with every column a
 * string, so values are kept as written (no type inference). JSON Lines are read with every primitive
 * as its JSON text ({@code primitivesAsString}). Parquet keeps its own column types.
 */
public enum InputFormat {
    CSV("csv"),
    JSONL("json"),
    PARQUET("parquet");

    private final String sparkSource;

    InputFormat(String sparkSource) {
        this.sparkSource = sparkSource;
    }

    /** The Spark data source name. */
    public String sparkSource() {
        return sparkSource;
    }

    /**
     * The format of one file name ({@code .csv}, {@code .jsonl}, {@code .json}, {@code .ndjson},
     * {@code .parquet}, each optionally followed by {@code .gz}/{@code .bz2}/{@code .snappy}-style codec
     * suffixes that Spark decodes; Spark part names like {@code part-00000-….snappy.parquet} work too).
     * Returns {@code null} when the name says nothing.
     */
    public static InputFormat ofFileName(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        for (String codec : new String[] {".gz", ".bz2", ".deflate", ".zst", ".lz4"}) {
            if (n.endsWith(codec)) {
                n = n.substring(0, n.length() - codec.length());
            }
        }
        if (n.endsWith(".csv")) {
            return CSV;
        }
        if (n.endsWith(".jsonl") || n.endsWith(".json") || n.endsWith(".ndjson")) {
            return JSONL;
        }
        if (n.endsWith(".parquet")) {
            return PARQUET;
        }
        return null;
    }
}
