package io.tracedistill.spark.tokenize;

import java.io.Serializable;
import java.math.BigInteger;
import java.time.LocalDate;
import java.util.Objects;
import java.util.Optional;

/**
 * The part of the run configuration the tokenize stage uses, as one serializable record (it travels to the
 * executors inside the partition function).
 *
 * @param modelDir the base model directory ({@code base_model}): holds {@code tokenizer.json} and
 *     {@code tokenizer_config.json} with the {@code chat_template}; must be readable at the same path on every
 *     executor
 * @param maxLength {@code max_length}: token budget per example (keep-start truncation)
 * @param seed {@code seed}: seed of the stratified order when it is recomputed over the survivors
 * @param enableThinking {@code enable_thinking}, passed to the chat template
 * @param chatDate {@code chat_date}: the date the template's {@code strftime_now} sees; empty = reuse the date recorded
 *     in an existing {@code tokens/manifest.json}, else today (UTC)
 * @param shardFormat {@code shard_format} of the prepared shards read and the token shards written
 * @param phase1EffectiveBatch per_device_train_batch_size x gradient_accumulation_steps x world_size of phase 1
 * @param phase2EffectiveBatch the same for phase 2
 */
public record TokenizeSettings(String modelDir, int maxLength, BigInteger seed, boolean enableThinking,
        Optional<LocalDate> chatDate, ShardFormat shardFormat, int phase1EffectiveBatch, int phase2EffectiveBatch)
        implements Serializable {

    public TokenizeSettings {
        Objects.requireNonNull(modelDir, "modelDir");
        Objects.requireNonNull(seed, "seed");
        Objects.requireNonNull(chatDate, "chatDate");
        Objects.requireNonNull(shardFormat, "shardFormat");
        if (maxLength <= 0) {
            throw new IllegalArgumentException("Invalid value " + maxLength + " for max_length: must be at least 1");
        }
        if (phase1EffectiveBatch <= 0 || phase2EffectiveBatch <= 0) {
            throw new IllegalArgumentException("Effective batch sizes must be at least 1, got phase1 "
                    + phase1EffectiveBatch + ", phase2 " + phase2EffectiveBatch
                    + " (per_device_train_batch_size x gradient_accumulation_steps x world_size)");
        }
    }

    /** Effective batch of phase 1 or 2. */
    public int effectiveBatch(Phase phase) {
        return phase == Phase.PHASE1 ? phase1EffectiveBatch : phase2EffectiveBatch;
    }

    /** A copy with the chat date fixed. */
    public TokenizeSettings withChatDate(LocalDate date) {
        return new TokenizeSettings(modelDir, maxLength, seed, enableThinking, Optional.of(date), shardFormat,
                phase1EffectiveBatch, phase2EffectiveBatch);
    }

    /** Shard file format ({@code shard_format}). */
    public enum ShardFormat {
        PARQUET("parquet", ".parquet"),
        JSONL("jsonl", ".jsonl");

        private final String configName;
        private final String extension;

        ShardFormat(String configName, String extension) {
            this.configName = configName;
            this.extension = extension;
        }

        /** The value in the config file. */
        public String configName() {
            return configName;
        }

        /** File name extension of a shard file. */
        public String extension() {
            return extension;
        }

        /** Parses {@code parquet} / {@code jsonl}. */
        public static ShardFormat fromConfig(String value) {
            for (ShardFormat f : values()) {
                if (f.configName.equals(value)) {
                    return f;
                }
            }
            throw new IllegalArgumentException("Invalid value '" + value + "' for shard_format: must be one of "
                    + "parquet, jsonl");
        }
    }

    /** The two training phases, with their directory names under {@code prepared/} and {@code tokens/}. */
    public enum Phase {
        PHASE1("phase1"),
        PHASE2("phase2");

        private final String dirName;

        Phase(String dirName) {
            this.dirName = dirName;
        }

        /** {@code phase1} / {@code phase2}. */
        public String dirName() {
            return dirName;
        }
    }
}
