package io.tracedistill.train;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import io.tracedistill.config.BaseDtype;
import io.tracedistill.config.Canonical;
import io.tracedistill.config.DeviceSpec;
import io.tracedistill.config.EvalScorer;
import io.tracedistill.config.HeldOutSection;
import io.tracedistill.config.LoraSection;
import io.tracedistill.config.ModelSection;
import io.tracedistill.config.RunConfig;
import io.tracedistill.config.TrainSection;
import io.tracedistill.eval.ArmModels;
import io.tracedistill.eval.ContextLimit;
import io.tracedistill.eval.EvalExample;
import io.tracedistill.model.GenerationConfig;
import io.tracedistill.model.LanguageModel;
import io.tracedistill.model.families.ModelFamilies;
import io.tracedistill.peft.LoraConfig;
import io.tracedistill.peft.LoraModel;
import io.tracedistill.peft.PeftAdapter;
import io.tracedistill.peft.PeftAdapterWriter;
import io.tracedistill.run.OutputLayout;

import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The library entry point the {@code train} job wraps: {@link #run} loads the base model, injects LoRA
 * (fresh, or from {@code init_adapter}), trains phase 1 then phase 2 with {@link TwoPhaseTrainer},
 * packs {@code submission.zip} when {@code package_zip}, and writes {@code report.md} + the chart.
 */
public final class TrainRun {

    private static final Logger LOG = System.getLogger(TrainRun.class.getName());

    private TrainRun() {
    }

    /**
     * How the held-out rows are decoded during training ({@code eval_generate_limit}): the eval job's settings.
     *
     * @param maxNewTokens {@code eval_max_new_tokens}
     * @param batchSize    {@code eval_batch_size}
     * @param scorer       {@code eval_scorer}
     */
    public record HeldOutDecode(int maxNewTokens, int batchSize, EvalScorer scorer) {
    }

    /** What {@link #run} wrote. */
    public record Outputs(TrainResult training, Optional<Path> submissionZip, Path report, Path chart) {
    }

    /**
     * Everything {@link #run} reads from the run config; the train step's fingerprint is the canonical form of
     * this record, so a field added here is part of it.
     *
     * @param seed                       {@code seed}: LoRA init, NEFTune noise, dropout
     * @param model                      base model, max_length, device, threads, bf16, base_dtype
     * @param lora                       LoRA rank/alpha/dropout/targets, init_adapter
     * @param train                      the phases, world_size, checkpoint_steps, gradient_checkpointing
     * @param packageZip                 {@code package_zip}
     * @param baseModelNameForSubmission {@code base_model_name_for_submission}
     * @param resolvedConfigYaml         the resolved config, copied into report.md (provenance only)
     * @param heldOut                    {@code holdout_fraction}, {@code eval_steps}, {@code metric_for_best},
     *                                   {@code eval_generate_limit}, {@code early_stopping_patience}
     * @param heldOutDecode              with {@code eval_generate_limit}: the eval settings the held-out rows are
     *                                   decoded with; empty otherwise (so eval-only settings never retrain)
     */
    public record Settings(long seed, ModelSection model, LoraSection lora, TrainSection train, boolean packageZip,
                           Optional<String> baseModelNameForSubmission,
                           @Canonical.NotFingerprinted String resolvedConfigYaml, HeldOutSection heldOut,
                           Optional<HeldOutDecode> heldOutDecode) {

        /** The settings of a run config. */
        public static Settings of(RunConfig cfg) {
            return new Settings(cfg.seed(), cfg.model(), cfg.lora(), cfg.train(), cfg.output().packageZip(),
                    cfg.output().baseModelNameForSubmission(), cfg.toYaml(), cfg.heldOut(),
                    cfg.heldOut().generateLimit().map(n -> new HeldOutDecode(cfg.eval().maxNewTokens(), cfg.eval().batchSize(),
                            cfg.eval().scorer())));
        }

        /** A copy with another LoRA section (a node-local {@code init_adapter}). */
        public Settings withLora(LoraSection newLora) {
            return new Settings(seed, model, newLora, train, packageZip, baseModelNameForSubmission, resolvedConfigYaml,
                    heldOut, heldOutDecode);
        }

        /**
         * The held-out evaluation of {@code slice} ({@code tokens/heldout}): micro-batches of phase 1's
         * {@code per_device_train_batch_size}, truncated to {@code max_length} as training rows are; with
         * {@code eval_generate_limit}, also the greedy evaluation of {@code rows} ({@code prepared/heldout}, selected
         * with {@link HeldOutGreedy#select}) on {@code lm}, the model being trained; both shared among {@code ranks}.
         */
        public HeldOutTracker heldOutTracker(TokenShardReader slice, int padTokenId, List<EvalExample> rows, Path modelDir,
                                             LanguageModel lm, Collective ranks) {
            HeldOutEvaluator loss = new HeldOutEvaluator(slice, train.phase(io.tracedistill.run.Phase.PHASE1).perDeviceTrainBatchSize(),
                    model.maxLength(), padTokenId, ranks);
            Optional<HeldOutGreedy> greedy = Optional.empty();
            if (heldOut.generateLimit().isPresent() && heldOutDecode.isPresent()) {
                if (rows == null) {
                    throw new IllegalArgumentException("eval_generate_limit is set but no held-out rows (prepared/heldout) were"
                            + " given to decode");
                }
                HeldOutDecode d = heldOutDecode.get();
                greedy = Optional.of(new HeldOutGreedy(HeldOutGreedy.select(rows, EvalExample::type, heldOut.generateLimit().get()),
                        ArmModels.encoder(modelDir, model.enableThinking(), model.chatDate()),
                        new ContextLimit(model.maxLength(), lm.maxPositionEmbeddings(), d.maxNewTokens()), lm,
                        GenerationConfig.load(modelDir, lm), ArmModels.decoder(modelDir), d.scorer(), d.batchSize(), d.maxNewTokens(),
                        ranks));
            }
            return new HeldOutTracker(loss, greedy, heldOut.evalSteps(), heldOut.metricForBest(), heldOut.earlyStoppingPatience());
        }

        /** The trainer's settings ({@code keepCheckpoints} = 2). */
        public TrainSettings trainer(int padTokenId) {
            return new TrainSettings(train, model.maxLength(), seed, model.bf16(), model.device(), padTokenId, 2);
        }
    }

    /**
     * Trains and writes every output into {@code outputDir}.
     *
     * @param cfg              what the run reads from the config ({@link Settings#of})
     * @param phase1           phase-1 token shard (training order)
     * @param phase2           phase-2 token shard (training order)
     * @param outputDir        {@code output_dir}
     * @param modelDir         local HF model directory of {@code base_model}
     * @param padTokenId       the tokenizer's pad id (its eos id when it has none, as the reference sets it)
     * @param resume           continue from the newest checkpoint in {@code output_dir/checkpoints}
     * @param preparedManifest prepared/manifest.json as a map, for the report (may be empty)
     * @param tokensManifest   tokens/manifest.json as a map, for the report (may be empty)
     * @param listener         per-step observer (null = none)
     */
    public static Outputs run(Settings cfg, TokenShardReader phase1, TokenShardReader phase2, Path outputDir, Path modelDir,
                              int padTokenId, boolean resume, Map<String, ?> preparedManifest, Map<String, ?> tokensManifest,
                              StepListener listener) throws IOException {
        return run(cfg, phase1, phase2, outputDir, modelDir, padTokenId, resume, preparedManifest, tokensManifest, listener,
                InProcessCollective.single(), null);
    }

    /**
     * As {@link #run(Settings, TokenShardReader, TokenShardReader, Path, Path, int, boolean, Map, Map, StepListener)}, as
     * one rank of {@code collective} ({@code train_on: executors}): one replica on {@code rankDevice} (null = the
     * config's device), this rank's micro-batches, and only rank 0 writes the zip and the report (the other ranks
     * return their {@link Outputs} with the paths rank 0 writes).
     */
    public static Outputs run(Settings cfg, TokenShardReader phase1, TokenShardReader phase2, Path outputDir, Path modelDir,
                              int padTokenId, boolean resume, Map<String, ?> preparedManifest, Map<String, ?> tokensManifest,
                              StepListener listener, Collective collective, Device rankDevice) throws IOException {
        return run(cfg, phase1, phase2, null, outputDir, modelDir, padTokenId, resume, preparedManifest, tokensManifest, listener,
                collective, rankDevice);
    }

    /**
     * As {@link #run(Settings, TokenShardReader, TokenShardReader, Path, Path, int, boolean, Map, Map, StepListener,
     * Collective, Device)}, with the held-out slice {@code heldOut} ({@code tokens/heldout}; null = none) evaluated
     * during training ({@link HeldOutTracker}) and reported.
     */
    public static Outputs run(Settings cfg, TokenShardReader phase1, TokenShardReader phase2, TokenShardReader heldOut,
                              Path outputDir, Path modelDir, int padTokenId, boolean resume, Map<String, ?> preparedManifest,
                              Map<String, ?> tokensManifest, StepListener listener, Collective collective, Device rankDevice)
            throws IOException {
        return run(cfg, phase1, phase2, heldOut, null, outputDir, modelDir, padTokenId, resume, preparedManifest, tokensManifest,
                listener, collective, rankDevice);
    }

    /**
     * As {@link #run(Settings, TokenShardReader, TokenShardReader, TokenShardReader, Path, Path, int, boolean, Map, Map,
     * StepListener, Collective, Device)}, with the held-out rows {@code heldOutRows} ({@code prepared/heldout} as eval
     * rows: position, type, {@code str(answer)}, user turn) that {@code eval_generate_limit} decodes; null = none.
     */
    public static Outputs run(Settings cfg, TokenShardReader phase1, TokenShardReader phase2, TokenShardReader heldOut,
                              List<EvalExample> heldOutRows, Path outputDir, Path modelDir, int padTokenId, boolean resume,
                              Map<String, ?> preparedManifest, Map<String, ?> tokensManifest, StepListener listener,
                              Collective collective, Device rankDevice) throws IOException {
        TrainSettings settings = cfg.trainer(padTokenId);
        boolean multiProcess = collective.worldSize() > 1;
        // 1. Engine threads (only effective before the engine is first used in this JVM).
        if (cfg.model().threads() > 0) {
            System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(cfg.model().threads()));
            System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
        }
        List<Device> devices = rankDevice != null ? List.of(rankDevice) : devices(cfg.model().device());
        if (!multiProcess && cfg.train().worldSize() > 1 && devices.size() == 1) {
            LOG.log(Level.INFO, "world_size " + cfg.train().worldSize() + " on one device (" + devices.get(0) + "): each optimizer step runs"
                    + " gradient_accumulation_steps x " + cfg.train().worldSize() + " micro-batches there, the same update as "
                    + cfg.train().worldSize() + " data-parallel ranks");
        }
        // 2. A memory plan larger than the device: stop before any weight is read.
        DeviceMemoryCheck.requireRunnable(cfg, modelDir, devices);
        List<NDManager> managers = new ArrayList<>();
        try {
            // 3. One replica per device: the base model (frozen) and LoRA, from init_adapter or fresh
            //    (PEFT init: A kaiming-uniform, B = 0). The trainer copies replica 0's LoRA weights to the others.
            List<TrainableModel> replicas = new ArrayList<>();
            LoraModel lora0 = null;
            for (Device device : devices) {
                NDManager manager = NDManager.newBaseManager(device);
                managers.add(manager);
                LoraTrainableModel replica = replica(cfg, modelDir, manager, lora0 == null);
                if (lora0 == null) {
                    lora0 = replica.loraModel();
                }
                replicas.add(replica);
            }
            PeftAdapterWriter writer = new PeftAdapterWriter(PeftAdapter.configJson(lora0.config(), cfg.model().baseModel()));
            // 4. Train both phases.
            TwoPhaseTrainer trainer = multiProcess
                    ? new TwoPhaseTrainer(settings, replicas.get(0), writer, listener, collective)
                    : new TwoPhaseTrainer(settings, replicas, writer, listener);
            TrainResult result = trainer.train(phase1, phase2, outputDir, resume,
                    heldOut == null ? null : cfg.heldOutTracker(heldOut, padTokenId, heldOutRows, modelDir, lora0.model(),
                            collective));
            // 5. submission.zip and the report (rank 0 only).
            OutputLayout layout = OutputLayout.ofLocal(outputDir);
            Optional<Path> zip = Optional.empty();
            if (collective.rank() != 0) {
                return new Outputs(result, zip, layout.report().toLocalPath(), layout.trainingCurves().toLocalPath());
            }
            if (cfg.packageZip()) {
                zip = Optional.of(SubmissionPackager.pack(result.adapter(), cfg.baseModelNameForSubmission().orElse(null),
                        layout.submissionZip().toLocalPath()));
            }
            Path report = TrainReport.write(outputDir, result, cfg.resolvedConfigYaml(), preparedManifest, tokensManifest,
                    cfg.heldOut().metricForBest());
            return new Outputs(result, zip, report, layout.trainingCurves().toLocalPath());
        } finally {
            for (NDManager m : managers) {
                m.close();
            }
        }
    }

    /**
     * One training replica in {@code manager}: the base model of {@code modelDir} ({@code base_dtype: float16}: its
     * large matrices in FP16) with LoRA from {@code init_adapter} or fresh (LoRA tensors float32 either way), its
     * layers recomputed in backward when {@code gradient_checkpointing}.
     */
    static LoraTrainableModel replica(Settings cfg, Path modelDir, NDManager manager, boolean log) throws IOException {
        return new LoraTrainableModel(loadLora(cfg, modelDir, manager, log), cfg.train().gradientCheckpointing());
    }

    private static LoraModel loadLora(Settings cfg, Path modelDir, NDManager manager, boolean log) throws IOException {
        LanguageModel base = ModelFamilies.load(modelDir, manager, cfg.model().baseDtype() == BaseDtype.FLOAT16);
        if (cfg.lora().initAdapter().isPresent()) {
            Path init = Path.of(cfg.lora().initAdapter().get());
            if (log) {
                LOG.log(Level.INFO, "starting from adapter " + init + " (its r/alpha/targets override lora_rank/lora_alpha/target_modules)");
            }
            PeftAdapter.requireFinite(init, "init_adapter");
            return PeftAdapter.load(base, init, manager);
        }
        // target_modules null (or []) = architecture-aware autodetect over the model's module names, as the reference.
        List<String> targets = cfg.lora().targetModules().isEmpty() ? null : cfg.lora().targetModules();
        return LoraModel.inject(base, new LoraConfig(cfg.lora().rank(), cfg.lora().alpha(), cfg.lora().dropout(), targets, false),
                cfg.seed(), manager);
    }

    /**
     * The training devices: the CPU, or the listed GPUs (one data-parallel replica each; the config loader
     * has checked that their number equals world_size when more than one is listed).
     */
    static List<Device> devices(DeviceSpec device) {
        List<Integer> gpus = device.gpuIndices();
        if (gpus.isEmpty()) {
            return List.of(Device.cpu());
        }
        int available = Engine.getInstance().getGpuCount();
        List<Device> out = new ArrayList<>();
        for (int g : gpus) {
            if (g >= available) {
                throw new IllegalArgumentException("Invalid value " + device + " for device: GPU " + g + " is not visible; this machine has "
                        + available + " GPU(s) visible to PyTorch (build with -Pcuda for CUDA natives); use device: cpu");
            }
            out.add(Device.gpu(g));
        }
        return List.copyOf(out);
    }

    /** Reads a manifest JSON file into a map for the report (empty when the file does not exist). */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> readManifest(Path manifestJson) throws IOException {
        if (!Files.isRegularFile(manifestJson)) {
            return Map.of();
        }
        return new com.fasterxml.jackson.databind.ObjectMapper().readValue(manifestJson.toFile(), Map.class);
    }
}
