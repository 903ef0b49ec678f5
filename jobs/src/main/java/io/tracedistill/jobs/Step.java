package io.tracedistill.jobs;

import io.tracedistill.run.RunPath;
import java.util.Map;

/**
 * One step of the end-to-end run (prepare, tokenize, train, eval). A step says what its result
 * depends on ({@link #fingerprint}) and which file proves it finished ({@link #marker}); the runner
 * skips it when both match a previous run.
 */
public interface Step {

    /** Short name, also the ledger file name: {@code prepare}, {@code tokenize}, {@code train}, {@code eval}. */
    String name();

    /** Whether this run includes the step at all (eval runs only when {@code eval_path} is set). */
    default boolean enabled(JobContext ctx) {
        return true;
    }

    /**
     * The settings record the step passes to its stage, built from the config by the stage's own factory
     * ({@code PrepareSettings.from}, {@code TrainRun.Settings.of}, ...). Its canonical form
     * ({@link io.tracedistill.config.Canonical}) is part of the fingerprint, so no list of config keys can drift
     * from what the stage reads.
     */
    Object settings(JobContext ctx);

    /**
     * Hashes of what the step reads besides its settings, by name: input data files, model files, upstream
     * manifests.
     */
    Map<String, String> inputFiles(JobContext ctx);

    /** A hash of everything the step's output depends on: its settings record and its input files. */
    default String fingerprint(JobContext ctx) {
        return StepLedger.fingerprint(settings(ctx), inputFiles(ctx));
    }

    /** The file written last by the step; its presence (with a matching fingerprint) means "done". */
    RunPath marker(JobContext ctx);

    /** Runs the step and returns a one-paragraph summary for the console. */
    String run(JobContext ctx) throws Exception;
}
