package io.tracedistill.train;

import io.tracedistill.config.MetricForBest;
import io.tracedistill.run.Phase;

import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The trainer's held-out bookkeeping ({@code holdout_fraction} &gt; 0): when to evaluate, the {@code metrics.jsonl}
 * records, {@code best_adapter/} (the adapter of the best {@code metric_for_best} so far, over both phases), and
 * {@code early_stopping_patience}.
 *
 * <p>Schedule: before phase 1's first step (step 0, the starting point of every curve), every {@code eval_steps}
 * optimizer steps of either phase, and at each phase's end (once, when the last step was not already evaluated).
 * Phase 2 starts from phase 1's final weights, whose evaluation is phase 1's last record.
 *
 * <p>Early stopping counts, per phase, the evaluations in a row that do not strictly improve the phase's best
 * {@code metric_for_best}; the phase's reference is its starting weights (phase 1: the step-0 evaluation; phase 2:
 * phase 1's last evaluation), so a Nudge that only makes things worse than phase 1's end stops, while a Nudge that
 * is worse than an earlier phase-1 best but still improving does not. When the count reaches the patience before the
 * phase's last step, the record says {@code early_stop} and the trainer ends the phase there.
 *
 * <p>State on resume: every input of that decision is in the held-out records, and a resumed run keeps exactly the
 * records up to its checkpoint's step ({@link MetricsLog#resume}), so {@link #restore} replays them through the same
 * {@link #observe} and the resumed run makes the same decisions as an uninterrupted one.
 */
public final class HeldOutTracker {

    private static final Logger LOG = System.getLogger(HeldOutTracker.class.getName());

    /** Writes the current LoRA weights as the best adapter (rank 0; the trainer's atomic adapter write). */
    @FunctionalInterface
    public interface BestAdapterSink {
        void write(MetricsLog.HeldOutEntry record, MetricForBest metric) throws IOException;
    }

    private final HeldOutEvaluator evaluator;
    private final Optional<HeldOutGreedy> greedy;
    private final int evalSteps;
    private final MetricForBest metric;
    private final Optional<Integer> patience;

    private double best = Double.NaN;
    private Phase currentPhase;
    private double phaseBest = Double.NaN;
    private int sinceBest;
    private double last = Double.NaN;

    /** Loss only, {@code metric_for_best: loss}, no early stopping. */
    public HeldOutTracker(HeldOutEvaluator evaluator, int evalSteps) {
        this(evaluator, Optional.empty(), evalSteps, MetricForBest.LOSS, Optional.empty());
    }

    /**
     * @param evaluator the held-out slice's loss evaluator
     * @param greedy    the greedy evaluation of {@code eval_generate_limit} rows, if set
     * @param evalSteps {@code eval_steps}: optimizer steps between evaluations; 0 = phase start and end only
     * @param metric    {@code metric_for_best} ({@code accuracy} needs {@code greedy})
     * @param patience  {@code early_stopping_patience}; empty = never stop early
     */
    public HeldOutTracker(HeldOutEvaluator evaluator, Optional<HeldOutGreedy> greedy, int evalSteps, MetricForBest metric,
                          Optional<Integer> patience) {
        if (evalSteps < 0) {
            throw new IllegalArgumentException("eval_steps must be at least 0, got " + evalSteps);
        }
        if (metric == MetricForBest.ACCURACY && greedy.isEmpty()) {
            throw new IllegalArgumentException("metric_for_best: accuracy needs eval_generate_limit (the rows to decode)");
        }
        if (patience.isPresent() && patience.get() < 1) {
            throw new IllegalArgumentException("early_stopping_patience must be at least 1, got " + patience.get());
        }
        this.evaluator = evaluator;
        this.greedy = greedy;
        this.evalSteps = evalSteps;
        this.metric = metric;
        this.patience = patience;
    }

    /** What one evaluation means for best_adapter and early stopping. */
    private record Observation(boolean best, int sinceBest, boolean patienceUsedUp) {
    }

    /** Restores the state from the held-out records a resumed run kept (in file order). */
    void restore(List<MetricsLog.HeldOutEntry> kept) {
        for (MetricsLog.HeldOutEntry e : kept) {
            observe(e.phase(), e.metric(metric));
        }
    }

    /** Folds one evaluation's metric value into the state (the one rule, live and on {@link #restore}). */
    private Observation observe(Phase phase, double value) {
        if (phase != currentPhase) {
            // A phase starts from the weights the previous one ended with: their evaluation is its reference.
            currentPhase = phase;
            phaseBest = last;
            sinceBest = 0;
        }
        boolean isBest = metric.improves(value, best);
        if (isBest) {
            best = value;
        }
        if (metric.improves(value, phaseBest)) {
            phaseBest = value;
            sinceBest = 0;
        } else {
            sinceBest++;
        }
        last = value;
        return new Observation(isBest, sinceBest, patience.isPresent() && sinceBest >= patience.get());
    }

    /** Whether step {@code stepsTaken} of a phase of {@code totalSteps} is evaluated (its end always is). */
    boolean due(int stepsTaken, int totalSteps) {
        return stepsTaken == totalSteps || (evalSteps > 0 && stepsTaken % evalSteps == 0);
    }

    /** Evaluations in a row that did not improve the current phase's best (what the patience is compared with). */
    int evaluationsWithoutImprovement() {
        return sinceBest;
    }

    /** {@code metric_for_best}. */
    MetricForBest metric() {
        return metric;
    }

    /**
     * Evaluates {@code model} (and decodes the greedy rows), appends the record, and (when it is the best
     * {@code metric_for_best} so far) has {@code best} write the adapter before the record is appended, so a record
     * marked best always has its adapter on disk.
     *
     * @param phaseEnd whether {@code step} is the phase's last (early stopping then has nothing left to stop)
     * @return the record; {@link MetricsLog.HeldOutEntry#stoppedEarly} tells the trainer to end the phase
     */
    MetricsLog.HeldOutEntry evaluate(TrainableModel model, Phase phase, int step, boolean phaseEnd, MetricsLog metrics,
                                     BestAdapterSink best) throws IOException {
        long start = System.nanoTime();
        HeldOutLoss loss = evaluator.evaluate(model);
        double lossSeconds = (System.nanoTime() - start) / 1e9;
        Optional<HeldOutAccuracy> accuracy = greedy.map(HeldOutGreedy::evaluate);
        MetricsLog.HeldOutEntry probe = new MetricsLog.HeldOutEntry(phase, step, loss, false, accuracy, 0, false);
        Observation o = observe(phase, probe.metric(metric));
        MetricsLog.HeldOutEntry record = new MetricsLog.HeldOutEntry(phase, step, loss, o.best(), accuracy, o.sinceBest(),
                o.patienceUsedUp() && !phaseEnd);
        if (o.best()) {
            best.write(record, metric);
        }
        metrics.append(record);
        StringBuilder types = new StringBuilder();
        for (Map.Entry<String, HeldOutLoss.TypeLoss> e : loss.byType().entrySet()) {
            types.append(String.format(Locale.ROOT, " %s %.4f", e.getKey(), e.getValue().loss()));
        }
        String greedyText = accuracy.map(a -> String.format(Locale.ROOT, "; greedy accuracy %.4f, parse rate %.4f on %d rows"
                + " (%.1f s)", a.overall().accuracy(), a.overall().parseRate(), a.overall().rows(),
                (System.nanoTime() - start) / 1e9 - lossSeconds)).orElse("");
        LOG.log(Level.INFO, String.format(Locale.ROOT, "%s step %d held-out loss %.6f (%d targets, %.1f s)%s%s;%s", phase, step,
                loss.loss(), loss.targets(), lossSeconds, greedyText, o.best() ? " best so far" : "", types));
        if (record.stoppedEarly()) {
            LOG.log(Level.INFO, earlyStopReason(record, metric));
        }
        return record;
    }

    /** Why a phase ended at {@code record}: the sentence the log, the report and the train step print. */
    static String earlyStopReason(MetricsLog.HeldOutEntry record, MetricForBest metric) {
        return String.format(Locale.ROOT, "%s stopped early at step %d: held-out %s did not improve for %d evaluation(s)"
                + " in a row (early_stopping_patience %d)", record.phase(), record.step(), metric.yamlName(),
                record.sinceBest(), record.sinceBest());
    }
}
