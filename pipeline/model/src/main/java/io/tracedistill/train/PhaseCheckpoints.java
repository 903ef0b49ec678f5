package io.tracedistill.train;

import io.tracedistill.run.Phase;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import io.tracedistill.config.PhaseConfig;
import io.tracedistill.model.SafeTensors;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The trainer's side of {@link Checkpoints}: saves and restores the primary replica's LoRA weights and the
 * AdamW moments under {@code output_dir/checkpoints/}, and refuses to resume a phase under other settings or
 * other data.
 */
final class PhaseCheckpoints {
    private final Path dir;
    private final TrainSettings settings;
    private final TrainableModel model;

    /** Checkpoints of {@code model} (the primary replica) in {@code checkpointsDir}. */
    PhaseCheckpoints(Path checkpointsDir, TrainSettings settings, TrainableModel model) {
        this.dir = checkpointsDir;
        this.settings = settings;
        this.model = model;
    }

    /**
     * Where a run starts: the newest checkpoint when {@code resume} (none = a fresh start); without resume, old
     * checkpoints are deleted so that a later resume cannot pick up stale state.
     */
    Optional<Checkpoints.Loaded> startingPoint(boolean resume) throws IOException {
        if (resume) {
            return Checkpoints.latest(dir);
        }
        if (!Checkpoints.list(dir).isEmpty()) {
            Checkpoints.deleteTree(dir);
        }
        Files.deleteIfExists(finishedFile(Phase.PHASE1));
        return Optional.empty();
    }

    /**
     * Records that {@code phase} finished under this run's settings ({@code checkpoints/phase1.settings}), so a
     * later resume that skips the phase can tell whether its adapter still matches the config.
     */
    void recordFinished(Phase phase) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(finishedFile(phase), settingsText(phase), StandardCharsets.UTF_8);
    }

    /**
     * A resume reuses a finished phase's weights as they are; refuses when that phase ran under other settings
     * than this run's (a changed learning rate would otherwise return the old adapter byte for byte while
     * report.md printed the new rate). The settings come from the checkpoint itself when it belongs to
     * {@code phase}, else from {@link #recordFinished}. Runs that predate the record cannot be checked.
     */
    void checkFinishedPhase(Phase phase, Checkpoints.Loaded from) throws IOException {
        String recorded = from.state().phase() == phase ? from.state().settings()
                : Files.isRegularFile(finishedFile(phase)) ? Files.readString(finishedFile(phase), StandardCharsets.UTF_8) : null;
        String now = settingsText(phase);
        if (recorded != null && !recorded.equals(now)) {
            throw new PhaseSettingsChangedException(phase, phase + " already finished in " + dir
                    + " under other settings (" + recorded + ") than this run (" + now + "); --resume would reuse its"
                    + " weights unchanged. Run train without --resume, or with --resume --force (both retrain from the"
                    + " start), or restore the settings of that run to resume it");
        }
    }

    private Path finishedFile(Phase phase) {
        return dir.resolve(phase.folderName() + ".settings");
    }

    /** The identity of {@code phase} with {@code totalSteps} steps over {@code numExamples} examples. */
    Checkpoints.PhaseRun phaseRun(Phase phase, int totalSteps, long numExamples) {
        return new Checkpoints.PhaseRun(phase, totalSteps, numExamples, settings.seed(), settingsText(phase));
    }

    /** Writes {@code state} with the current LoRA weights and {@code optimizer}'s moments; returns its directory. */
    Path save(Checkpoints.State state, AdamW optimizer) throws IOException {
        return Checkpoints.save(dir, state, loraHostTensors(), optimizerHostTensors(optimizer), settings.keepCheckpoints());
    }

    /** The LoRA weights as host tensors, PEFT names in order (for checkpoints and adapters). */
    LinkedHashMap<String, SafeTensors.HostTensor> loraHostTensors() {
        LinkedHashMap<String, SafeTensors.HostTensor> out = new LinkedHashMap<>();
        for (Map.Entry<String, NDArray> e : model.trainableParameters().entrySet()) {
            out.put(e.getKey(), new SafeTensors.HostTensor(e.getValue().getShape().getShape(), e.getValue().toFloatArray()));
        }
        return out;
    }

    private LinkedHashMap<String, SafeTensors.HostTensor> optimizerHostTensors(AdamW optimizer) {
        LinkedHashMap<String, SafeTensors.HostTensor> out = new LinkedHashMap<>();
        List<String> names = new ArrayList<>(model.trainableParameters().keySet());
        List<NDArray> m = optimizer.firstMoments();
        List<NDArray> v = optimizer.secondMoments();
        for (int i = 0; i < names.size(); i++) {
            out.put("exp_avg." + names.get(i), new SafeTensors.HostTensor(m.get(i).getShape().getShape(), m.get(i).toFloatArray()));
        }
        for (int i = 0; i < names.size(); i++) {
            out.put("exp_avg_sq." + names.get(i), new SafeTensors.HostTensor(v.get(i).getShape().getShape(), v.get(i).toFloatArray()));
        }
        return out;
    }

    /** Loads a checkpoint's LoRA weights into the model. */
    void restoreWeights(Checkpoints.Loaded from) {
        Map<String, SafeTensors.HostTensor> lora = from.lora();
        Map<String, NDArray> params = model.trainableParameters();
        if (!lora.keySet().equals(params.keySet())) {
            throw new IllegalArgumentException("checkpoint " + from.directory() + " holds LoRA tensors " + lora.keySet().size()
                    + " that do not match the model's " + params.size() + " trainable tensors; it belongs to another LoRA setup");
        }
        for (Map.Entry<String, NDArray> e : params.entrySet()) {
            SafeTensors.HostTensor t = lora.get(e.getKey());
            if (!new Shape(t.shape()).equals(e.getValue().getShape())) {
                throw new IllegalArgumentException("checkpoint " + from.directory() + ": " + e.getKey() + " has shape "
                        + new Shape(t.shape()) + " but the model's is " + e.getValue().getShape());
            }
            e.getValue().set(t.values());
        }
    }

    /** Checks that {@code from} belongs to {@code run}, then loads its AdamW state into {@code optimizer}. */
    void restoreOptimizer(AdamW optimizer, Checkpoints.Loaded from, Checkpoints.PhaseRun run) {
        checkSameRun(from, run);
        List<float[]> m = new ArrayList<>();
        List<float[]> v = new ArrayList<>();
        for (String name : model.trainableParameters().keySet()) {
            SafeTensors.HostTensor a = from.optimizer().get("exp_avg." + name);
            SafeTensors.HostTensor b = from.optimizer().get("exp_avg_sq." + name);
            if (a == null || b == null) {
                throw new IllegalArgumentException("checkpoint " + from.directory() + " has no optimizer state for " + name);
            }
            m.add(a.values());
            v.add(b.values());
        }
        optimizer.restore(from.state().optimizerStep(), m, v);
    }

    private static void checkSameRun(Checkpoints.Loaded from, Checkpoints.PhaseRun run) {
        Checkpoints.State st = from.state();
        Path dir = from.directory();
        if (!st.settings().equals(run.settings())) {
            throw new IllegalArgumentException("checkpoint " + dir + " was written with other " + run.phase() + " settings ("
                    + st.settings() + ") than this run (" + run.settings() + "); resume with the original config or start fresh");
        }
        if (st.numExamples() != run.numExamples() || st.totalSteps() != run.totalSteps()) {
            throw new IllegalArgumentException("checkpoint " + dir + " saw " + st.numExamples() + " examples / " + st.totalSteps()
                    + " steps in " + run.phase() + " but the shard now has " + run.numExamples() + " / " + run.totalSteps()
                    + "; resume with the original token shards or start fresh");
        }
    }

    /**
     * The settings a phase's checkpoints must match to resume, as text. The phase part keeps the form earlier
     * builds wrote ({@code PhaseSettings[learningRate=...]}), so their checkpoints still resume.
     */
    private String settingsText(Phase phase) {
        PhaseConfig p = settings.phase(phase);
        String phaseText = "PhaseSettings[learningRate=" + p.learningRate() + ", lrSchedulerType=" + p.lrSchedulerType().yamlName()
                + ", warmupSteps=" + p.warmupSteps() + ", numTrainEpochs=" + p.numTrainEpochs() + ", perDeviceTrainBatchSize="
                + p.perDeviceTrainBatchSize() + ", gradientAccumulationSteps=" + p.gradientAccumulationSteps() + ", maxGradNorm="
                + p.maxGradNorm() + ", neftuneNoiseAlpha=" + p.neftuneNoiseAlpha() + ", loggingSteps=" + p.loggingSteps() + "]";
        return phaseText + ", max_length=" + settings.maxLength() + ", pad=" + settings.padTokenId() + ", seed=" + settings.seed()
                + (settings.worldSize() > 1 ? ", world_size=" + settings.worldSize() : "");
    }
}
