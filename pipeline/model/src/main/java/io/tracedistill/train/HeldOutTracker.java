package io.tracedistill.train;

import io.tracedistill.run.Phase;

import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The trainer's held-out bookkeeping ({@code holdout_fraction} &gt; 0): when to evaluate, the {@code metrics.jsonl}
 * records, and {@code best_adapter/} (the adapter of the lowest held-out loss so far, {@code metric_for_best: loss}).
 *
 * <p>Schedule: before phase 1's first step (step 0, the starting point of every curve), every {@code eval_steps}
 * optimizer steps of either phase, and at each phase's end (once, when the last step was not already evaluated).
 * Phase 2 starts from phase 1's final weights, whose evaluation is phase 1's last record. A resumed run recovers the
 * best loss from the records the checkpoint kept, so the same steps win as in an uninterrupted run.
 */
public final class HeldOutTracker {

    private static final Logger LOG = System.getLogger(HeldOutTracker.class.getName());

    /** Writes the current LoRA weights as the best adapter (rank 0; the trainer's atomic adapter write). */
    @FunctionalInterface
    public interface BestAdapterSink {
        void write(Phase phase, int step, HeldOutLoss loss) throws IOException;
    }

    private final HeldOutEvaluator evaluator;
    private final int evalSteps;
    private double bestLoss = Double.POSITIVE_INFINITY;

    /**
     * @param evaluator the held-out slice's evaluator
     * @param evalSteps {@code eval_steps}: optimizer steps between evaluations; 0 = phase start and end only
     */
    public HeldOutTracker(HeldOutEvaluator evaluator, int evalSteps) {
        if (evalSteps < 0) {
            throw new IllegalArgumentException("eval_steps must be at least 0, got " + evalSteps);
        }
        this.evaluator = evaluator;
        this.evalSteps = evalSteps;
    }

    /** Restores the best loss from the held-out records a resumed run kept. */
    void restore(List<MetricsLog.HeldOutEntry> kept) {
        for (MetricsLog.HeldOutEntry e : kept) {
            if (e.loss().loss() < bestLoss) {
                bestLoss = e.loss().loss();
            }
        }
    }

    /** Whether step {@code stepsTaken} of a phase of {@code totalSteps} is evaluated (its end always is). */
    boolean due(int stepsTaken, int totalSteps) {
        return stepsTaken == totalSteps || (evalSteps > 0 && stepsTaken % evalSteps == 0);
    }

    /**
     * Evaluates {@code model}, appends the record, and (when it is the lowest loss so far) has {@code best} write the
     * adapter before the record is appended, so a record marked best always has its adapter on disk.
     */
    HeldOutLoss evaluate(TrainableModel model, Phase phase, int step, MetricsLog metrics, BestAdapterSink best)
            throws IOException {
        long start = System.nanoTime();
        HeldOutLoss loss = evaluator.evaluate(model);
        boolean isBest = loss.loss() < bestLoss;
        if (isBest) {
            bestLoss = loss.loss();
            best.write(phase, step, loss);
        }
        metrics.append(new MetricsLog.HeldOutEntry(phase, step, loss, isBest));
        StringBuilder types = new StringBuilder();
        for (Map.Entry<String, HeldOutLoss.TypeLoss> e : loss.byType().entrySet()) {
            types.append(String.format(Locale.ROOT, " %s %.4f", e.getKey(), e.getValue().loss()));
        }
        LOG.log(Level.INFO, String.format(Locale.ROOT, "%s step %d held-out loss %.6f (%d targets, %.1f s)%s;%s", phase, step,
                loss.loss(), loss.targets(), (System.nanoTime() - start) / 1e9, isBest ? " best so far" : "", types));
        return loss;
    }
}
