package io.tracedistill.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Hand-made safetensors files: BF16/F16 widening, writer layout, and the errors for bad files. */
class SafeTensorsTest {

    /** Writes a safetensors file with one tensor of raw little-endian bytes. */
    static Path handMade(Path dir, String dtype, String shape, byte[] data) throws IOException {
        String header = "{\"w\":{\"dtype\":\"" + dtype + "\",\"shape\":" + shape + ",\"data_offsets\":[0," + data.length + "]}}";
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer buf = ByteBuffer.allocate(8 + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        buf.putLong(h.length).put(h).put(data);
        Path file = dir.resolve(dtype + ".safetensors");
        Files.write(file, buf.array());
        return file;
    }

    static byte[] shorts(int... values) {
        ByteBuffer b = ByteBuffer.allocate(2 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        for (int v : values) {
            b.putShort((short) v);
        }
        return b.array();
    }

    @Test
    void bf16IsWidenedByShiftingBits(@TempDir Path dir) throws IOException {
        // bf16 bits: 0x3F80 = 1.0, 0xC000 = -2.0, 0x3EAB = 0.333984375, 0x7F80 = +inf, 0x0001 = smallest subnormal
        Path f = handMade(dir, "BF16", "[5]", shorts(0x3F80, 0xC000, 0x3EAB, 0x7F80, 0x0001));
        float[] v = SafeTensors.open(f).readFloats("w");
        assertArrayEquals(new float[] {1.0f, -2.0f, 0.333984375f, Float.POSITIVE_INFINITY, Float.intBitsToFloat(0x00010000)}, v);
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray a = SafeTensors.open(f).load("w", m);
            assertEquals(DataType.FLOAT32, a.getDataType());
            assertArrayEquals(v, a.toFloatArray());
        }
    }

    @Test
    void f16IsWidenedExactly(@TempDir Path dir) throws IOException {
        // f16 bits: 0x3C00 = 1.0, 0xC000 = -2.0, 0x3555 = 0.333251953125, 0x0001 = 2^-24, 0x7BFF = 65504, 0xFC00 = -inf
        Path f = handMade(dir, "F16", "[2,3]", shorts(0x3C00, 0xC000, 0x3555, 0x0001, 0x7BFF, 0xFC00));
        float[] v = SafeTensors.open(f).readFloats("w");
        assertArrayEquals(new float[] {1.0f, -2.0f, 0.333251953125f, 0x1p-24f, 65504f, Float.NEGATIVE_INFINITY}, v);
        assertArrayEquals(new long[] {2, 3}, SafeTensors.open(f).entry("w").shape());
    }

    @Test
    void writerPadsHeaderSortsNamesAndRoundTrips(@TempDir Path dir) throws IOException {
        Map<String, SafeTensors.HostTensor> t = new LinkedHashMap<>();
        t.put("b", new SafeTensors.HostTensor(new long[] {2}, new float[] {3f, 4f}));
        t.put("a", new SafeTensors.HostTensor(new long[] {1, 1}, new float[] {-1.5f}));
        Path f = dir.resolve("x.safetensors");
        SafeTensors.write(f, t, Map.of("format", "pt"));
        byte[] bytes = Files.readAllBytes(f);
        long n = ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(0, n % 8, "header length is a multiple of 8");
        String header = new String(bytes, 8, (int) n, StandardCharsets.UTF_8);
        assertEquals("{\"__metadata__\":{\"format\":\"pt\"},\"a\":{\"dtype\":\"F32\",\"shape\":[1,1],\"data_offsets\":[0,4]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", header.stripTrailing());
        assertEquals(8 + n + 12, bytes.length);
        SafeTensors.Reader r = SafeTensors.open(f);
        assertEquals(Map.of("format", "pt"), r.metadata());
        assertArrayEquals(new float[] {-1.5f}, r.readFloats("a"));
        assertArrayEquals(new float[] {3f, 4f}, r.readFloats("b"));
    }

    @Test
    void truncatedFileNamesTheTensor(@TempDir Path dir) throws IOException {
        Path f = handMade(dir, "F32", "[4]", new byte[8]); // needs 16 bytes
        ModelLoadException e = assertThrows(ModelLoadException.class, () -> SafeTensors.open(f));
        assertTrue(e.getMessage().contains("Tensor 'w'") && e.getMessage().contains("needs 16 bytes"), e.getMessage());
    }

    @Test
    void integerTensorIsRejectedWithItsDtype(@TempDir Path dir) throws IOException {
        Path f = handMade(dir, "I64", "[1]", new byte[8]);
        ModelLoadException e = assertThrows(ModelLoadException.class, () -> SafeTensors.open(f).readFloats("w"));
        assertTrue(e.getMessage().contains("has dtype I64"), e.getMessage());
    }

    @Test
    void missingTensorAndNonSafetensorsFile(@TempDir Path dir) throws IOException {
        Path f = handMade(dir, "F32", "[1]", new byte[4]);
        ModelLoadException e = assertThrows(ModelLoadException.class, () -> SafeTensors.open(f).entry("nope"));
        assertTrue(e.getMessage().contains("Tensor 'nope' not found"), e.getMessage());
        Path junk = dir.resolve("junk.safetensors");
        Files.write(junk, new byte[] {1, 2, 3});
        ModelLoadException e2 = assertThrows(ModelLoadException.class, () -> SafeTensors.open(junk));
        assertTrue(e2.getMessage().contains("is not a safetensors file"), e2.getMessage());
    }
}
