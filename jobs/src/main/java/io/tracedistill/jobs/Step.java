package io.tracedistill.jobs;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
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

    /** A hash of everything the step's output depends on: config keys, upstream outputs, input files. */
    String fingerprint(JobContext ctx);

    /** The file written last by the step; its presence (with a matching fingerprint) means "done". */
    Path marker(JobContext ctx);

    /** Runs the step and returns a one-paragraph summary for the console. */
    String run(JobContext ctx) throws Exception;

    /** The canonical values of {@code keys} in the resolved config (nested phase keys as whole maps). */
    static Map<String, Object> configSubset(JobContext ctx, List<String> keys) {
        Map<String, Object> all = ctx.cfg().toCanonicalMap();
        Map<String, Object> out = new LinkedHashMap<>();
        for (String k : keys) {
            if (!all.containsKey(k)) {
                throw new IllegalStateException("config has no key '" + k + "' (step fingerprint out of date)");
            }
            out.put(k, all.get(k));
        }
        return out;
    }
}
