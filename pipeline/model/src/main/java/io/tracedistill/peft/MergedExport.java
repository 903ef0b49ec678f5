package io.tracedistill.peft;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tracedistill.model.HalfPrecision;
import io.tracedistill.model.LanguageModel;
import io.tracedistill.model.SafeTensors;
import io.tracedistill.model.families.ModelFamilies;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * A base model with a PEFT LoRA adapter merged in, written as a complete Hugging Face model directory for serving
 * (vLLM, transformers): {@code W' = W + scaling·B·A} for every adapted projection, every other tensor copied, all under
 * the base checkpoint's own tensor names, in sharded safetensors with {@code model.safetensors.index.json}, plus the
 * base's config (its {@code torch_dtype} set to the export dtype) and tokenizer files.
 *
 * <pre>
 *   out/model-00001-of-0000N.safetensors ...   tensors in the base's order, a new shard before one would pass maxShardBytes
 *   out/model.safetensors.index.json           {"metadata": {"total_size": bytes}, "weight_map": {name: file}}
 *   out/config.json, tokenizer*.json, generation_config.json, ... (every other file of the base folder)
 * </pre>
 *
 * <p>Precision: the base value as stored (BF16/F16 widened exactly) plus the float32 delta ({@link LoraLinear#deltaWeight}),
 * added in float32 and then narrowed in Java with round-to-nearest-even ({@link HalfPrecision}): DJL never sees a BF16
 * tensor. Tensors that are not adapted and already have the export dtype are copied byte for byte; integer tensors are
 * always copied. Reference: PEFT {@code merge_and_unload()} then {@code save_pretrained(safe_serialization=True)}.
 */
public final class MergedExport {

    private static final Logger LOG = System.getLogger(MergedExport.class.getName());
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    /** transformers' default {@code max_shard_size} ("5GB" = 5 * 10^9 bytes). */
    public static final long DEFAULT_MAX_SHARD_BYTES = 5_000_000_000L;
    public static final String INDEX_FILE = "model.safetensors.index.json";

    private MergedExport() {
    }

    /** The export dtype: its {@code --dtype} / {@code torch_dtype} name and safetensors dtype. */
    public enum Dtype {
        BFLOAT16("bfloat16", "BF16"),
        FLOAT16("float16", "F16"),
        FLOAT32("float32", "F32");

        private final String torchName;
        private final String safetensors;

        Dtype(String torchName, String safetensors) {
            this.torchName = torchName;
            this.safetensors = safetensors;
        }

        public String torchName() {
            return torchName;
        }

        public String safetensors() {
            return safetensors;
        }

        /** The dtype named {@code name} ({@code bfloat16|float16|float32}); the error lists them. */
        public static Dtype of(String name) {
            for (Dtype d : values()) {
                if (d.torchName.equals(name)) {
                    return d;
                }
            }
            throw new IllegalArgumentException("Invalid --dtype '" + name + "': must be one of bfloat16, float16, float32");
        }

        /** The base's own dtype ({@code torch_dtype} or {@code dtype} of config.json), float32 when it names none of ours. */
        public static Dtype ofBase(Path modelDir) {
            try {
                JsonNode cfg = JSON.readTree(modelDir.resolve("config.json").toFile());
                JsonNode d = cfg.has("torch_dtype") ? cfg.get("torch_dtype") : cfg.get("dtype");
                for (Dtype x : values()) {
                    if (d != null && x.torchName.equals(d.asText())) {
                        return x;
                    }
                }
                return FLOAT32;
            } catch (IOException e) {
                throw new UncheckedIOException("Cannot read " + modelDir.resolve("config.json"), e);
            }
        }
    }

    /**
     * What was written.
     *
     * @param outDir         the model directory
     * @param shards         shard file names, in order
     * @param mergedTensors  tensors that received a LoRA update
     * @param tensors        every tensor written
     * @param totalBytes     tensor data bytes (the index's {@code total_size})
     * @param copiedFiles    the non-weight files copied from the base (config, tokenizer, ...)
     */
    public record Result(Path outDir, List<String> shards, int mergedTensors, int tensors, long totalBytes,
                         List<String> copiedFiles) {
    }

    /** Where a base tensor lives. */
    private record Source(SafeTensors.Reader reader, SafeTensors.Entry entry) {
    }

    /**
     * Merges {@code adapterDir} into {@code modelDir} and writes the result to {@code outDir} (created; it must not
     * exist or be empty).
     *
     * @throws IllegalArgumentException naming the folder, tensor or option when the inputs do not fit
     */
    public static Result export(Path adapterDir, Path modelDir, Path outDir, Dtype dtype, long maxShardBytes) throws IOException {
        if (maxShardBytes < 1) {
            throw new IllegalArgumentException("maxShardBytes must be at least 1, got " + maxShardBytes);
        }
        if (!Files.isRegularFile(adapterDir.resolve(PeftAdapter.CONFIG_FILE))) {
            throw new IllegalArgumentException("No " + PeftAdapter.CONFIG_FILE + " in --adapter " + adapterDir
                    + ": pass a PEFT adapter directory (e.g. output_dir/adapter)");
        }
        if (Files.exists(outDir) && (!Files.isDirectory(outDir) || !isEmpty(outDir))) {
            throw new IllegalArgumentException("--out " + outDir + " exists and is not an empty directory: choose a new"
                    + " folder (the export never overwrites a model)");
        }
        if (Files.exists(outDir) && Files.isSameFile(outDir, modelDir)) {
            throw new IllegalArgumentException("--out " + outDir + " is the base model folder: choose a new folder");
        }
        // 1. Every base tensor, in checkpoint order (files as listed, entries in file order).
        Map<String, Source> base = new LinkedHashMap<>();
        for (Path f : SafeTensors.modelFiles(modelDir)) {
            SafeTensors.Reader r = SafeTensors.open(f);
            r.entries().values().forEach(e -> base.put(e.name(), new Source(r, e)));
        }
        try (NDManager manager = NDManager.newBaseManager(ai.djl.Device.cpu())) {
            // 2. The adapter on our loader (its key mapping and shape checks); each adapted module's weight tensor.
            LanguageModel model = ModelFamilies.load(modelDir, manager);
            LoraModel lora = PeftAdapter.load(model, adapterDir, manager);
            Map<String, LoraLinear> adapted = new LinkedHashMap<>();
            for (LoraLinear l : lora.layers().values()) {
                String name = l.moduleName() + ".weight";
                Source s = base.get(name);
                if (s == null) {
                    throw new IllegalArgumentException("The adapter " + adapterDir + " adapts " + l.moduleName()
                            + ", but the checkpoint in " + modelDir + " has no tensor '" + name + "' (a tied lm_head?);"
                            + " a merged export needs the adapted weight as its own tensor");
                }
                long[] want = {l.baseLayer().outFeatures(), l.baseLayer().inFeatures()};
                if (!Arrays.equals(s.entry().shape(), want)) {
                    throw new IllegalArgumentException("Tensor '" + name + "' in " + s.reader().file() + " has shape "
                            + Arrays.toString(s.entry().shape()) + ", the adapted layer is " + Arrays.toString(want));
                }
                adapted.put(name, l);
            }
            // 3. Shards: tensors in base order, a new shard before one would pass maxShardBytes.
            List<List<String>> shards = new ArrayList<>();
            Map<String, SafeTensors.TensorSpec> specs = new LinkedHashMap<>();
            long size = 0;
            long total = 0;
            for (Map.Entry<String, Source> e : base.entrySet()) {
                SafeTensors.TensorSpec spec = new SafeTensors.TensorSpec(outDtype(e.getValue().entry().dtype(), dtype),
                        e.getValue().entry().shape());
                specs.put(e.getKey(), spec);
                long b = spec.byteSize();
                if (shards.isEmpty() || (size > 0 && size + b > maxShardBytes)) {
                    shards.add(new ArrayList<>());
                    size = 0;
                }
                shards.get(shards.size() - 1).add(e.getKey());
                size += b;
                total += b;
            }
            // 4. Write the shards, one tensor in memory at a time, and the index.
            Files.createDirectories(outDir);
            Map<String, String> weightMap = new TreeMap<>();
            List<String> names = new ArrayList<>();
            for (int i = 0; i < shards.size(); i++) {
                String file = String.format(Locale.ROOT, "model-%05d-of-%05d.safetensors", i + 1, shards.size());
                names.add(file);
                Map<String, SafeTensors.TensorSpec> shardSpecs = new LinkedHashMap<>();
                for (String t : shards.get(i)) {
                    shardSpecs.put(t, specs.get(t));
                    weightMap.put(t, file);
                }
                SafeTensors.writeStreaming(outDir.resolve(file), shardSpecs, Map.of("format", "pt"), (t, out) -> {
                    Source src = base.get(t);
                    String outType = specs.get(t).dtype();
                    LoraLinear l = adapted.get(t);
                    if (l == null && src.entry().dtype().equals(outType)) {
                        out.write(SafeTensors.rawData(src.reader(), t)); // unchanged, bit for bit
                        return;
                    }
                    float[] values = src.reader().readFloats(t);
                    if (l != null) {
                        addDelta(values, l, t);
                    }
                    out.write(HalfPrecision.encode(values, outType));
                });
            }
            ObjectNode index = JSON.createObjectNode();
            index.putObject("metadata").put("total_size", total);
            ObjectNode wm = index.putObject("weight_map");
            weightMap.forEach(wm::put);
            Files.writeString(outDir.resolve(INDEX_FILE), JSON.writeValueAsString(index) + "\n");
            // 5. config (torch_dtype = the export dtype), tokenizer and every other file of the base folder.
            List<String> copied = copyOtherFiles(modelDir, outDir, dtype);
            LOG.log(Level.INFO, String.format(Locale.ROOT, "exported %d tensors (%d merged) in %d shard(s), %,d bytes, %s, to %s",
                    base.size(), adapted.size(), shards.size(), total, dtype.torchName(), outDir));
            return new Result(outDir, List.copyOf(names), adapted.size(), base.size(), total, copied);
        }
    }

    /** Floating tensors take the export dtype; integer and boolean tensors keep theirs. */
    private static String outDtype(String stored, Dtype dtype) {
        return switch (stored) {
            case "F32", "F16", "BF16", "F64" -> dtype.safetensors();
            default -> stored;
        };
    }

    /** {@code values += scaling·B·A} of {@code l} (float32 adds, as PyTorch's merge in float32). */
    private static void addDelta(float[] values, LoraLinear l, String name) {
        try (NDArray delta = l.deltaWeight()) { // [out, in]
            float[] d = delta.toFloatArray();
            if (d.length != values.length) {
                throw new IllegalStateException("delta of " + name + " has " + d.length + " values, the tensor " + values.length);
            }
            for (int i = 0; i < d.length; i++) {
                values[i] += d[i];
            }
        }
    }

    private static List<String> copyOtherFiles(Path modelDir, Path outDir, Dtype dtype) throws IOException {
        List<String> copied = new ArrayList<>();
        try (Stream<Path> files = Files.list(modelDir)) {
            for (Path f : files.sorted().toList()) {
                String n = f.getFileName().toString();
                if (!Files.isRegularFile(f) || n.endsWith(".safetensors") || n.equals(INDEX_FILE) || n.startsWith(".")) {
                    continue; // weights are rewritten; sub-folders (e.g. adapters kept beside a model) are not the model
                }
                if (n.equals("config.json")) {
                    ObjectNode cfg = (ObjectNode) JSON.readTree(f.toFile());
                    cfg.put("torch_dtype", dtype.torchName());
                    if (cfg.has("dtype")) {
                        cfg.put("dtype", dtype.torchName());
                    }
                    Files.writeString(outDir.resolve(n), JSON.writeValueAsString(cfg) + "\n");
                } else {
                    Files.copy(f, outDir.resolve(n), StandardCopyOption.COPY_ATTRIBUTES);
                }
                copied.add(n);
            }
        }
        return copied;
    }

    private static boolean isEmpty(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.findAny().isEmpty();
        }
    }
}
