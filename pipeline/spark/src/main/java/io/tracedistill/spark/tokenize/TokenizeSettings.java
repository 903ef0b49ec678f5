package io.tracedistill.spark.tokenize;

import io.tracedistill.config.RunConfig;
import io.tracedistill.config.ShardFormat;
import io.tracedistill.run.Phase;
import java.io.Serializable;
import java.math.BigInteger;
import java.time.LocalDate;
import java.util.Objects;
import java.util.Optional;

/**
 * The part of the run configuration the tokenize stage uses, as one serializable record (it travels to the
 * executors inside the partition function). Ranges were checked when the config loaded.
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
 * @param phase1EffectiveBatch the effective batch of phase 1 ({@link io.tracedistill.config.TrainSection#effectiveBatch})
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

    /**
     * The stage's settings from the run configuration: {@code base_model}, {@code max_length}, {@code seed},
     * {@code enable_thinking}, {@code chat_date}, {@code shard_format}, and each phase's effective batch
     * (per_device_train_batch_size x gradient_accumulation_steps x world_size).
     */
    public static TokenizeSettings from(RunConfig cfg) {
        return new TokenizeSettings(cfg.model().baseModel(), cfg.model().maxLength(), BigInteger.valueOf(cfg.seed()),
                cfg.model().enableThinking(), cfg.model().chatDate(), cfg.output().shardFormat(),
                cfg.train().effectiveBatch(Phase.PHASE1), cfg.train().effectiveBatch(Phase.PHASE2));
    }
}
