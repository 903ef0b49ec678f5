package io.tracedistill.jobs;

import java.util.List;

/**
 * Runs steps in order, skipping each one whose inputs are unchanged since it last finished
 * (see {@link StepLedger}); {@code --force} redoes everything. A step that is re-run invalidates
 * nothing by itself: the next step sees a new upstream manifest hash in its own fingerprint.
 */
final class Pipeline {
    private Pipeline() {}

    /** The end-to-end run: prepare → tokenize → train (phase 1, phase 2, adapter, zip, report) → eval. */
    static List<Step> endToEnd() {
        return List.of(new PrepareStep(), new TokenizeStep(), new TrainStep(), new EvalStep());
    }

    static void run(JobContext ctx, List<Step> steps) throws Exception {
        ctx.writeResolvedConfig();
        for (Step step : steps) {
            if (!step.enabled(ctx)) {
                ctx.out().println("[" + step.name() + "] not configured (skipped)");
                continue;
            }
            String fp = step.fingerprint(ctx);
            if (!ctx.force() && ctx.ledger().isDone(step.name(), fp, step.marker(ctx))) {
                ctx.out().println("[" + step.name() + "] up to date: inputs and config unchanged (skipped; --force redoes it)");
                continue;
            }
            ctx.out().println("[" + step.name() + "] running");
            long t0 = System.nanoTime();
            ctx.ledger().forget(step.name());
            String summary = step.run(ctx);
            ctx.ledger().markDone(step.name(), step.fingerprint(ctx));
            ctx.out().printf("[%s] done in %.1f s%n%s%n", step.name(), (System.nanoTime() - t0) / 1e9, summary);
        }
    }
}
