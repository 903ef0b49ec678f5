package io.tracedistill.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Model directories in other layouts than the fixtures: sharded safetensors with an index, and a
 * BF16 checkpoint (widened in Java) that must give exactly the logits of the same weights in F32.
 */
class ModelFilesTest {
    static final int[] IDS = {257, 117, 115, 101, 114, 10, 72, 105};

    static void copyConfigs(Path from, Path to) throws IOException {
        Files.createDirectories(to);
        for (String f : new String[] {"config.json", "generation_config.json"}) {
            Files.copy(from.resolve(f), to.resolve(f));
        }
    }

    static Map<String, SafeTensors.HostTensor> tensors(Path modelDir) {
        SafeTensors.Reader r = SafeTensors.open(modelDir.resolve("model.safetensors"));
        Map<String, SafeTensors.HostTensor> out = new LinkedHashMap<>();
        r.entries().forEach((k, e) -> out.put(k, new SafeTensors.HostTensor(e.shape(), r.readFloats(k))));
        return out;
    }

    static float[] logits(Path dir) {
        try (NDManager m = NDManager.newBaseManager(); NDManager step = m.newSubManager()) {
            return CausalLm.load(dir, m).forward(Fixtures.row(IDS, step)).toFloatArray();
        }
    }

    @Test
    void shardedCheckpointLoadsThroughItsIndex(@TempDir Path dir) throws IOException {
        Path src = Fixtures.dir("tiny-qwen3");
        copyConfigs(src, dir);
        Map<String, SafeTensors.HostTensor> all = tensors(src);
        Map<String, SafeTensors.HostTensor> a = new TreeMap<>();
        Map<String, SafeTensors.HostTensor> b = new TreeMap<>();
        ObjectNode index = new ObjectMapper().createObjectNode();
        ObjectNode map = index.putObject("weight_map");
        all.forEach((k, v) -> {
            boolean first = k.startsWith("model.layers.0.") || k.startsWith("model.embed");
            (first ? a : b).put(k, v);
            map.put(k, first ? "model-00001-of-00002.safetensors" : "model-00002-of-00002.safetensors");
        });
        SafeTensors.write(dir.resolve("model-00001-of-00002.safetensors"), a, Map.of("format", "pt"));
        SafeTensors.write(dir.resolve("model-00002-of-00002.safetensors"), b, Map.of("format", "pt"));
        new ObjectMapper().writeValue(dir.resolve("model.safetensors.index.json").toFile(), index);
        assertArrayEquals(logits(src), logits(dir), 0f);
    }

    @Test
    void bf16CheckpointEqualsTheSameWeightsInF32(@TempDir Path dir) throws IOException {
        Path src = Fixtures.dir("tiny-qwen2");
        Path bf16 = dir.resolve("bf16");
        Path f32 = dir.resolve("f32");
        copyConfigs(src, bf16);
        copyConfigs(src, f32);
        Map<String, SafeTensors.HostTensor> all = tensors(src);
        Map<String, SafeTensors.HostTensor> rounded = new LinkedHashMap<>();
        Map<String, short[]> bits = new TreeMap<>();
        all.forEach((k, t) -> {
            short[] h = new short[t.values().length];
            float[] r = new float[h.length];
            for (int i = 0; i < h.length; i++) {
                int x = Float.floatToRawIntBits(t.values()[i]);
                int bf = (x + 0x7FFF + ((x >>> 16) & 1)) >>> 16; // round to nearest even, as torch's .to(bfloat16)
                h[i] = (short) bf;
                r[i] = Float.intBitsToFloat(bf << 16);
            }
            bits.put(k, h);
            rounded.put(k, new SafeTensors.HostTensor(t.shape(), r));
        });
        SafeTensors.write(f32.resolve("model.safetensors"), rounded, Map.of("format", "pt"));
        writeBf16(bf16.resolve("model.safetensors"), bits, all);
        float[] fromBf16 = logits(bf16);
        assertArrayEquals(logits(f32), fromBf16, 0f, "BF16 file widened in Java == rounded F32 file");
        // And the rounding really changed the model (the test compares something).
        float[] original = logits(src);
        double max = 0;
        for (int i = 0; i < original.length; i++) {
            max = Math.max(max, Math.abs(original[i] - fromBf16[i]));
        }
        System.out.printf("bf16-rounded weights vs f32: max |logit diff| = %.3e%n", max);
        assertTrue(max > 1e-4);
    }

    @Test
    void missingWeightNamesTensorAndShape(@TempDir Path dir) throws IOException {
        Path src = Fixtures.dir("tiny-llama");
        copyConfigs(src, dir);
        Map<String, SafeTensors.HostTensor> all = tensors(src);
        all.remove("model.layers.1.mlp.up_proj.weight");
        SafeTensors.write(dir.resolve("model.safetensors"), all, Map.of("format", "pt"));
        try (NDManager m = NDManager.newBaseManager()) {
            ModelLoadException e = assertThrows(ModelLoadException.class, () -> CausalLm.load(dir, m));
            assertTrue(e.getMessage().contains("Missing tensor 'model.layers.1.mlp.up_proj.weight' (expected shape (128, 64))"),
                    e.getMessage());
        }
    }

    static void writeBf16(Path file, Map<String, short[]> bits, Map<String, SafeTensors.HostTensor> shapes) throws IOException {
        StringBuilder h = new StringBuilder("{\"__metadata__\":{\"format\":\"pt\"}");
        long off = 0;
        for (Map.Entry<String, short[]> e : bits.entrySet()) {
            long[] s = shapes.get(e.getKey()).shape();
            StringBuilder shape = new StringBuilder("[");
            for (int i = 0; i < s.length; i++) {
                shape.append(i == 0 ? "" : ",").append(s[i]);
            }
            long n = 2L * e.getValue().length;
            h.append(",\"").append(e.getKey()).append("\":{\"dtype\":\"BF16\",\"shape\":").append(shape).append("],\"data_offsets\":[")
                    .append(off).append(',').append(off + n).append("]}");
            off += n;
        }
        h.append('}');
        while ((h.length()) % 8 != 0) {
            h.append(' ');
        }
        byte[] hb = h.toString().getBytes(StandardCharsets.UTF_8);
        ByteBuffer buf = ByteBuffer.allocate((int) (8 + hb.length + off)).order(ByteOrder.LITTLE_ENDIAN);
        buf.putLong(hb.length).put(hb);
        for (short[] v : bits.values()) {
            for (short x : v) {
                buf.putShort(x);
            }
        }
        Files.write(file, buf.array());
    }
}
