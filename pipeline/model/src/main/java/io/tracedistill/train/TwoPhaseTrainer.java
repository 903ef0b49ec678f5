package io.tracedistill.train;

import io.tracedistill.run.Phase;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import io.tracedistill.config.PhaseConfig;
import io.tracedistill.model.NativeExitGuard;
import io.tracedistill.peft.PeftAdapterWriter;
import io.tracedistill.run.OutputLayout;
import io.tracedistill.run.Phase;

import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.UnaryOperator;

/**
 * The two-phase Train → Nudge LoRA trainer: phase 1 then phase 2 on the same LoRA weights (frozen
 * base), each phase with a fresh AdamW and a fresh LR schedule.
 *
 * <p>Reference: {@code tracedistill.training.train_two_phase} (TRL {@code SFTTrainer} per phase,
 * {@code adamw_torch_fused}, betas (0.9, 0.95), eps 1e-8, weight decay 0, no shuffling). The rules it
 * reproduces are pinned by the recorded trajectory in {@code fixtures/train_trajectory/README.md}:
 * micro-batches of {@code per_device_train_batch_size} rows in stored order; optimizer steps of
 * {@code gradient_accumulation_steps} micro-batches (the last may be short); each micro-batch's CE
 * sum divided by the supervised-target count of the whole step; global-norm clipping reported
 * before clipping; the LR of step k is {@code schedule(k-1)}.
 *
 * <p>Outputs in {@code output_dir}: {@code metrics.jsonl}, {@code checkpoints/},
 * {@code phase1_adapter/}, {@code adapter/}. Precision: the model's dtype; on CPU float32 (a
 * {@code bf16: true} request is logged and ignored there).
 *
 * <p><b>Data parallelism</b> ({@code world_size} W, one or more replicas). An optimizer step takes
 * {@code gradient_accumulation_steps × W} micro-batches in stored order, as a DDP run of the reference
 * on W ranks does: Accelerate deals the sequential batches round-robin, so micro-batch m of a step
 * belongs to rank {@code m mod W}. With R replicas (one per device, R = W on multi-GPU, R = 1 when
 * W ranks are emulated on one device), micro-batch m runs on replica {@code m mod R}; every
 * micro-batch's CE sum is divided by the one {@code num_items_in_batch} of the whole step (the
 * reference gathers it across ranks), the replicas' gradients are summed into replica 0 (the
 * all-reduce), clipped and applied there, and the updated LoRA weights are copied back to every replica.
 * The replicas are driven from one thread in a fixed order, so a run is deterministic; GPU kernels are
 * queued asynchronously and loss values are read only at the end of the step, so the devices compute
 * concurrently. NEFTune and dropout draws are keyed by the micro-batch's index in the step, so they do
 * not depend on R. One deliberate difference from Accelerate: a short last step is not padded with
 * examples repeated from the start of the data ({@code even_batches}); no example is trained twice.
 *
 * <p><b>Ranks in several processes</b> ({@code train_on: executors}): each rank holds one replica and a
 * {@link Collective} of W = {@code world_size} ranks. Rank r reads and runs only micro-batches {@code m ≡ r (mod W)}
 * of each step (the other ranks' examples are never decoded here: {@link StepPlanner}); the label-token and token
 * counts, then the gradients and micro-batch losses are summed over the ranks
 * ({@link RankSync}), and every rank clips and applies AdamW to the same sums, so the replicas stay
 * identical (checked by a weight checksum at every logged step). Only rank 0 writes metrics, checkpoints
 * and adapters; every rank reads the checkpoint it resumes from. With the single-rank collective (the
 * default) nothing of this applies.
 *
 * <p>Collaborators: {@link Replicas} holds the data-parallel replicas (weight broadcast, the gradient sum);
 * {@link PhaseCheckpoints} saves and restores the primary replica's weights and optimizer state;
 * {@link RankSync} the cross-process sums.
 */
public final class TwoPhaseTrainer {

    private static final Logger LOG = System.getLogger(TwoPhaseTrainer.class.getName());
    /** Directory names inside {@code output_dir}. */

    /**
     * DJL allows one {@link GradientCollector} per JVM at a time (a static flag in {@code PtGradientCollector}):
     * ranks that share a JVM (Spark {@code local[W]}, several tasks per executor, tests) take turns for the
     * forward/backward of a micro-batch. Collective calls happen outside it, so no rank waits while holding it.
     */
    private static final Object GRADIENT_COLLECTOR = new Object();

    private final TrainSettings settings;
    private final Replicas replicas;
    /** Replica 0: holds the optimizer and is the one saved. */
    private final TrainableModel model;
    private final PeftAdapterWriter adapterWriter;
    private final StepListener listener;
    private final NeftuneNoise[] neftune;
    private final RankSync ranks;
    /** Rank 0 writes metrics, checkpoints and adapters; the other ranks only read. */
    private final boolean writesOutputs;
    /** The held-out evaluation of the current {@link #train} call; null without a held-out slice. */
    private HeldOutTracker heldOut;
    /** The output layout of the current {@link #train} call. */
    private OutputLayout layout;

    public TwoPhaseTrainer(TrainSettings settings, TrainableModel model, PeftAdapterWriter adapterWriter, StepListener listener) {
        this(settings, List.of(model), adapterWriter, listener);
    }

    /**
     * One rank of a run whose {@code world_size} ranks are separate processes (or threads) joined by
     * {@code collective}: this rank trains {@code replica} on micro-batches {@code m ≡ rank (mod W)}.
     */
    public TwoPhaseTrainer(TrainSettings settings, TrainableModel replica, PeftAdapterWriter adapterWriter, StepListener listener,
                           Collective collective) {
        this(settings, List.of(replica), adapterWriter, listener, collective);
    }

    /**
     * A data-parallel trainer over {@code replicas} (the same base model and LoRA layout, typically one per
     * GPU). Their LoRA weights are made equal to replica 0's before training.
     */
    public TwoPhaseTrainer(TrainSettings settings, List<TrainableModel> replicas, PeftAdapterWriter adapterWriter, StepListener listener) {
        this(settings, replicas, adapterWriter, listener, InProcessCollective.single());
    }

    private TwoPhaseTrainer(TrainSettings settings, List<TrainableModel> replicas, PeftAdapterWriter adapterWriter, StepListener listener,
                            Collective collective) {
        if (collective.worldSize() > 1 && (collective.worldSize() != settings.worldSize() || replicas.size() != 1)) {
            throw new IllegalArgumentException("a rank of a " + collective.worldSize() + "-rank group needs world_size "
                    + collective.worldSize() + " and one replica; got world_size " + settings.worldSize() + " and "
                    + replicas.size() + " replica(s)");
        }
        this.ranks = new RankSync(collective);
        this.writesOutputs = collective.rank() == 0;
        this.replicas = new Replicas(replicas, settings.worldSize());
        this.settings = settings;
        this.model = this.replicas.primary();
        this.adapterWriter = adapterWriter;
        this.listener = listener == null ? StepListener.none() : listener;
        this.neftune = new NeftuneNoise[] {
                new NeftuneNoise(settings.phase(Phase.PHASE1).neftuneNoiseAlpha(), settings.seed()),
                new NeftuneNoise(settings.phase(Phase.PHASE2).neftuneNoiseAlpha(), settings.seed())};
    }

    /**
     * Trains both phases and writes the adapters. With {@code resume}, continues from the newest
     * checkpoint in {@code output_dir/checkpoints} (a fresh start when there is none); the result is
     * bit-identical to an uninterrupted run on the same device.
     */
    public TrainResult train(TokenShardReader phase1, TokenShardReader phase2, Path outputDir, boolean resume) throws IOException {
        return train(phase1, phase2, outputDir, resume, null);
    }

    /**
     * As {@link #train(TokenShardReader, TokenShardReader, Path, boolean)}, evaluating the held-out slice with
     * {@code heldOut} (null = none): before phase 1, every {@code eval_steps} steps and at each phase end, into
     * {@code metrics.jsonl}, keeping the best adapter in {@code best_adapter/}. The evaluations do not change training:
     * the adapters are bit-identical to a run without them.
     */
    public TrainResult train(TokenShardReader phase1, TokenShardReader phase2, Path outputDir, boolean resume,
                             HeldOutTracker heldOut) throws IOException {
        this.heldOut = heldOut;
        Files.createDirectories(outputDir);
        // PyTorch's grad mode is per thread and starts enabled on every new thread; DJL switches it off only on
        // the thread that first initialised the engine. Outside GradientCollector blocks (which restore the
        // mode they found) it must be off here, or AdamW's in-place updates of the LoRA leaves are refused.
        ai.djl.pytorch.jni.JniUtils.setGradMode(false);
        OutputLayout layout = OutputLayout.ofLocal(outputDir);
        this.layout = layout;
        PhaseCheckpoints checkpoints = new PhaseCheckpoints(layout.checkpoints().toLocalPath(), settings, model);
        String precision = precision();
        // 1. Find where to start: a fresh run, or the newest checkpoint.
        //    (Only rank 0 clears stale checkpoints of a fresh run; the others read the one they resume from.)
        Optional<Checkpoints.Loaded> from = writesOutputs || resume ? checkpoints.startingPoint(resume) : Optional.empty();
        MetricsLog metrics;
        if (from.isPresent()) {
            Checkpoints.State st = from.get().state();
            LOG.log(Level.INFO, "Resuming from " + from.get().directory() + " (" + st.phase() + ", step "
                    + st.stepsTaken() + "/" + st.totalSteps() + (st.phaseComplete() ? ", phase complete" : "") + ")");
            checkpoints.restoreWeights(from.get());
            metrics = writesOutputs ? MetricsLog.resume(layout.metrics().toLocalPath(), st.phase(), st.stepsTaken())
                    : MetricsLog.readOnly(layout.metrics().toLocalPath());
        } else {
            metrics = writesOutputs ? MetricsLog.create(layout.metrics().toLocalPath()) : MetricsLog.readOnly(layout.metrics().toLocalPath());
        }
        replicas.broadcastWeights();
        LOG.log(Level.INFO, "Training in " + precision + " on " + replicas.devices() + (ranks.worldSize() > 1
                ? " (rank " + ranks.rank() + " of " + ranks.worldSize() + ": its own micro-batches of every step, gradients summed over the ranks)"
                : replicas.dataParallelNote(settings.worldSize())));
        if (heldOut != null && from.isPresent()) {
            // Every rank rebuilds the early-stopping state from rank 0's records, once rank 0 has cut them back to the
            // checkpoint (MetricsLog.resume above): the sum is the barrier.
            ranks.sum(new long[1]);
            heldOut.restore(MetricsLog.readHeldOut(metrics.file()));
        } else if (heldOut != null) {
            // The starting point of every held-out curve: the weights before phase 1's first step.
            heldOut.evaluate(model, Phase.PHASE1, 0, false, metrics, bestAdapter(layout, checkpoints));
        }

        // 2. Phase 1 (Train), unless the checkpoint is past it.
        PhaseResult r1;
        Path phase1Adapter = layout.phase1Adapter().toLocalPath();
        if (from.isPresent() && (from.get().state().phase() == Phase.PHASE2 || from.get().state().phaseComplete())) {
            checkpoints.checkFinishedPhase(Phase.PHASE1, from.get());
            r1 = summaryFromMetrics(Phase.PHASE1, phase1, metrics.file());
            if (from.get().state().phase() == Phase.PHASE1) {
                writeAdapter(phase1Adapter, checkpoints); // killed between the phase-end checkpoint and the adapter write
            } else if (!Files.isDirectory(phase1Adapter)) {
                throw new IOException("resuming in phase 2 but " + phase1Adapter + " is missing; start the run again without resume");
            }
        } else {
            Checkpoints.Loaded same = from.filter(l -> l.state().phase() == Phase.PHASE1).orElse(null);
            r1 = runPhase(Phase.PHASE1, phase1, checkpoints, same, metrics);
            checkpoints.recordFinished(Phase.PHASE1);
            writeAdapter(phase1Adapter, checkpoints);
        }

        // 3. Phase 2 (Nudge) continues from the phase-1 weights with a fresh optimizer and schedule.
        PhaseResult r2;
        Path adapter = layout.adapter().toLocalPath();
        if (from.isPresent() && from.get().state().phase() == Phase.PHASE2 && from.get().state().phaseComplete()) {
            checkpoints.checkFinishedPhase(Phase.PHASE2, from.get());
            r2 = summaryFromMetrics(Phase.PHASE2, phase2, metrics.file());
        } else {
            Checkpoints.Loaded same = from.filter(l -> l.state().phase() == Phase.PHASE2).orElse(null);
            r2 = runPhase(Phase.PHASE2, phase2, checkpoints, same, metrics);
        }
        writeAdapter(adapter, checkpoints);
        return new TrainResult(r1, r2, phase1Adapter, adapter, metrics.file(), from.map(Checkpoints.Loaded::directory),
                precision, peakRssBytes());
    }

    /** The numbered train loop of one phase. */
    private PhaseResult runPhase(Phase phase, TokenShardReader reader, PhaseCheckpoints checkpoints, Checkpoints.Loaded resumeFrom,
                                 MetricsLog metrics) throws IOException {
        PhaseConfig ps = settings.phase(phase);
        List<NDArray> params = new ArrayList<>(model.trainableParameters().values());
        // 1. Count examples and steps: ceil(ceil(N / bs) / gas) steps per epoch.
        long numExamples = reader.count();
        StepPlanner planner = planner(phase);
        int totalSteps = planner.stepsPerEpoch(numExamples) * ps.numTrainEpochs();
        LrSchedule schedule = LrSchedule.of(ps, totalSteps);
        Checkpoints.PhaseRun run = checkpoints.phaseRun(phase, totalSteps, numExamples);
        LOG.log(Level.INFO, String.format(Locale.ROOT,
                "%s: %d examples, %d epoch(s), %d x %d x %d = %d rows/step, %d steps, lr %s %s warmup %d, max_grad_norm %s",
                phase, numExamples, ps.numTrainEpochs(), ps.perDeviceTrainBatchSize(), ps.gradientAccumulationSteps(),
                settings.worldSize(), settings.train().effectiveBatch(phase), totalSteps, ps.learningRate(), ps.lrSchedulerType().yamlName(), ps.warmupSteps(), ps.maxGradNorm()));
        if (numExamples == 0) {
            LOG.log(Level.WARNING, phase + " has no examples; the adapter passes through unchanged");
        }
        // 2. A fresh AdamW (m = v = 0, t = 0), or the checkpointed one.
        try (AdamW optimizer = AdamW.referenceDefaults(params)) {
            int stepsTaken = 0;
            int epoch = 0;
            long nextExample = 0;
            long tokens = 0;
            double elapsedBefore = 0;
            if (resumeFrom != null) {
                Checkpoints.State st = resumeFrom.state();
                checkpoints.restoreOptimizer(optimizer, resumeFrom, run);
                stepsTaken = st.stepsTaken();
                epoch = st.epoch();
                nextExample = st.nextExampleIndex();
                tokens = st.cumulativeTokens();
                elapsedBefore = st.elapsedSeconds();
            }
            long[] truncated = {0};
            long[] overMaxPos = {0};
            List<Double> sinceLog = new ArrayList<>(resumeFrom == null ? List.of() : resumeFrom.state().unloggedLosses());
            double lastLoss = Double.NaN;
            long start = System.nanoTime();
            long tokensAtStart = tokens;
            boolean stoppedEarly = false;
            // 3. Epochs; every epoch sees the same order.
            for (; epoch < ps.numTrainEpochs() && !stoppedEarly; epoch++, nextExample = 0) {
                Iterator<StepBatch> steps = planner.epoch(reader, epoch, stepsTaken + 1, nextExample, numExamples, ranks.rank(),
                        ranks.worldSize(), e -> {
                    if (truncated[0]++ == 0) {
                        LOG.log(Level.WARNING, phase + ": example at position " + e.position() + " has "
                                + e.length() + " tokens > max_length " + settings.maxLength() + "; truncating keep-start (more may follow)");
                    }
                });
                while (steps.hasNext()) {
                    // The whole step holds a native-exit section: a SIGTERM/Ctrl-C lets it finish before libtorch is torn down.
                    try (NativeExitGuard.Section guard = NativeExitGuard.enter()) {
                        StepBatch step = steps.next();
                        overMaxPos[0] += warnOverMaxPositions(phase, step, overMaxPos[0]);
                        // 4. One optimizer step: forward/backward per micro-batch, clip, AdamW at lr(steps taken).
                        double lr = schedule.lr(stepsTaken);
                        StepOutcome out = trainStep(phase, step, optimizer, lr, ps.maxGradNorm());
                        stepsTaken++;
                        tokens += out.counts.tokens();
                        lastLoss = out.loss;
                        double elapsed = elapsedBefore + (System.nanoTime() - start) / 1e9;
                        StepRecord rec = new StepRecord(phase, step.step(), totalSteps, epoch, out.counts.positions(),
                                out.counts.paddedLengths(), out.counts.numItemsInBatch(),
                                out.microBatchLosses, out.loss, lr, out.clip.totalNorm(), out.clip.clipped(),
                                out.counts.tokens(), tokens, elapsed);
                        listener.onStep(rec);
                        // 5. Log every logging_steps (and the last step): a line and a metrics.jsonl record.
                        sinceLog.add(out.loss);
                        if (stepsTaken % ps.loggingSteps() == 0 || stepsTaken == totalSteps) {
                            double meanLoss = sinceLog.stream().mapToDouble(Double::doubleValue).sum() / sinceLog.size();
                            sinceLog.clear();
                            metrics.append(new MetricsLog.Entry(phase, stepsTaken, meanLoss, lr, out.clip.totalNorm(), tokens,
                                    elapsed));
                            if (writesOutputs) {
                                logLine(phase, stepsTaken, totalSteps, meanLoss, lr, out.clip, tokens - tokensAtStart,
                                        (System.nanoTime() - start) / 1e9, elapsed);
                            }
                            ranks.checkSameWeights(model.trainableParameters().values(), phase + " step " + stepsTaken);
                        }
                        // 5b. Held-out loss every eval_steps and at the phase's last step (before its checkpoint).
                        if (heldOut != null && heldOut.due(stepsTaken, totalSteps)) {
                            MetricsLog.HeldOutEntry evaluation = heldOut.evaluate(model, phase, stepsTaken,
                                    stepsTaken == totalSteps, metrics, bestAdapter(layout, checkpoints));
                            if (evaluation.stoppedEarly()) {
                                // early_stopping_patience: this step is the phase's last (its checkpoint follows below).
                                if (!sinceLog.isEmpty()) {
                                    double meanLoss = sinceLog.stream().mapToDouble(Double::doubleValue).sum()
                                            / sinceLog.size();
                                    sinceLog.clear();
                                    metrics.append(new MetricsLog.Entry(phase, stepsTaken, meanLoss, lr, out.clip.totalNorm(),
                                            tokens, elapsed));
                                }
                                stoppedEarly = true;
                                break;
                            }
                        }
                        // 6. Checkpoint every checkpoint_steps (the phase end is checkpointed by the caller).
                        if (writesOutputs && settings.checkpointSteps() > 0 && stepsTaken % settings.checkpointSteps() == 0
                                && stepsTaken < totalSteps) {
                            boolean epochDone = !steps.hasNext();
                            Path dir = checkpoints.save(Checkpoints.State.midPhase(run, stepsTaken, optimizer.stepCount(),
                                    epochDone ? epoch + 1 : epoch, epochDone ? 0 : step.nextExampleIndex(), tokens, elapsed,
                                    sinceLog),
                                    optimizer);
                            LOG.log(Level.INFO, "checkpoint " + dir);
                        }
                    }
                }
            }
            double wall = elapsedBefore + (System.nanoTime() - start) / 1e9;
            // (Only rank 0's summary is used; the others do not read a file rank 0 may be appending to.)
            List<MetricsLog.Entry> logged = !writesOutputs ? List.of() : MetricsLog.read(metrics.file()).stream()
                    .filter(e -> e.phase() == phase).toList();
            if (Double.isNaN(lastLoss) && !logged.isEmpty()) {
                lastLoss = logged.get(logged.size() - 1).loss();
            }
            // 7. Phase-end checkpoint: the next run resumes after this phase.
            try (NativeExitGuard.Section guard = NativeExitGuard.enter()) {
                ranks.checkSameWeights(model.trainableParameters().values(), phase + " end");
                if (writesOutputs) {
                    checkpoints.save(Checkpoints.State.phaseEnd(run, stepsTaken, optimizer.stepCount(), ps.numTrainEpochs(),
                            tokens, wall), optimizer);
                }
            }
            long[] flagged = {truncated[0], overMaxPos[0]}; // each rank saw its own examples
            ranks.sum(flagged);
            return new PhaseResult(phase, numExamples, totalSteps, tokens, wall, lastLoss, logged, flagged[0], flagged[1]);
        }
    }

    private record StepOutcome(List<Double> microBatchLosses, double loss, GradClip.Result clip, RankSync.StepCounts counts) {
    }

    /**
     * Forward/backward of every micro-batch, then global-norm clip and one AdamW update.
     * Micro-batch loss = (sum of CE over its supervised targets) / num_items_in_batch of the whole step;
     * the gradients of the micro-batches add up in the parameters' {@code .grad}. Micro-batch m runs on
     * replica {@code m mod R}; the replicas' gradients are then summed into replica 0, which is clipped and
     * updated, and its weights are copied back to the others. With several ranks, this rank runs only its own
     * micro-batches, and the count, gradients and losses are summed over the ranks ({@link RankSync}).
     */
    private StepOutcome trainStep(Phase phase, StepBatch step, AdamW optimizer, double lr, double maxGradNorm) {
        int numMicro = step.microBatches().size();
        RankSync.StepCounts counts = ranks.stepCounts(step, settings.phase(phase).perDeviceTrainBatchSize());
        int numItems = counts.numItemsInBatch(); // one denominator for every micro-batch on every rank
        NDArray[] lossValues = new NDArray[numMicro];
        List<NDManager> stepManagers = new ArrayList<>(replicas.size());
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            for (TrainableModel replica : replicas.all()) {
                stepManagers.add(replica.manager().newSubManager());
            }
            for (int k = 0; k < numMicro; k++) {
                if (!step.holds(k)) {
                    continue; // another rank's micro-batch
                }
                MicroBatch mb = step.microBatches().get(k);
                CausalLmLoss.Targets targets = CausalLmLoss.targets(mb.labels(), mb.rows(), mb.paddedLength());
                if (targets.count() == 0) {
                    continue; // nothing supervised in these rows: no gradient (loss 0)
                }
                final int micro = k;
                int r = k % replicas.size();
                TrainableModel replica = replicas.get(r);
                UnaryOperator<NDArray> hook = neftune[phase.ordinal()].enabled()
                        ? e -> neftune[phase.ordinal()].apply(e, phase, step.step(), micro) : null;
                synchronized (GRADIENT_COLLECTOR) {
                    // Dropout and NEFTune draw from the engine generator, reseeded per micro-batch (exact resume). It is
                    // one per JVM: ranks on threads of one JVM (local[N], an executor with several task slots) reseed it
                    // under the same lock as their forward, or one rank's forward draws from another's seed.
                    MicroBatchRng.reseed(settings.seed(), phase, step.step(), k);
                    try (NDManager mbm = replica.manager().newSubManager();
                         GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                        Shape shape = new Shape(mb.rows(), mb.paddedLength());
                        NDArray ids = mbm.create(toLongs(mb.inputIds()), shape);          // [B, T]
                        NDArray mask = mbm.create(toLongs(mb.attentionMask()), shape);    // [B, T]
                        NDArray hidden = replica.hiddenStates(ids, mask, hook);            // [B, T, H]
                        NDArray loss = CausalLmLoss.backward(replica, gc, hidden, targets, numItems, CausalLmLoss.CHUNK_ROWS); // scalar
                        // Read after the step: a read here would make the host wait for this device before queueing the next.
                        loss.attach(stepManagers.get(r));
                        lossValues[k] = loss;
                    }
                }
            }
            float[] values = new float[numMicro];
            for (int k = 0; k < numMicro; k++) {
                values[k] = lossValues[k] == null ? 0f : lossValues[k].getFloat();
            }
            List<NDArray> grads = replicas.sumGradientsIntoPrimary();
            ranks.sumGradientsAndLosses(grads, values); // every rank now holds the same sums
            List<Double> losses = new ArrayList<>(numMicro);
            double stepLoss = 0;
            for (int k = 0; k < numMicro; k++) {
                float value = values[k];
                if (!Float.isFinite(value)) {
                    throw new IllegalStateException(String.format(Locale.ROOT,
                            "%s step %d micro-batch %d: loss is %s (positions %s); lower learning_rate or check the data",
                            phase, step.step(), k, value, step.holds(k)
                                    ? step.microBatches().get(k).examples().stream().map(TokenExample::position).toList()
                                    : "of rank " + (k % ranks.worldSize())));
                }
                losses.add((double) value);
                stepLoss += value;
            }
            GradClip.Result clip = GradClip.clipGlobalNorm(grads, maxGradNorm);
            if (!Double.isFinite(clip.totalNorm())) {
                // Stop before a non-finite update reaches the weights (the last checkpoint stays usable).
                throw new IllegalStateException(String.format(Locale.ROOT,
                        "%s step %d: gradient norm is %s although the loss was %.6f; training stopped before the update."
                                + " Lower learning_rate, or resume from the last checkpoint", phase, step.step(), clip.totalNorm(), stepLoss));
            }
            optimizer.step(grads, lr);
            for (NDArray g : grads) {
                g.subi(g); // zero_grad (in place: the .grad storage is shared)
            }
            replicas.broadcastWeights();
            return new StepOutcome(List.copyOf(losses), stepLoss, clip, counts);
        } finally {
            for (NDManager m : stepManagers) {
                m.close();
            }
        }
    }

    /** Rebuilds a phase summary from metrics.jsonl when a resumed run skips a finished phase. */
    private PhaseResult summaryFromMetrics(Phase phase, TokenShardReader reader, Path metricsFile)
            throws IOException {
        List<MetricsLog.Entry> logged = MetricsLog.read(metricsFile).stream().filter(e -> e.phase() == phase).toList();
        MetricsLog.Entry last = logged.isEmpty() ? null : logged.get(logged.size() - 1);
        PhaseConfig ps = settings.phase(phase);
        long n = reader.count();
        int total = planner(phase).stepsPerEpoch(n) * ps.numTrainEpochs();
        return new PhaseResult(phase, n, total, last == null ? 0 : last.tokens(), last == null ? 0 : last.elapsedS(),
                last == null ? Double.NaN : last.loss(), logged, 0, 0);
    }

    /** Writes the current weights to {@code best_adapter/} (rank 0), with the step they are from in {@code best_step.json}. */
    private HeldOutTracker.BestAdapterSink bestAdapter(OutputLayout layout, PhaseCheckpoints checkpoints) {
        return (rec, metric) -> {
            if (!writesOutputs) {
                return;
            }
            Path dir = layout.bestAdapter().toLocalPath();
            writeAdapter(dir, checkpoints);
            String accuracy = rec.accuracy().map(a -> String.format(Locale.ROOT, ", \"heldout_accuracy\": %s, \"heldout_parse_rate\": %s",
                    Double.toString(a.overall().accuracy()), Double.toString(a.overall().parseRate()))).orElse("");
            Files.writeString(dir.resolve(BEST_STEP_FILE), String.format(Locale.ROOT,
                    "{\"phase\": \"%s\", \"step\": %d, \"metric_for_best\": \"%s\", \"heldout_loss\": %s%s}%n",
                    rec.phase().folderName(), rec.step(), metric.yamlName(), Double.toString(rec.loss().loss()), accuracy),
                    StandardCharsets.UTF_8);
        };
    }

    /** In {@code best_adapter/}: which phase and step the weights are from, and their held-out metrics. */
    public static final String BEST_STEP_FILE = "best_step.json";

    private void writeAdapter(Path dir, PhaseCheckpoints checkpoints) throws IOException {
        if (!writesOutputs) {
            return;
        }
        Path parent = dir.toAbsolutePath().getParent();
        Path tmp = Files.createTempDirectory(parent, "." + dir.getFileName() + "-");
        adapterWriter.write(tmp, checkpoints.loraHostTensors());
        Checkpoints.deleteTree(dir);
        Checkpoints.moveAtomically(tmp, dir);
        LOG.log(Level.INFO, "wrote adapter " + dir);
    }

    /** Micro-batches of per_device_train_batch_size; steps of gradient_accumulation_steps × world_size of them. */
    private StepPlanner planner(Phase phase) {
        return StepPlanner.of(settings.train(), phase, settings.maxLength(), settings.padTokenId());
    }

    /** The first-time warning for an example longer than max_position_embeddings; what it strains depends on the model. */
    static String overMaxPositionsWarning(Phase phase, TokenExample e, int maxPos, boolean rotaryPositions) {
        return phase + ": example at position " + e.position() + " has " + e.length() + " tokens > max_position_embeddings "
                + maxPos + "; training on it anyway, as transformers does (" + (rotaryPositions
                ? "RoPE extends past the limit; quality may suffer)"
                : "this model has no positional encoding, so nothing is extrapolated, but it was configured for sequences up to"
                        + " that length; quality may suffer)");
    }

    private long warnOverMaxPositions(Phase phase, StepBatch step, long seenSoFar) {
        int maxPos = model.maxPositionEmbeddings();
        long n = 0;
        for (MicroBatch mb : step.microBatches()) {
            if (mb == null) {
                continue; // another rank's: it counts its own
            }
            for (TokenExample e : mb.examples()) {
                if (e.length() > maxPos) {
                    if (seenSoFar + n == 0) {
                        LOG.log(Level.WARNING, overMaxPositionsWarning(phase, e, maxPos, model.rotaryPositions()));
                    }
                    n++;
                }
            }
        }
        return n;
    }

    private void logLine(Phase phase, int step, int total, double loss, double lr, GradClip.Result clip, long tokensThisRun,
                         double secondsThisRun, double elapsed) {
        double tps = secondsThisRun > 0 ? tokensThisRun / secondsThisRun : 0;
        double perStep = elapsed / Math.max(1, step);
        long eta = Math.round(perStep * (total - step));
        LOG.log(Level.INFO, String.format(Locale.ROOT, "%s step %d/%d loss %.6f lr %.4e grad_norm %.4f%s tok/s %.0f ETA %d:%02d:%02d",
                phase, step, total, loss, lr, clip.totalNorm(), clip.clipped() ? " (clipped)" : "", tps,
                eta / 3600, (eta / 60) % 60, eta % 60));
    }

    /**
     * The dtype training runs in, with the reason when bf16 was asked for: the CPU has no fast bf16
     * matmul, so float32 is the best it offers; on GPU this port has no autocast yet, so float32 too.
     */
    private String precision() {
        if (!settings.bf16()) {
            return "float32";
        }
        return model.manager().getDevice().isGpu()
                ? "float32 (bf16 requested; bf16 autocast is not implemented in this port)"
                : "float32 (bf16 requested; on CPU float32 is used)";
    }

    private static long[] toLongs(int[] a) {
        long[] out = new long[a.length];
        for (int i = 0; i < a.length; i++) {
            out[i] = a[i];
        }
        return out;
    }

    /** Peak resident set size of this process ({@code VmHWM} of /proc/self/status), or -1. */
    static long peakRssBytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"), StandardCharsets.UTF_8)) {
                if (line.startsWith("VmHWM:")) {
                    String[] parts = line.substring(6).trim().split("\\s+");
                    return Long.parseLong(parts[0]) * 1024L;
                }
            }
        } catch (IOException | RuntimeException e) {
            LOG.log(Level.DEBUG, "no /proc/self/status: " + e);
        }
        return -1;
    }
}
