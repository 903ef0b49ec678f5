package io.tracedistill.peft;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tracedistill.model.Fixtures;
import io.tracedistill.model.HalfPrecision;
import io.tracedistill.model.LanguageModel;
import io.tracedistill.model.SafeTensors;
import io.tracedistill.model.families.ModelFamilies;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code export}: base + LoRA adapter merged into a Hugging Face model directory. The merged folder loads in our loader
 * and gives the adapter's logits (tiny-qwen2 against transformers' recorded logits with its LoRA fixture; tiny-qwen3
 * with tied embeddings and tiny-nemotron-h against our own forward with the adapter), its tensor names are exactly the
 * base's, the index covers every tensor with the right total size, and BF16 is the float32 merge rounded to nearest even.
 */
class MergedExportTest {
    static final double LOGIT_TOL = 1e-4;
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    /** Every tensor name of a model folder. */
    private static TreeSet<String> tensorNames(Path dir) {
        TreeSet<String> names = new TreeSet<>();
        for (Path f : SafeTensors.modelFiles(dir)) {
            names.addAll(SafeTensors.open(f).entries().keySet());
        }
        return names;
    }

    private static Map<String, float[]> tensors(Path dir) {
        Map<String, float[]> out = new HashMap<>();
        for (Path f : SafeTensors.modelFiles(dir)) {
            SafeTensors.Reader r = SafeTensors.open(f);
            for (String n : r.entries().keySet()) {
                out.put(n, r.readFloats(n));
            }
        }
        return out;
    }

    /** Largest |logit difference| of the merged model vs {@code expected} logits per case. */
    private static double maxDiff(Path merged, List<int[]> inputs, List<float[][]> expected) {
        double max = 0;
        try (NDManager m = NDManager.newBaseManager()) {
            LanguageModel lm = ModelFamilies.load(merged, m);
            for (int k = 0; k < inputs.size(); k++) {
                float[][] got = Fixtures.logitsRow(lm.forward(Fixtures.row(inputs.get(k), m)), 0);
                for (int t = 0; t < got.length; t++) {
                    for (int v = 0; v < got[t].length; v++) {
                        max = Math.max(max, Math.abs(got[t][v] - expected.get(k)[t][v]));
                    }
                }
            }
        }
        return max;
    }

    /** Our own logits of base + adapter for each input. */
    private static List<float[][]> adapterLogits(Path model, Path adapter, List<int[]> inputs) {
        List<float[][]> out = new ArrayList<>();
        try (NDManager m = NDManager.newBaseManager()) {
            LoraModel lora = PeftAdapter.load(ModelFamilies.load(model, m), adapter, m);
            for (int[] ids : inputs) {
                out.add(Fixtures.logitsRow(lora.model().forward(Fixtures.row(ids, m)), 0));
            }
        }
        return out;
    }

    @Test
    void tinyQwen2WithItsLoraFixtureMatchesTransformersLogitsAndFollowsHfLayout() throws IOException {
        Path model = Fixtures.dir("tiny-qwen2");
        Path out = tmp.resolve("merged-f32");
        // A small shard limit so the tiny model is written as several shards.
        MergedExport.Result r = MergedExport.export(model.resolve("lora"), model, out, MergedExport.Dtype.FLOAT32, 100_000);
        assertTrue(r.shards().size() > 1, "several shards: " + r.shards());
        assertEquals(String.format("model-00001-of-%05d.safetensors", r.shards().size()), r.shards().get(0));
        assertTrue(r.mergedTensors() > 0);
        // Tensor names = the base's; the index maps each to the shard holding it; total_size adds up.
        assertEquals(tensorNames(model), tensorNames(out));
        JsonNode index = JSON.readTree(out.resolve(MergedExport.INDEX_FILE).toFile());
        assertEquals(tensorNames(model).size(), index.get("weight_map").size());
        long total = 0;
        for (String shard : r.shards()) {
            SafeTensors.Reader s = SafeTensors.open(out.resolve(shard));
            for (SafeTensors.Entry e : s.entries().values()) {
                assertEquals(shard, index.at("/weight_map/" + e.name().replace("/", "~1")).asText(), e.name());
                total += e.end() - e.begin();
                assertEquals("F32", e.dtype());
            }
            assertEquals("pt", s.metadata().get("format"));
        }
        assertEquals(total, index.at("/metadata/total_size").asLong());
        assertEquals("float32", JSON.readTree(out.resolve("config.json").toFile()).get("torch_dtype").asText());
        for (String f : List.of("tokenizer.json", "tokenizer_config.json", "generation_config.json")) {
            assertArrayEquals(Files.readAllBytes(model.resolve(f)), Files.readAllBytes(out.resolve(f)), f);
        }
        assertFalse(Files.exists(out.resolve("lora")), "sub-folders of the base are not copied");
        // Logits of the merged folder = transformers' logits with the adapter.
        JsonNode cases = Fixtures.json("tiny-qwen2/lora/expected_with_adapter.json").get("cases");
        List<int[]> inputs = new ArrayList<>();
        List<float[][]> expected = new ArrayList<>();
        for (JsonNode c : cases) {
            inputs.add(Fixtures.ints(c.get("input_ids")));
            double[][] e = Fixtures.matrix(c.get("logits"));
            float[][] f = new float[e.length][];
            for (int t = 0; t < e.length; t++) {
                f[t] = new float[e[t].length];
                for (int v = 0; v < e[t].length; v++) {
                    f[t][v] = (float) e[t][v];
                }
            }
            expected.add(f);
        }
        double diff = maxDiff(out, inputs, expected);
        System.out.printf("export tiny-qwen2 + lora (float32): max |logit diff| vs transformers with adapter = %.3e (tol %.0e)%n",
                diff, LOGIT_TOL);
        assertTrue(diff <= LOGIT_TOL, "max diff " + diff);
        // Unadapted tensors are copied byte for byte; adapted ones differ from the base.
        Map<String, float[]> base = tensors(model);
        Map<String, float[]> merged = tensors(out);
        assertArrayEquals(base.get("model.embed_tokens.weight"), merged.get("model.embed_tokens.weight"));
        assertFalse(java.util.Arrays.equals(base.get("model.layers.0.self_attn.q_proj.weight"),
                merged.get("model.layers.0.self_attn.q_proj.weight")), "q_proj is adapted in the fixture");

        // BF16: exactly the float32 merge rounded to nearest even, tensor by tensor; logits close.
        Path bf = tmp.resolve("merged-bf16");
        MergedExport.export(model.resolve("lora"), model, bf, MergedExport.Dtype.BFLOAT16, MergedExport.DEFAULT_MAX_SHARD_BYTES);
        assertEquals("bfloat16", JSON.readTree(bf.resolve("config.json").toFile()).get("torch_dtype").asText());
        Map<String, float[]> bfTensors = tensors(bf);
        for (Map.Entry<String, float[]> e : merged.entrySet()) {
            float[] f32 = e.getValue();
            float[] b16 = bfTensors.get(e.getKey());
            for (int i = 0; i < f32.length; i++) {
                assertEquals(Float.intBitsToFloat((HalfPrecision.bfloat16Bits(f32[i]) & 0xFFFF) << 16), b16[i], e.getKey() + "[" + i + "]");
            }
        }
        // Every weight rounded to 8 significant bits moves the logits by well under 2% of their scale (a sanity bound; the
        // tensor-by-tensor check above is the exact one).
        double bfDiff = maxDiff(bf, inputs, expected);
        double scale = 0;
        for (float[][] e : expected) {
            for (float[] row : e) {
                for (float v : row) {
                    scale = Math.max(scale, Math.abs(v));
                }
            }
        }
        System.out.printf("export tiny-qwen2 + lora (bfloat16): max |logit diff| vs transformers float32 = %.3e = %.2f%% of max |logit|"
                + " %.2f (tol 2%%)%n", bfDiff, 100 * bfDiff / scale, scale);
        assertTrue(bfDiff <= 0.02 * scale, "bf16 max diff " + bfDiff + " vs logit scale " + scale);
        // A second export never overwrites.
        assertThrows(IllegalArgumentException.class,
                () -> MergedExport.export(model.resolve("lora"), model, out, MergedExport.Dtype.FLOAT32, 100_000));
    }

    @Test
    void tinyQwen3WithTiedEmbeddingsRoundTrips() throws IOException {
        Path model = Fixtures.dir("tiny-qwen3");
        Path adapter = tmp.resolve("qwen3-adapter");
        // A LoRA on every autodetected projection, with B non-zero (a fresh init has B = 0, which would merge nothing).
        try (NDManager m = NDManager.newBaseManager()) {
            LoraModel lora = LoraModel.inject(ModelFamilies.load(model, m), new LoraConfig(4, 8, 0.0, null, false), 3, m);
            Random rnd = new Random(5);
            Map<String, NDArray> values = new HashMap<>();
            lora.trainableParameters().forEach((k, v) -> {
                float[] x = new float[(int) v.size()];
                for (int i = 0; i < x.length; i++) {
                    x[i] = (float) (rnd.nextGaussian() * 0.05);
                }
                values.put(k, m.create(x, v.getShape()));
            });
            lora.copyFrom(values, "random test adapter");
            PeftAdapter.save(lora, adapter, "tiny-qwen3");
        }
        Path out = tmp.resolve("qwen3-merged");
        MergedExport.Result r = MergedExport.export(adapter, model, out, MergedExport.Dtype.FLOAT32, MergedExport.DEFAULT_MAX_SHARD_BYTES);
        assertEquals(1, r.shards().size());
        assertEquals(tensorNames(model), tensorNames(out));
        assertFalse(tensorNames(out).contains("lm_head.weight"), "tied embeddings stay tied: no lm_head tensor");
        List<int[]> inputs = List.of(new int[] {1, 5, 9, 200, 17, 33}, new int[] {256, 40, 41, 42});
        double diff = maxDiff(out, inputs, adapterLogits(model, adapter, inputs));
        System.out.printf("export tiny-qwen3 (tied) + random adapter (float32): max |logit diff| vs base + adapter = %.3e (tol %.0e)%n",
                diff, LOGIT_TOL);
        assertTrue(diff <= LOGIT_TOL, "max diff " + diff);
        double baseDiff = maxDiff(model, inputs, adapterLogits(model, adapter, inputs));
        assertTrue(baseDiff > 100 * LOGIT_TOL, "the adapter changes the logits (" + baseDiff + "), so the test can fail");
    }

    @Test
    void tinyNemotronHWithItsLoraFixtureRoundTrips() throws IOException {
        Path model = Fixtures.dir("tiny-nemotron-h");
        Path out = tmp.resolve("nemotron-merged");
        MergedExport.Result r = MergedExport.export(model.resolve("lora"), model, out, MergedExport.Dtype.FLOAT32,
                MergedExport.DEFAULT_MAX_SHARD_BYTES);
        assertTrue(r.mergedTensors() > 0);
        assertEquals(tensorNames(model), tensorNames(out));
        List<int[]> inputs = List.of(new int[] {1, 5, 9, 20, 17, 33, 2, 8, 11}, new int[] {3, 40, 41, 42});
        double diff = maxDiff(out, inputs, adapterLogits(model, model.resolve("lora"), inputs));
        System.out.printf("export tiny-nemotron-h + lora (float32): max |logit diff| vs base + adapter = %.3e (tol %.0e)%n",
                diff, LOGIT_TOL);
        assertTrue(diff <= LOGIT_TOL, "max diff " + diff);
    }
}
