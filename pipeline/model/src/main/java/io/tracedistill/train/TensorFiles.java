package io.tracedistill.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Minimal safetensors IO for the trainer's own files (checkpointed LoRA weights and AdamW moments,
 * and the PEFT adapters it writes): float32 tensors, written in the given key order with
 * {@code __metadata__ = {"format": "pt"}}; reading widens F16/BF16 to float32.
 *
 * <p>Format (huggingface/safetensors): 8-byte little-endian header length, a JSON header
 * {@code {name: {dtype, shape, data_offsets: [begin, end]}}} padded with spaces to a multiple of 8,
 * then the raw little-endian data.
 */
public final class TensorFiles {

    private static final ObjectMapper JSON = new ObjectMapper();

    private TensorFiles() {
    }

    /** A float32 tensor on the host: shape and row-major data. */
    public record HostTensor(long[] shape, float[] data) {
        public HostTensor {
            long n = 1;
            for (long d : shape) {
                n *= d;
            }
            if (n != data.length) {
                throw new IllegalArgumentException("shape " + java.util.Arrays.toString(shape) + " needs " + n + " values but got " + data.length);
            }
        }
    }

    /** Writes {@code tensors} (in iteration order) as float32 safetensors to {@code file}. */
    public static void write(Path file, Map<String, HostTensor> tensors) throws IOException {
        ObjectNode header = JSON.createObjectNode();
        header.putObject("__metadata__").put("format", "pt");
        long offset = 0;
        for (Map.Entry<String, HostTensor> e : tensors.entrySet()) {
            ObjectNode t = header.putObject(e.getKey());
            t.put("dtype", "F32");
            var shape = t.putArray("shape");
            for (long d : e.getValue().shape()) {
                shape.add(d);
            }
            long bytes = 4L * e.getValue().data().length;
            t.putArray("data_offsets").add(offset).add(offset + bytes);
            offset += bytes;
        }
        byte[] h = JSON.writeValueAsBytes(header);
        int padded = (h.length + 7) / 8 * 8;
        byte[] hp = new byte[padded];
        java.util.Arrays.fill(hp, (byte) ' ');
        System.arraycopy(h, 0, hp, 0, h.length);
        try (OutputStream out = Files.newOutputStream(file)) {
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded);
            out.write(len.array());
            out.write(hp);
            for (HostTensor t : tensors.values()) {
                ByteBuffer bb = ByteBuffer.allocate(4 * t.data().length).order(ByteOrder.LITTLE_ENDIAN);
                bb.asFloatBuffer().put(t.data());
                out.write(bb.array());
            }
        }
    }

    /** Reads every tensor of a safetensors file as float32, in header order. */
    public static LinkedHashMap<String, HostTensor> read(Path file) throws IOException {
        byte[] all = Files.readAllBytes(file);
        if (all.length < 8) {
            throw new IOException(file + " is not a safetensors file: shorter than 8 bytes");
        }
        ByteBuffer bb = ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN);
        long hlen = bb.getLong(0);
        if (hlen < 2 || 8 + hlen > all.length) {
            throw new IOException(file + " is not a safetensors file: header length " + hlen + " does not fit in " + all.length + " bytes");
        }
        JsonNode header = JSON.readTree(new String(all, 8, (int) hlen, StandardCharsets.UTF_8));
        int base = 8 + (int) hlen;
        LinkedHashMap<String, HostTensor> out = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = header.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getKey().equals("__metadata__")) {
                continue;
            }
            JsonNode t = e.getValue();
            String dtype = t.path("dtype").asText();
            JsonNode shapeNode = t.path("shape");
            long[] shape = new long[shapeNode.size()];
            long n = 1;
            for (int i = 0; i < shape.length; i++) {
                shape[i] = shapeNode.get(i).asLong();
                n *= shape[i];
            }
            long begin = t.path("data_offsets").get(0).asLong();
            long end = t.path("data_offsets").get(1).asLong();
            int width = switch (dtype) {
                case "F32" -> 4;
                case "F16", "BF16" -> 2;
                default -> throw new IOException(file + ": tensor " + e.getKey() + " has dtype " + dtype
                        + "; only F32, F16 and BF16 are supported here");
            };
            if (end - begin != n * width || base + end > all.length) {
                throw new IOException(file + ": tensor " + e.getKey() + " data_offsets [" + begin + ", " + end + "] do not match shape/dtype");
            }
            float[] data = new float[(int) n];
            ByteBuffer src = ByteBuffer.wrap(all, base + (int) begin, (int) (end - begin)).slice().order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < n; i++) {
                data[i] = switch (dtype) {
                    case "F32" -> src.getFloat(4 * i);
                    case "BF16" -> Float.intBitsToFloat((src.getShort(2 * i) & 0xFFFF) << 16);
                    default -> halfToFloat(src.getShort(2 * i));
                };
            }
            out.put(e.getKey(), new HostTensor(shape, data));
        }
        return out;
    }

    /** IEEE 754 binary16 -> float32 (exact). */
    static float halfToFloat(short h) {
        int bits = h & 0xFFFF;
        int sign = (bits & 0x8000) << 16;
        int exp = (bits >>> 10) & 0x1F;
        int mant = bits & 0x3FF;
        if (exp == 0x1F) {
            return Float.intBitsToFloat(sign | 0x7F800000 | (mant << 13));
        }
        if (exp == 0) {
            // subnormal: mant * 2^-24
            float v = mant * 0x1p-24f;
            return sign != 0 ? -v : v;
        }
        return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
    }
}
