package io.tracedistill.eval;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import io.tracedistill.model.LanguageModel;
import io.tracedistill.model.families.ModelFamilies;
import io.tracedistill.model.GenerationConfig;
import io.tracedistill.peft.PeftAdapter;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Per-JVM cache of everything an eval task loads: the base model (once per model directory), one model per
 * (model directory, adapter directory) arm, the prompt encoder and the token decoder. A deliberate static cache: on
 * a Spark executor every task of the eval job reuses what the first task loaded, instead of reading the weights
 * again per partition.
 *
 * <p>Adapter arms share the base model's weight arrays ({@link LanguageModel#sharingBaseWeights}) and only add their LoRA tensors, so N arms cost one copy of the base weights.
 * LoRA is applied unmerged (merging would write into the shared base weights).
 *
 * <p>Entries are keyed by device (an executor that owns several GPUs keeps one base copy per GPU), are never evicted
 * and live in JVM-wide {@link NDManager}s (one per device) that are never closed: a JVM that evaluates
 * many different models should not use this cache.
 */
public final class ArmModels {
    private static final Map<BaseKey, LanguageModel> BASES = new ConcurrentHashMap<>();
    private static final Map<ArmKey, ArmModel> ARMS = new ConcurrentHashMap<>();
    private static final Map<EncoderKey, EvalPromptEncoder> ENCODERS = new ConcurrentHashMap<>();
    private static final Map<String, TokenDecoder> DECODERS = new ConcurrentHashMap<>();
    private static final AtomicInteger MODEL_LOADS = new AtomicInteger();
    private static final Map<Device, NDManager> MANAGERS = new ConcurrentHashMap<>();

    private ArmModels() {
    }

    /** A loaded arm: the model (with its adapter injected, if any) and its stop/pad ids. */
    public record ArmModel(ArmSpec spec, LanguageModel lm, GenerationConfig generation) {}

    private record BaseKey(String modelDir, Device device) {}

    private record ArmKey(String modelDir, String adapterDir, Device device) {}

    private record EncoderKey(String modelDir, boolean enableThinking, LocalDate chatDate) {}

    private static NDManager manager(Device device) {
        return MANAGERS.computeIfAbsent(device, NDManager::newBaseManager);
    }

    private static String key(Path p) {
        return p.toAbsolutePath().normalize().toString();
    }

    /** The base model of {@code modelDir} on the CPU, loaded on first use in this JVM. */
    public static LanguageModel base(Path modelDir) {
        return base(modelDir, Device.cpu());
    }

    /** The base model of {@code modelDir} on {@code device}, loaded on first use in this JVM. */
    public static LanguageModel base(Path modelDir, Device device) {
        return BASES.computeIfAbsent(new BaseKey(key(modelDir), device), k -> {
            MODEL_LOADS.incrementAndGet();
            return ModelFamilies.load(Path.of(k.modelDir()), manager(device));
        });
    }

    /** The model of one arm on the CPU, loaded on first use in this JVM. */
    public static ArmModel arm(Path modelDir, ArmSpec spec) {
        return arm(modelDir, spec, Device.cpu());
    }

    /** The model of one arm on {@code device}, loaded on first use in this JVM (one base copy per device). */
    public static ArmModel arm(Path modelDir, ArmSpec spec, Device device) {
        String adapter = spec.adapterPath().map(ArmModels::key).orElse("");
        return ARMS.computeIfAbsent(new ArmKey(key(modelDir), adapter, device), k -> {
            LanguageModel base = base(modelDir, device);
            GenerationConfig gc = GenerationConfig.load(Path.of(k.modelDir()), base);
            if (k.adapterDir().isEmpty()) {
                return new ArmModel(spec, base, gc);
            }
            MODEL_LOADS.incrementAndGet();
            List<String> nonFinite = PeftAdapter.nonFiniteTensors(Path.of(k.adapterDir()));
            if (!nonFinite.isEmpty()) {
                // Eval still runs (the report shows what such an adapter does), but says why it is garbage.
                System.getLogger(ArmModels.class.getName()).log(System.Logger.Level.WARNING, "adapter " + k.adapterDir()
                        + " holds NaN or infinite values in " + nonFinite + ": the run that wrote it diverged, so this"
                        + " arm's predictions are meaningless");
            }
            LanguageModel lm = base.sharingBaseWeights(manager(device));
            PeftAdapter.load(lm, Path.of(k.adapterDir()), manager(device));
            return new ArmModel(spec, lm, gc);
        });
    }

    /** The prompt encoder of {@code modelDir} for these template settings. */
    public static EvalPromptEncoder encoder(Path modelDir, boolean enableThinking, Optional<LocalDate> chatDate) {
        return ENCODERS.computeIfAbsent(new EncoderKey(key(modelDir), enableThinking, chatDate.orElse(null)),
                k -> EvalPromptEncoder.load(Path.of(k.modelDir()), k.enableThinking(),
                        Optional.ofNullable(k.chatDate())));
    }

    /** The token decoder of {@code modelDir}. */
    public static TokenDecoder decoder(Path modelDir) {
        return DECODERS.computeIfAbsent(key(modelDir), k -> TokenDecoder.load(Path.of(k)));
    }

    /** How many models (base or adapter arm) this JVM has loaded so far; tests use it to prove reuse. */
    public static int modelLoads() {
        return MODEL_LOADS.get();
    }
}
