package io.tracedistill.config;

/** On-disk format of the prepared and token shards ({@code shard_format}). */
public enum ShardFormat implements YamlNamed {
    PARQUET,
    JSONL;

    /** The YAML spelling: {@code parquet} or {@code jsonl}. */
    @Override
    public String yamlName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    static ShardFormat fromYaml(String s) {
        return valueOf(s.toUpperCase(java.util.Locale.ROOT));
    }
}
