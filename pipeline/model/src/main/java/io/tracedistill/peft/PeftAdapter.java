package io.tracedistill.peft;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tracedistill.model.LanguageModel;
import io.tracedistill.model.SafeTensors;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * PEFT LoRA adapter directories, both ways: {@code adapter_config.json} (peft_type LORA, task_type
 * CAUSAL_LM, r, lora_alpha, lora_dropout, target_modules, …) and {@code adapter_model.safetensors}
 * with PEFT's saved keys {@code base_model.model.<module>.lora_{A,B}.weight}.
 *
 * <p>Reference: peft {@code PeftModel.save_pretrained} / {@code from_pretrained} and
 * {@code LoraConfig}. Options this port does not implement (DoRA, bias training, fan_in_fan_out,
 * per-layer rank/alpha patterns, modules_to_save, layer selection, regex targets) are rejected when
 * reading, naming the key and value.
 */
public final class PeftAdapter {
    public static final String CONFIG_FILE = "adapter_config.json";
    public static final String WEIGHTS_FILE = "adapter_model.safetensors";

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private PeftAdapter() {
    }

    /** Reads and validates {@code adapter_config.json}. */
    public static LoraConfig readConfig(Path adapterDir) {
        Path file = adapterDir.resolve(CONFIG_FILE);
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("No " + CONFIG_FILE + " in " + adapterDir
                    + ": pass a PEFT adapter directory (adapter_config.json + adapter_model.safetensors)");
        }
        JsonNode root;
        try {
            root = JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new IllegalArgumentException("Cannot read " + file + " as JSON: " + e.getMessage(), e);
        }
        expect(root, "peft_type", "LORA", file);
        if (root.has("task_type") && !root.get("task_type").isNull()) {
            expect(root, "task_type", "CAUSAL_LM", file);
        }
        if (root.has("bias")) {
            expect(root, "bias", "none", file);
        }
        for (String flag : List.of("fan_in_fan_out", "use_dora")) {
            if (root.has(flag) && root.get(flag).asBoolean(false)) {
                throw new IllegalArgumentException("Unsupported " + flag + " true in " + file + ": must be false");
            }
        }
        for (String key : List.of("rank_pattern", "alpha_pattern")) {
            JsonNode n = root.get(key);
            if (n != null && !n.isNull() && n.size() > 0) {
                throw new IllegalArgumentException("Unsupported " + key + " " + n + " in " + file
                        + ": per-module rank/alpha is not implemented; it must be {}");
            }
        }
        for (String key : List.of("modules_to_save", "layers_to_transform", "layers_pattern")) {
            JsonNode n = root.get(key);
            if (n != null && !n.isNull()) {
                throw new IllegalArgumentException("Unsupported " + key + " " + n + " in " + file + ": must be null");
            }
        }
        JsonNode r = root.get("r");
        JsonNode alpha = root.get("lora_alpha");
        if (r == null || !r.canConvertToInt() || r.asInt() < 1) {
            throw new IllegalArgumentException("Invalid value " + r + " for r in " + file + ": must be at least 1");
        }
        if (alpha == null || !alpha.isNumber()) {
            throw new IllegalArgumentException("Invalid value " + alpha + " for lora_alpha in " + file + ": must be a number");
        }
        JsonNode targetsNode = root.get("target_modules");
        List<String> targets = null;
        if (targetsNode != null && targetsNode.isTextual()) {
            throw new IllegalArgumentException("Unsupported target_modules '" + targetsNode.asText() + "' in " + file
                    + ": a regex string is not implemented; list the module names");
        } else if (targetsNode != null && targetsNode.isArray()) {
            targets = new ArrayList<>();
            for (JsonNode t : targetsNode) {
                targets.add(t.asText());
            }
        }
        double dropout = root.has("lora_dropout") ? root.get("lora_dropout").asDouble() : 0.0;
        boolean rslora = root.has("use_rslora") && root.get("use_rslora").asBoolean(false);
        return new LoraConfig(r.asInt(), alpha.asDouble(), dropout, targets, rslora);
    }

    /** Loads an adapter directory and injects it into {@code model} (tensors in a sub-manager of {@code manager}). */
    public static LoraModel load(LanguageModel model, Path adapterDir, NDManager manager) {
        LoraConfig config = readConfig(adapterDir);
        Path weights = adapterDir.resolve(WEIGHTS_FILE);
        if (!Files.isRegularFile(weights)) {
            throw new IllegalArgumentException("No " + WEIGHTS_FILE + " in " + adapterDir
                    + " (adapter_model.bin is not supported: save the adapter with safetensors)");
        }
        SafeTensors.Reader reader = SafeTensors.open(weights);
        Map<String, NDArray> tensors = new LinkedHashMap<>();
        try (NDManager staging = manager.newSubManager()) {
            for (String name : reader.entries().keySet()) {
                tensors.put(normaliseKey(name, model), reader.load(name, staging));
            }
            // injectWeights attaches the used tensors to the LoRA manager, so closing staging is safe.
            return LoraModel.injectWeights(model, config, tensors, manager, weights.toString());
        }
    }

    /**
     * The adapter's tensors that hold NaN or ±Inf (a run that diverged wrote it), in file order, each as
     * {@code name (k of n values)}; empty when every value is finite.
     */
    public static List<String> nonFiniteTensors(Path adapterDir) {
        Path weights = adapterDir.resolve(WEIGHTS_FILE);
        if (!Files.isRegularFile(weights)) {
            throw new IllegalArgumentException("No " + WEIGHTS_FILE + " in " + adapterDir);
        }
        SafeTensors.Reader reader = SafeTensors.open(weights);
        List<String> bad = new ArrayList<>();
        for (String name : reader.entries().keySet()) {
            float[] v = reader.readFloats(name);
            int n = 0;
            for (float x : v) {
                n += Float.isFinite(x) ? 0 : 1;
            }
            if (n > 0) {
                bad.add(name + " (" + n + " of " + v.length + " values)");
            }
        }
        return bad;
    }

    /**
     * Refuses an adapter with non-finite values before it is used, naming {@code key} (the config key that
     * names it), the file and the tensors; training from it would only fail later as "lower learning_rate".
     */
    public static void requireFinite(Path adapterDir, String key) {
        List<String> bad = nonFiniteTensors(adapterDir);
        if (!bad.isEmpty()) {
            throw new IllegalArgumentException(key + " " + adapterDir.resolve(WEIGHTS_FILE) + " holds NaN or infinite"
                    + " values in " + bad + ": the run that wrote it diverged. Point " + key + " at a finite adapter"
                    + " (an earlier checkpoint's) or retrain it with a lower learning_rate");
        }
    }

    /**
     * PEFT saves without the adapter name; accept {@code .lora_A.default.weight} too. The module path is mapped
     * to the model's own spelling ({@link LanguageModel#canonicalModuleName}).
     */
    private static String normaliseKey(String key, LanguageModel model) {
        String k = key.replace(".lora_A.default.weight", ".lora_A.weight").replace(".lora_B.default.weight", ".lora_B.weight");
        if (k.startsWith(LoraModel.KEY_PREFIX)) {
            String module = k.substring(LoraModel.KEY_PREFIX.length());
            int cut = module.lastIndexOf(".lora_");
            if (cut > 0) {
                return LoraModel.KEY_PREFIX + model.canonicalModuleName(module.substring(0, cut)) + module.substring(cut);
            }
        }
        return k;
    }

    /**
     * Writes {@code adapter_config.json} and {@code adapter_model.safetensors} for {@code lora} into
     * {@code adapterDir} (created if needed), through {@link PeftAdapterWriter}. Fails before writing
     * anything if a tensor is not finite.
     */
    public static void save(LoraModel lora, Path adapterDir, String baseModelNameOrPath) {
        LinkedHashMap<String, NDArray> params = lora.trainableParameters();
        Map<String, SafeTensors.HostTensor> host = new LinkedHashMap<>();
        for (Map.Entry<String, NDArray> e : params.entrySet()) {
            float[] v = e.getValue().toFloatArray();
            for (int i = 0; i < v.length; i++) {
                if (!Float.isFinite(v[i])) {
                    throw new IllegalStateException("LoRA tensor '" + e.getKey() + "' has a non-finite value " + v[i]
                            + " at flat index " + i + ": training diverged; lower the learning rate or resume from "
                            + "an earlier checkpoint. Nothing was written to " + adapterDir);
                }
            }
            host.put(e.getKey(), new SafeTensors.HostTensor(e.getValue().getShape().getShape(), v));
        }
        try {
            new PeftAdapterWriter(configJson(lora.config(), baseModelNameOrPath)).write(adapterDir, host);
        } catch (IOException e) {
            throw new IllegalStateException("Cannot write the adapter to " + adapterDir + ": " + e.getMessage(), e);
        }
    }

    /** The {@code adapter_config.json} PEFT writes for this config (keys sorted, as PEFT does). */
    public static ObjectNode configJson(LoraConfig c, String baseModelNameOrPath) {
        ObjectNode n = JSON.createObjectNode();
        n.putObject("alpha_pattern");
        n.putNull("auto_mapping");
        n.put("base_model_name_or_path", baseModelNameOrPath);
        n.put("bias", "none");
        n.put("fan_in_fan_out", false);
        n.put("inference_mode", true);
        n.put("init_lora_weights", true);
        n.putNull("layers_pattern");
        n.putNull("layers_to_transform");
        if (c.alpha() == Math.rint(c.alpha()) && Math.abs(c.alpha()) < 1e15) {
            n.put("lora_alpha", (long) c.alpha());
        } else {
            n.put("lora_alpha", c.alpha());
        }
        n.put("lora_dropout", c.dropout());
        n.putNull("modules_to_save");
        n.put("peft_type", "LORA");
        n.put("r", c.r());
        n.putObject("rank_pattern");
        n.putNull("revision");
        ArrayNode t = n.putArray("target_modules");
        if (c.targetModules() != null) {
            c.targetModules().forEach(t::add);
        }
        n.put("task_type", "CAUSAL_LM");
        n.put("use_dora", false);
        n.put("use_rslora", c.useRslora());
        return n;
    }

    private static void expect(JsonNode root, String key, String value, Path file) {
        JsonNode n = root.get(key);
        if (n == null || !value.equals(n.asText())) {
            throw new IllegalArgumentException("Unsupported " + key + " " + n + " in " + file + ": must be \"" + value + "\"");
        }
    }
}
