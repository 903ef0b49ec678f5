package io.tracedistill.config;

import java.util.Objects;
import java.util.Optional;

import static io.tracedistill.config.ConfigKeys.K_EARLY_STOPPING_PATIENCE;
import static io.tracedistill.config.ConfigKeys.K_EVAL_GENERATE_LIMIT;
import static io.tracedistill.config.ConfigKeys.K_EVAL_STEPS;
import static io.tracedistill.config.ConfigKeys.K_HELDOUT_SOURCE;
import static io.tracedistill.config.ConfigKeys.K_HOLDOUT_FRACTION;
import static io.tracedistill.config.ConfigKeys.K_METRIC_FOR_BEST;

/**
 * The held-out slice and the evaluation on it during training (extension keys; off by default, so the
 * reference's behaviour is unchanged).
 *
 * <p>With {@code holdout_fraction} f &gt; 0, prepare sets aside about f of each type's usable rows, before the
 * two-phase split, with the run's seed; tokenize formats and masks them like training rows; train measures the
 * teacher-forced loss on them per type every {@code eval_steps} optimizer steps and at the start and end of each phase
 * (with {@code eval_generate_limit}, also the greedy boxed accuracy and parse rate of up to that many rows), keeps the
 * best adapter in {@code best_adapter/}, and with {@code early_stopping_patience} ends a phase that stopped improving.
 * With {@code heldout_source: eval_path} the slice is the {@code eval_path} rows instead (formatted like training rows,
 * which then all stay in training); the evaluation is the same.
 *
 * @param fraction              {@code holdout_fraction}: share of each type's usable rows held out, in [0, 1); 0 = none
 * @param evalSteps             {@code eval_steps}: optimizer steps between held-out evaluations; 0 = phase start and end only
 * @param metricForBest         {@code metric_for_best}: what {@code best_adapter/} keeps the best of
 * @param generateLimit         {@code eval_generate_limit}: held-out rows greedy-decoded at each evaluation; empty = none
 * @param earlyStoppingPatience {@code early_stopping_patience}: evaluations without improvement that end a phase;
 *                              empty = never
 * @param source                {@code heldout_source}: the training rows' {@code fraction}, or the {@code eval_path} rows
 */
public record HeldOutSection(double fraction, int evalSteps, MetricForBest metricForBest, Optional<Integer> generateLimit,
                             Optional<Integer> earlyStoppingPatience, HeldOutSource source) {

    public HeldOutSection {
        Objects.requireNonNull(metricForBest, "metricForBest");
        Objects.requireNonNull(generateLimit, "generateLimit");
        Objects.requireNonNull(earlyStoppingPatience, "earlyStoppingPatience");
        Objects.requireNonNull(source, "source");
    }

    /** The slice is {@code fraction} of the training rows ({@code heldout_source: holdout_fraction}). */
    public HeldOutSection(double fraction, int evalSteps, MetricForBest metricForBest, Optional<Integer> generateLimit,
                          Optional<Integer> earlyStoppingPatience) {
        this(fraction, evalSteps, metricForBest, generateLimit, earlyStoppingPatience, HeldOutSource.HOLDOUT_FRACTION);
    }

    /** Loss only, no early stopping: the three keys of the first version. */
    public HeldOutSection(double fraction, int evalSteps, MetricForBest metricForBest) {
        this(fraction, evalSteps, metricForBest, Optional.empty(), Optional.empty());
    }

    /** No held-out slice (the reference's behaviour). */
    public static HeldOutSection none() {
        return new HeldOutSection(0.0, 0, MetricForBest.LOSS);
    }

    /** Whether a slice is held out (a fraction of the training rows, or the eval_path rows). */
    public boolean enabled() {
        return fraction > 0 || source == HeldOutSource.EVAL_PATH;
    }

    static HeldOutSection from(ConfigValuesByKey v) {
        return new HeldOutSection(v.get(K_HOLDOUT_FRACTION), v.get(K_EVAL_STEPS), v.get(K_METRIC_FOR_BEST),
                v.get(K_EVAL_GENERATE_LIMIT), v.get(K_EARLY_STOPPING_PATIENCE), v.get(K_HELDOUT_SOURCE));
    }
}
