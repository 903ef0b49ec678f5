package io.tracedistill.config;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

import static io.tracedistill.config.ConfigKeys.*;

/**
 * The evaluation step.
 *
 * @param path         {@code eval_path}; empty = no evaluation
 * @param adapters     {@code eval_adapters}; empty = the run's own adapter
 * @param maxNewTokens {@code eval_max_new_tokens}
 * @param batchSize    {@code eval_batch_size}
 * @param scorer       {@code eval_scorer}
 * @param limit        {@code eval_limit}; empty = every row
 */
public record EvalSection(Optional<String> path, List<String> adapters, int maxNewTokens, int batchSize, EvalScorer scorer,
                          Optional<Integer> limit) {

    public EvalSection {
        Objects.requireNonNull(path, "path");
        adapters = List.copyOf(adapters);
        Objects.requireNonNull(scorer, "scorer");
        Objects.requireNonNull(limit, "limit");
    }

    static EvalSection from(ConfigValuesByKey v) {
        return new EvalSection(v.get(K_EVAL_PATH), v.get(K_EVAL_ADAPTERS), v.get(K_EVAL_MAX_NEW_TOKENS),
                v.get(K_EVAL_BATCH_SIZE), v.get(K_EVAL_SCORER), v.get(K_EVAL_LIMIT));
    }
}
