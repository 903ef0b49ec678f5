package io.tracedistill.train;

import io.tracedistill.run.Phase;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.tracedistill.model.SafeTensors;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Training checkpoints under {@code output_dir/checkpoints/}: one directory per checkpoint,
 * {@code phase{p}-step{s}} (s zero-padded to 6), holding
 *
 * <ul>
 *   <li>{@code lora.safetensors}: the LoRA weights (PEFT saved names);</li>
 *   <li>{@code optimizer.safetensors}: AdamW's {@code exp_avg.<name>} and {@code exp_avg_sq.<name>};</li>
 *   <li>{@code state.json}: {@link State} (optimizer t, scheduler step, data position, RNG, settings).</li>
 * </ul>
 *
 * A checkpoint is written into {@code checkpoints/.tmp-…} and renamed into place, so a killed run
 * leaves either a complete checkpoint or none. Only the newest {@code keep} are kept.
 */
public final class Checkpoints {

    static final String LORA_FILE = "lora.safetensors";
    static final String OPTIMIZER_FILE = "optimizer.safetensors";
    static final String STATE_FILE = "state.json";
    /** The {@link State#format()} this trainer writes and reads. */
    static final int FORMAT = 1;
    private static final Pattern NAME = Pattern.compile("phase([12])-step(\\d{6,})");
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private Checkpoints() {
    }

    /**
     * Everything besides tensors that a resume needs.
     *
     * @param format          file format version (1)
     * @param phase           phase the checkpoint belongs to (stored as its number)
     * @param phaseComplete   true for the checkpoint written at the phase's end
     * @param stepsTaken      optimizer steps taken in the phase (= scheduler step)
     * @param optimizerStep   AdamW t (equal to stepsTaken; stored separately as torch does)
     * @param epoch           0-based epoch of the next step
     * @param nextExampleIndex index within that epoch of the next example
     * @param totalSteps      steps in the phase (checked on resume)
     * @param numExamples     examples in the phase (checked on resume)
     * @param cumulativeTokens non-pad tokens trained on in the phase so far
     * @param elapsedSeconds  phase wall time so far
     * @param rng             how the NEFTune noise is drawn: derived from seed and position, so no stream state
     * @param seed            run seed
     * @param settings        the phase settings and max_length, to refuse a resume under other settings
     * @param unloggedLosses  step losses since the last metrics record (logging_steps &gt; 1 averages them)
     */
    public record State(int format, Phase phase, boolean phaseComplete, int stepsTaken, long optimizerStep, int epoch,
                        long nextExampleIndex, int totalSteps, long numExamples, long cumulativeTokens,
                        double elapsedSeconds, String rng, long seed, String settings, List<Double> unloggedLosses) {

        public State {
            unloggedLosses = unloggedLosses == null ? List.of() : List.copyOf(unloggedLosses);
        }

        /**
         * A checkpoint inside a phase, taken every {@code checkpoint_steps}: the next step starts at
         * {@code nextExampleIndex} of {@code epoch}.
         */
        static State midPhase(PhaseRun run, int stepsTaken, long optimizerStep, int epoch, long nextExampleIndex,
                              long cumulativeTokens, double elapsedSeconds, List<Double> unloggedLosses) {
            return new State(FORMAT, run.phase(), false, stepsTaken, optimizerStep, epoch, nextExampleIndex, run.totalSteps(),
                    run.numExamples(), cumulativeTokens, elapsedSeconds, MicroBatchRng.STATE, run.seed(), run.settings(),
                    unloggedLosses);
        }

        /** The checkpoint at a phase's end: a resume continues after this phase. */
        static State phaseEnd(PhaseRun run, int stepsTaken, long optimizerStep, int epochs, long cumulativeTokens,
                              double elapsedSeconds) {
            return new State(FORMAT, run.phase(), true, stepsTaken, optimizerStep, epochs, 0, run.totalSteps(),
                    run.numExamples(), cumulativeTokens, elapsedSeconds, MicroBatchRng.STATE, run.seed(), run.settings(),
                    List.of());
        }
    }

    /**
     * What identifies one phase of one run in its checkpoints (checked on resume).
     *
     * @param phase       the phase
     * @param totalSteps  optimizer steps in the phase
     * @param numExamples examples in the phase
     * @param seed        run seed
     * @param settings    the phase settings, max_length, pad id, seed and world_size as text
     */
    record PhaseRun(Phase phase, int totalSteps, long numExamples, long seed, String settings) {
    }

    /** A checkpoint read back. */
    public record Loaded(Path directory, State state, LinkedHashMap<String, SafeTensors.HostTensor> lora,
                         LinkedHashMap<String, SafeTensors.HostTensor> optimizer) {
    }

    /** Directory name of a checkpoint. */
    public static String name(Phase phase, int stepsTaken) {
        return String.format(Locale.ROOT, "%s-step%06d", phase.folderName(), stepsTaken);
    }

    /** Writes a checkpoint atomically and prunes old ones; returns its directory. */
    public static Path save(Path checkpointsDir, State state, LinkedHashMap<String, SafeTensors.HostTensor> lora,
                            LinkedHashMap<String, SafeTensors.HostTensor> optimizer, int keep) throws IOException {
        Files.createDirectories(checkpointsDir);
        Path target = checkpointsDir.resolve(name(state.phase(), state.stepsTaken()));
        Path tmp = Files.createTempDirectory(checkpointsDir, ".tmp-" + target.getFileName() + "-");
        TensorFiles.write(tmp.resolve(LORA_FILE), lora);
        TensorFiles.write(tmp.resolve(OPTIMIZER_FILE), optimizer);
        JSON.writeValue(tmp.resolve(STATE_FILE).toFile(), state);
        if (Files.exists(target)) {
            deleteTree(target); // a resumed run re-reaching an old step: same content, replace
        }
        moveAtomically(tmp, target);
        prune(checkpointsDir, keep);
        return target;
    }

    /** The newest complete checkpoint, if any. */
    public static Optional<Loaded> latest(Path checkpointsDir) throws IOException {
        List<Path> dirs = list(checkpointsDir);
        if (dirs.isEmpty()) {
            return Optional.empty();
        }
        Path dir = dirs.get(dirs.size() - 1);
        return Optional.of(load(dir));
    }

    /** Reads one checkpoint directory. */
    public static Loaded load(Path dir) throws IOException {
        Path stateFile = dir.resolve(STATE_FILE);
        if (!Files.isRegularFile(stateFile)) {
            throw new IOException("checkpoint " + dir + " has no " + STATE_FILE + "; delete the directory and resume again");
        }
        State state = JSON.readValue(stateFile.toFile(), State.class);
        if (state.format() != FORMAT) {
            throw new IOException("checkpoint " + dir + " has format " + state.format() + "; this trainer reads format " + FORMAT);
        }
        return new Loaded(dir, state, TensorFiles.read(dir.resolve(LORA_FILE)), TensorFiles.read(dir.resolve(OPTIMIZER_FILE)));
    }

    /** Complete checkpoint directories, oldest first (ordered by phase, then step). */
    public static List<Path> list(Path checkpointsDir) throws IOException {
        if (!Files.isDirectory(checkpointsDir)) {
            return List.of();
        }
        List<Path> out = new ArrayList<>();
        try (Stream<Path> s = Files.list(checkpointsDir)) {
            s.filter(p -> NAME.matcher(p.getFileName().toString()).matches())
                    .filter(p -> Files.isRegularFile(p.resolve(STATE_FILE)))
                    .forEach(out::add);
        }
        out.sort(Comparator.comparingLong(Checkpoints::orderKey));
        return out;
    }

    private static long orderKey(Path p) {
        Matcher m = NAME.matcher(p.getFileName().toString());
        if (!m.matches()) {
            throw new IllegalStateException(p.toString());
        }
        return Long.parseLong(m.group(1)) * 1_000_000_000L + Long.parseLong(m.group(2));
    }

    private static void prune(Path checkpointsDir, int keep) throws IOException {
        List<Path> dirs = list(checkpointsDir);
        for (int i = 0; i < dirs.size() - keep; i++) {
            deleteTree(dirs.get(i));
        }
        // Leftovers of a run killed while writing.
        try (Stream<Path> s = Files.list(checkpointsDir)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                if (p.getFileName().toString().startsWith(".tmp-")) {
                    deleteTree(p);
                }
            }
        }
    }

    static void moveAtomically(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to);
        }
    }

    static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> s = Files.walk(root)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.delete(p);
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot delete " + p, e);
                }
            });
        }
    }
}
