package io.tracedistill.spark.prepare;

import java.util.Locale;

/** How shards are written (config key {@code shard_format}). */
public enum ShardFormat {
    PARQUET("parquet"),
    JSONL("json");

    private final String sparkSource;

    ShardFormat(String sparkSource) {
        this.sparkSource = sparkSource;
    }

    public String sparkSource() {
        return sparkSource;
    }

    /** The config spelling: {@code parquet} or {@code jsonl}. */
    public String configName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * Parses the config value.
     *
     * @throws IllegalArgumentException naming the value and the allowed ones
     */
    public static ShardFormat parse(String value) {
        if (value == null) {
            return PARQUET;
        }
        switch (value.trim().toLowerCase(Locale.ROOT)) {
            case "parquet":
                return PARQUET;
            case "jsonl":
            case "json":
                return JSONL;
            default:
                throw new IllegalArgumentException("Invalid value '" + value + "' for shard_format: must be parquet or "
                        + "jsonl");
        }
    }
}
