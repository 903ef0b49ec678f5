package io.tracedistill.eval;

import io.tracedistill.config.RunConfig;
import io.tracedistill.config.DeviceSpec;
import io.tracedistill.config.EvalScorer;
import io.tracedistill.run.RunPath;
import java.io.Serializable;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Everything the decoders need, shipped to Spark executors (hence plain serializable fields).
 *
 * @param modelDir       the base model directory ({@code base_model}), absolute
 * @param arms           {@code base} first, then one arm per adapter
 * @param maxNewTokens   {@code eval_max_new_tokens}
 * @param batchSize      {@code eval_batch_size}
 * @param maxLength      {@code max_length}
 * @param enableThinking {@code enable_thinking}, passed to the chat template
 * @param chatDate       {@code chat_date} ({@code strftime_now}'s date), or null for the system clock
 * @param promptSuffix   {@code prompt_suffix}, appended to the prompt to make the user turn
 * @param scorer         {@code eval_scorer}: {@code competition} or {@code gsm8k}
 */
public record EvalSettings(String modelDir, List<ArmSpec> arms, int maxNewTokens, int batchSize, int maxLength,
        boolean enableThinking, LocalDate chatDate, String promptSuffix, EvalScorer scorer, DeviceSpec device)
        implements Serializable {

    /** Settings that decode on the CPU. */
    public EvalSettings(String modelDir, List<ArmSpec> arms, int maxNewTokens, int batchSize, int maxLength,
            boolean enableThinking, LocalDate chatDate, String promptSuffix, EvalScorer scorer) {
        this(modelDir, arms, maxNewTokens, batchSize, maxLength, enableThinking, chatDate, promptSuffix, scorer, DeviceSpec.cpu());
    }

    /** Ranges are checked by the config loader; this checks only what the config cannot know (the arms). */
    public EvalSettings {
        Objects.requireNonNull(modelDir, "modelDir");
        arms = List.copyOf(arms);
        Objects.requireNonNull(promptSuffix, "promptSuffix");
        Objects.requireNonNull(scorer, "scorer");
        Objects.requireNonNull(device, "device");
        if (arms.isEmpty() || !ArmSpec.BASE.equals(arms.get(0).name())) {
            throw new IllegalArgumentException("the first arm must be 'base', got " + arms);
        }
    }

    /** The settings of a run config; arms from {@code eval_adapters} (empty: {@code output_dir/adapter}). */
    public static EvalSettings of(RunConfig cfg, String outputDir) {
        return new EvalSettings(absolute(cfg.model().baseModel()),
                ArmSpec.resolve(outputDir, cfg.eval().adapters()), cfg.eval().maxNewTokens(), cfg.eval().batchSize(),
                cfg.model().maxLength(), cfg.model().enableThinking(), cfg.model().chatDate().orElse(null),
                cfg.data().promptSuffix(), cfg.eval().scorer(), cfg.model().device());
    }

    /**
     * A folder as the settings hold it: a local path made absolute, any other Hadoop URI ({@code s3a://...}) as given
     * (each node copies it locally before loading it: {@code io.tracedistill.spark.ModelFolders}).
     */
    public static String absolute(String dir) {
        return new RunPath(dir).isLocal() ? new RunPath(dir).toLocalPath().toAbsolutePath().normalize().toString() : dir;
    }

    /** A copy with another model folder. */
    public EvalSettings withModelDir(String newModelDir) {
        return new EvalSettings(newModelDir, arms, maxNewTokens, batchSize, maxLength, enableThinking, chatDate,
                promptSuffix, scorer, device);
    }

    public Optional<LocalDate> chatDateOpt() {
        return Optional.ofNullable(chatDate);
    }

    public Path modelPath() {
        return Path.of(modelDir);
    }

    /** The context rule for this model ({@code max_position_embeddings} read from the cached model config). */
    public ContextLimit contextLimit(int modelMaxPositions) {
        return new ContextLimit(maxLength, modelMaxPositions, maxNewTokens);
    }

    /** A copy with other arms. */
    public EvalSettings withArms(List<ArmSpec> newArms) {
        return new EvalSettings(modelDir, newArms, maxNewTokens, batchSize, maxLength, enableThinking, chatDate,
                promptSuffix, scorer, device);
    }
}
