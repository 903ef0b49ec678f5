package io.tracedistill.config;

/** On-disk format of the prepared, token and prediction shards ({@code shard_format}). */
public enum ShardFormat implements YamlEnum {
    /** Apache Parquet (Spark's default snappy compression). */
    PARQUET("parquet", ".parquet"),
    /** JSON Lines: one JSON object per line. */
    JSONL("json", ".jsonl");

    private final String sparkSource;
    private final String extension;

    ShardFormat(String sparkSource, String extension) {
        this.sparkSource = sparkSource;
        this.extension = extension;
    }

    /** The Spark data source that reads and writes it: {@code parquet}, or {@code json} (one object per line). */
    public String sparkSource() {
        return sparkSource;
    }

    /** The file name extension of a published shard: {@code .parquet} or {@code .jsonl}. */
    public String extension() {
        return extension;
    }
}
