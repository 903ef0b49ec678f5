package io.tracedistill.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Reader and writer for the safetensors format: an 8-byte little-endian header length N, N bytes of
 * JSON ({@code name -> {dtype, shape, data_offsets}} plus optional {@code __metadata__}), then the raw
 * little-endian tensor bytes.
 *
 * <p>Reference: huggingface/safetensors (format spec and the Python/Rust {@code save_file}). Reading
 * widens F16 and BF16 to float32 in Java (BF16: {@code bits << 16}) because DJL's PyTorch engine
 * must never be handed {@code DataType.BFLOAT16} on this build. Writing follows {@code save_file}
 * byte for byte for float32: compact JSON header with {@code __metadata__} first, tensors sorted by
 * name with contiguous offsets, header padded with spaces to a multiple of 8.
 */
public final class SafeTensors {

    /** One tensor's header entry. Offsets are relative to the start of the data section. */
    public record Entry(String name, String dtype, long[] shape, long begin, long end) {
        /** Element count; {@link SafeTensors#open} has checked that it neither overflows nor goes negative. */
        public long numel() {
            long n = 1;
            for (long s : shape) {
                n *= s;
            }
            return n;
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private SafeTensors() {
    }

    /** An opened safetensors file: its header entries (in file order) and metadata. */
    public static final class Reader {
        private final Path file;
        private final long dataStart;
        private final Map<String, Entry> entries;
        private final Map<String, String> metadata;

        private Reader(Path file, long dataStart, Map<String, Entry> entries, Map<String, String> metadata) {
            this.file = file;
            this.dataStart = dataStart;
            this.entries = entries;
            this.metadata = metadata;
        }

        public Path file() {
            return file;
        }

        public Map<String, Entry> entries() {
            return Collections.unmodifiableMap(entries);
        }

        public Map<String, String> metadata() {
            return Collections.unmodifiableMap(metadata);
        }

        public Entry entry(String name) {
            Entry e = entries.get(name);
            if (e == null) {
                throw new ModelLoadException("Tensor '" + name + "' not found in " + file + " (it has "
                        + entries.size() + " tensors, e.g. " + entries.keySet().stream().limit(3).toList() + ")");
            }
            return e;
        }

        /** Reads a floating-point tensor as float32 values (F16/BF16 widened, F64 narrowed). */
        public float[] readFloats(String name) {
            Entry e = entry(name);
            ByteBuffer raw = rawBytes(e);
            long n = e.numel();
            if (n > Integer.MAX_VALUE) {
                throw new ModelLoadException("Tensor '" + name + "' in " + file + " has " + n
                        + " elements, more than one Java array can hold; use load() instead");
            }
            float[] out = new float[(int) n];
            widenInto(e, raw, FloatBuffer.wrap(out));
            return out;
        }

        /** Loads a floating-point tensor as a float32 NDArray in {@code manager}. */
        public NDArray load(String name, NDManager manager) {
            Entry e = entry(name);
            ByteBuffer raw = rawBytes(e);
            Shape shape = new Shape(e.shape());
            if ("F32".equals(e.dtype())) {
                // Copy out of the read-only file mapping: DJL wraps direct buffers without copying,
                // and an in-place update (merge) must not write into the mapped file.
                ByteBuffer copy = ByteBuffer.allocateDirect(raw.remaining()).order(ByteOrder.nativeOrder());
                copy.put(raw).flip();
                return manager.create(copy, shape, DataType.FLOAT32);
            }
            ByteBuffer wide = ByteBuffer.allocateDirect(Math.multiplyExact(Math.toIntExact(e.numel()), 4))
                    .order(ByteOrder.nativeOrder());
            widenInto(e, raw, wide.asFloatBuffer());
            return manager.create(wide, shape, DataType.FLOAT32);
        }

        private ByteBuffer rawBytes(Entry e) {
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
                long len = e.end() - e.begin();
                ByteBuffer buf = ch.map(FileChannel.MapMode.READ_ONLY, dataStart + e.begin(), len);
                return buf.order(ByteOrder.LITTLE_ENDIAN);
            } catch (IOException ex) {
                throw new ModelLoadException("Cannot read tensor '" + e.name() + "' from " + file + ": "
                        + ex.getMessage(), ex);
            }
        }

        private void widenInto(Entry e, ByteBuffer raw, FloatBuffer out) {
            long n = e.numel();
            switch (e.dtype()) {
                case "F32" -> {
                    FloatBuffer src = raw.asFloatBuffer();
                    out.put(src);
                }
                case "BF16" -> {
                    for (long i = 0; i < n; i++) {
                        int bits = raw.getShort() & 0xFFFF;
                        out.put(Float.intBitsToFloat(bits << 16));
                    }
                }
                case "F16" -> {
                    for (long i = 0; i < n; i++) {
                        out.put(halfToFloat(raw.getShort()));
                    }
                }
                case "F64" -> {
                    for (long i = 0; i < n; i++) {
                        out.put((float) raw.getDouble());
                    }
                }
                default -> throw new ModelLoadException("Tensor '" + e.name() + "' in " + file + " has dtype "
                        + e.dtype() + ", which cannot be loaded as weights: supported are F32, F16, BF16, F64");
            }
        }
    }

    /** Opens a safetensors file and parses its header. */
    public static Reader open(Path file) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            if (size < 8 || ch.read(lenBuf, 0) != 8) {
                throw new ModelLoadException(file + " is not a safetensors file: shorter than its 8-byte header length");
            }
            long headerLen = lenBuf.flip().getLong();
            if (headerLen <= 0 || headerLen > size - 8 || headerLen > 100_000_000L) {
                throw new ModelLoadException(file + " is not a safetensors file: header length " + headerLen
                        + " does not fit a file of " + size + " bytes");
            }
            ByteBuffer header = ByteBuffer.allocate((int) headerLen);
            while (header.hasRemaining() && ch.read(header, 8 + header.position()) > 0) {
                // read fully
            }
            String json = new String(header.array(), StandardCharsets.UTF_8).stripTrailing();
            JsonNode root = JSON.readTree(json);
            Map<String, Entry> entries = new LinkedHashMap<>();
            Map<String, String> metadata = new LinkedHashMap<>();
            long dataLen = size - 8 - headerLen;
            for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> f = it.next();
                if ("__metadata__".equals(f.getKey())) {
                    f.getValue().fields().forEachRemaining(m -> metadata.put(m.getKey(), m.getValue().asText()));
                    continue;
                }
                JsonNode v = f.getValue();
                JsonNode shapeNode = v.get("shape");
                JsonNode offs = v.get("data_offsets");
                if (v.get("dtype") == null || shapeNode == null || offs == null || offs.size() != 2) {
                    throw new ModelLoadException("Tensor '" + f.getKey() + "' in " + file
                            + " lacks dtype, shape or data_offsets in the header");
                }
                long[] shape = new long[shapeNode.size()];
                for (int i = 0; i < shape.length; i++) {
                    shape[i] = shapeNode.get(i).asLong();
                }
                Entry e = new Entry(f.getKey(), v.get("dtype").asText(), shape, offs.get(0).asLong(), offs.get(1).asLong());
                long expected = byteSize(file, e);
                if (e.begin() < 0 || e.end() < e.begin()) {
                    throw new ModelLoadException("Tensor '" + e.name() + "' in " + file + " has data_offsets ["
                            + e.begin() + "," + e.end() + "]: offsets must be non-negative and begin <= end;"
                            + " the file is corrupt or crafted");
                }
                if (e.end() > dataLen || e.end() - e.begin() != expected && bytesPerElement(e.dtype()) > 0) {
                    throw new ModelLoadException("Tensor '" + e.name() + "' in " + file + " has data_offsets ["
                            + e.begin() + "," + e.end() + "] but needs " + expected + " bytes within a data section of "
                            + dataLen + " bytes: the file is truncated or corrupt");
                }
                entries.put(e.name(), e);
            }
            return new Reader(file, 8 + headerLen, entries, metadata);
        } catch (IOException e) {
            throw new ModelLoadException("Cannot read safetensors file " + file + ": " + e.getMessage(), e);
        }
    }

    /** Writes float32 tensors (name → NDArray) like {@code safetensors.torch.save_file(tensors, file, metadata)}. */
    public static void writeArrays(Path file, Map<String, NDArray> tensors, Map<String, String> metadata) {
        Map<String, HostTensor> host = new LinkedHashMap<>();
        tensors.forEach((k, v) -> host.put(k, new HostTensor(v.getShape().getShape(), v.toType(DataType.FLOAT32, false).toFloatArray())));
        write(file, host, metadata);
    }

    /** A float32 tensor held in Java memory. */
    public record HostTensor(long[] shape, float[] values) {
        public HostTensor {
            long n = 1;
            for (long s : shape) {
                n *= s;
            }
            if (n != values.length) {
                throw new IllegalArgumentException("shape " + java.util.Arrays.toString(shape) + " needs " + n
                        + " values, got " + values.length);
            }
        }
    }

    /** Writes float32 tensors with {@code __metadata__} (e.g. {"format":"pt"}); names sorted, offsets contiguous. */
    public static void write(Path file, Map<String, HostTensor> tensors, Map<String, String> metadata) {
        Map<String, TensorSpec> specs = new LinkedHashMap<>();
        tensors.forEach((name, t) -> specs.put(name, new TensorSpec("F32", t.shape())));
        writeStreaming(file, specs, metadata, (name, out) -> {
            float[] v = tensors.get(name).values();
            ByteBuffer buf = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
            buf.asFloatBuffer().put(v);
            out.write(buf.array());
        });
    }

    /** A tensor's header fields: safetensors dtype ({@code F32}, {@code BF16}, {@code F16}, ...) and shape. */
    public record TensorSpec(String dtype, long[] shape) {
        /** Bytes of the tensor's data. @throws IllegalArgumentException for a dtype without a fixed element size */
        public long byteSize() {
            int per = bytesPerElement(dtype);
            if (per == 0) {
                throw new IllegalArgumentException("unknown safetensors dtype " + dtype);
            }
            long n = per;
            for (long d : shape) {
                n = Math.multiplyExact(n, d);
            }
            return n;
        }
    }

    /** Writes one tensor's little-endian bytes ({@link TensorSpec#byteSize()} of them) to {@code out}. */
    @FunctionalInterface
    public interface TensorBytes {
        void write(String name, OutputStream out) throws IOException;
    }

    /**
     * Writes a safetensors file one tensor at a time ({@code save_file}'s layout: compact JSON header with
     * {@code __metadata__} first, tensors sorted by name with contiguous offsets, header padded with spaces to a
     * multiple of 8): only one tensor's bytes are in memory at once. {@code data} must write exactly
     * {@link TensorSpec#byteSize()} bytes per tensor; a mismatch fails naming the tensor.
     */
    public static void writeStreaming(Path file, Map<String, TensorSpec> tensors, Map<String, String> metadata,
                                      TensorBytes data) {
        TreeMap<String, TensorSpec> sorted = new TreeMap<>(tensors);
        ObjectNode header = JSON.createObjectNode();
        if (metadata != null && !metadata.isEmpty()) {
            ObjectNode meta = header.putObject("__metadata__");
            new TreeMap<>(metadata).forEach(meta::put);
        }
        long offset = 0;
        for (Map.Entry<String, TensorSpec> e : sorted.entrySet()) {
            ObjectNode t = header.putObject(e.getKey());
            t.put("dtype", e.getValue().dtype());
            ArrayNode shape = t.putArray("shape");
            for (long s : e.getValue().shape()) {
                shape.add(s);
            }
            long bytes = e.getValue().byteSize();
            t.putArray("data_offsets").add(offset).add(offset + bytes);
            offset += bytes;
        }
        byte[] json;
        try {
            json = JSON.writeValueAsString(header).getBytes(StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new ModelLoadException("Cannot serialise safetensors header for " + file + ": " + e.getMessage(), e);
        }
        int padded = (json.length + 7) / 8 * 8;
        try (OutputStream raw = Files.newOutputStream(file);
             OutputStream out = new java.io.BufferedOutputStream(raw, 1 << 20)) {
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded);
            out.write(len.array());
            out.write(json);
            for (int i = json.length; i < padded; i++) {
                out.write(' ');
            }
            for (Map.Entry<String, TensorSpec> e : sorted.entrySet()) {
                CountingStream counted = new CountingStream(out);
                data.write(e.getKey(), counted);
                if (counted.count != e.getValue().byteSize()) {
                    throw new ModelLoadException("Tensor '" + e.getKey() + "' for " + file + ": " + counted.count
                            + " bytes were written, its header says " + e.getValue().byteSize());
                }
            }
        } catch (IOException e) {
            throw new ModelLoadException("Cannot write safetensors file " + file + ": " + e.getMessage(), e);
        }
    }

    /** Counts the bytes passed through (not closing the wrapped stream). */
    private static final class CountingStream extends OutputStream {
        private final OutputStream out;
        long count;

        CountingStream(OutputStream out) {
            this.out = out;
        }

        @Override
        public void write(int b) throws IOException {
            out.write(b);
            count++;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
            count += len;
        }
    }

    /** A tensor's raw little-endian data bytes as stored (any dtype), for copying it unchanged. */
    public static byte[] rawData(Reader reader, String name) {
        Entry e = reader.entry(name);
        ByteBuffer raw = reader.rawBytes(e);
        byte[] out = new byte[Math.toIntExact(raw.remaining())];
        raw.get(out);
        return out;
    }

    /**
     * Bytes a tensor's shape needs ({@code numel × element size}), refusing negative dimensions and
     * counts that overflow a long, so a crafted header fails here, named, instead of deep in a read.
     */
    private static long byteSize(Path file, Entry e) {
        long n = 1;
        try {
            for (long d : e.shape()) {
                if (d < 0) {
                    throw new ArithmeticException("negative dimension " + d);
                }
                n = Math.multiplyExact(n, d);
            }
            return Math.multiplyExact(n, (long) bytesPerElement(e.dtype()));
        } catch (ArithmeticException ex) {
            throw new ModelLoadException("Tensor '" + e.name() + "' in " + file + " has shape "
                    + Arrays.toString(e.shape()) + " (" + ex.getMessage() + "): dimensions must be non-negative"
                    + " and their product must fit in 64 bits; the file is corrupt or crafted");
        }
    }

    /**
     * Lists the weight files of a model dir: {@code model.safetensors} or the shards of its index.
     * Every indexed name must stay inside {@code modelDir} after normalising ({@code ../} and absolute
     * names are refused), so a hostile index cannot make us open other files. The check is lexical on
     * purpose: a Hugging Face cache snapshot's files are symlinks into {@code ../../blobs}, which is fine.
     */
    public static List<Path> modelFiles(Path modelDir) {
        if (Files.isRegularFile(modelDir)) {
            throw new ModelLoadException("The model folder " + modelDir + " is a file, not a directory: pass the"
                    + " Hugging Face model directory that holds config.json and the *.safetensors files");
        }
        Path single = modelDir.resolve("model.safetensors");
        Path index = modelDir.resolve("model.safetensors.index.json");
        if (Files.isRegularFile(single)) {
            return List.of(single);
        }
        if (Files.isRegularFile(index)) {
            try {
                JsonNode map = JSON.readTree(index.toFile()).get("weight_map");
                if (map == null) {
                    throw new ModelLoadException(index + " has no weight_map");
                }
                List<Path> files = new ArrayList<>();
                Path root = modelDir.toAbsolutePath().normalize();
                map.forEach(n -> {
                    Path p = root.resolve(n.asText()).normalize();
                    if (!p.startsWith(root) || p.equals(root)) {
                        throw new ModelLoadException(index + " names the weight file '" + n.asText()
                                + "', which is outside the model folder " + root
                                + ": every file in weight_map must be a file inside the model folder");
                    }
                    p = modelDir.resolve(root.relativize(p));
                    if (!files.contains(p)) {
                        files.add(p);
                    }
                });
                return files;
            } catch (IOException e) {
                throw new ModelLoadException("Cannot read " + index + ": " + e.getMessage(), e);
            }
        }
        throw new ModelLoadException("No model.safetensors or model.safetensors.index.json in " + modelDir
                + ": pass a Hugging Face model directory with safetensors weights");
    }

    static int bytesPerElement(String dtype) {
        return switch (dtype) {
            case "F64", "I64", "U64" -> 8;
            case "F32", "I32", "U32" -> 4;
            case "F16", "BF16", "I16", "U16" -> 2;
            case "I8", "U8", "BOOL", "F8_E4M3", "F8_E5M2" -> 1;
            default -> 0;
        };
    }

    /** IEEE 754 binary16 to float32 (exact; handles subnormals, infinities and NaN). */
    static float halfToFloat(short h) {
        int bits = h & 0xFFFF;
        int sign = (bits & 0x8000) << 16;
        int exp = (bits >>> 10) & 0x1F;
        int mant = bits & 0x3FF;
        if (exp == 0x1F) {
            return Float.intBitsToFloat(sign | 0x7F800000 | (mant << 13));
        }
        if (exp == 0) {
            if (mant == 0) {
                return Float.intBitsToFloat(sign);
            }
            float v = mant * 0x1p-24f; // subnormal: mant * 2^-24
            return sign != 0 ? -v : v;
        }
        return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
    }
}
