package io.tracedistill.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import io.tracedistill.model.families.ModelFamilies;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hostile model folders (issue 17, item 12 and the model-folder messages): an index naming files
 * outside the folder, a "folder" that is a file, a crafted shape whose element count overflows,
 * negative offsets and dimensions. Each must fail before any weight is read, naming the file and
 * the tensor.
 */
class HostileModelFolderTest {

    /** A safetensors file whose header is {@code headerJson} followed by {@code dataBytes} zero bytes. */
    static Path craft(Path file, String headerJson, int dataBytes) throws IOException {
        byte[] json = headerJson.getBytes(StandardCharsets.UTF_8);
        ByteBuffer buf = ByteBuffer.allocate(8 + json.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        buf.putLong(json.length).put(json);
        Files.write(file, buf.array());
        return file;
    }

    @Test
    void indexNamingAFileOutsideTheModelFolderIsRefused(@TempDir Path tmp) throws IOException {
        Path model = Files.createDirectories(tmp.resolve("a/b/model"));
        Path outside = craft(tmp.resolve("secret.safetensors"),
                "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4);
        Files.writeString(model.resolve("model.safetensors.index.json"),
                "{\"weight_map\":{\"w\":\"../../../secret.safetensors\"}}");
        assertTrue(Files.exists(model.resolve("../../../secret.safetensors").normalize()));
        ModelLoadException e = assertThrows(ModelLoadException.class, () -> SafeTensors.modelFiles(model));
        assertTrue(e.getMessage().contains("model.safetensors.index.json"), e.getMessage());
        assertTrue(e.getMessage().contains("../../../secret.safetensors"), e.getMessage());
        assertTrue(e.getMessage().contains("outside"), e.getMessage());
        assertTrue(Files.exists(outside));
    }

    @Test
    void indexNamingAnAbsolutePathIsRefused(@TempDir Path tmp) throws IOException {
        Path model = Files.createDirectories(tmp.resolve("model"));
        Files.writeString(model.resolve("model.safetensors.index.json"),
                "{\"weight_map\":{\"w\":\"/etc/passwd\"}}");
        ModelLoadException e = assertThrows(ModelLoadException.class, () -> SafeTensors.modelFiles(model));
        assertTrue(e.getMessage().contains("/etc/passwd") && e.getMessage().contains("outside"), e.getMessage());
    }

    @Test
    void indexNamingFilesInsideTheFolderStillWorks(@TempDir Path tmp) throws IOException {
        Path model = Files.createDirectories(tmp.resolve("model"));
        Files.writeString(model.resolve("model.safetensors.index.json"),
                "{\"weight_map\":{\"a\":\"model-1.safetensors\",\"b\":\"sub/../model-2.safetensors\","
                        + "\"c\":\"model-1.safetensors\"}}");
        assertEquals(List.of(model.resolve("model-1.safetensors"), model.resolve("model-2.safetensors")),
                SafeTensors.modelFiles(model));
    }

    @Test
    void aModelFolderThatIsAFileSaysSo(@TempDir Path tmp) throws IOException {
        Path file = Files.writeString(tmp.resolve("model"), "not a folder");
        ModelLoadException e = assertThrows(ModelLoadException.class, () -> {
            try (NDManager m = NDManager.newBaseManager()) {
                ModelFamilies.load(file, m);
            }
        });
        assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains("is a file"), e.getMessage());
        ModelLoadException files = assertThrows(ModelLoadException.class, () -> SafeTensors.modelFiles(file));
        assertTrue(files.getMessage().contains("is a file"), files.getMessage());
    }

    @Test
    void aShapeWhoseElementCountOverflowsNamesFileAndTensor(@TempDir Path tmp) throws IOException {
        Path f = craft(tmp.resolve("model.safetensors"),
                "{\"huge\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296,4],\"data_offsets\":[0,0]}}", 0);
        ModelLoadException e = assertThrows(ModelLoadException.class, () -> SafeTensors.open(f));
        assertTrue(e.getMessage().contains("'huge'") && e.getMessage().contains(f.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("shape"), e.getMessage());
    }

    @Test
    void negativeOffsetsNameFileAndTensor(@TempDir Path tmp) throws IOException {
        Path f = craft(tmp.resolve("model.safetensors"),
                "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[-4,0]}}", 4);
        ModelLoadException e = assertThrows(ModelLoadException.class, () -> SafeTensors.open(f));
        assertTrue(e.getMessage().contains("'w'") && e.getMessage().contains(f.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("-4"), e.getMessage());
    }

    @Test
    void negativeDimensionsNameFileAndTensor(@TempDir Path tmp) throws IOException {
        // -1 x -1 = 1 element = 4 bytes: passes the size check unless dimensions are checked on their own.
        Path f = craft(tmp.resolve("model.safetensors"),
                "{\"w\":{\"dtype\":\"F32\",\"shape\":[-1,-1],\"data_offsets\":[0,4]}}", 4);
        ModelLoadException e = assertThrows(ModelLoadException.class, () -> SafeTensors.open(f));
        assertTrue(e.getMessage().contains("'w'") && e.getMessage().contains("shape"), e.getMessage());
    }

    @Test
    void wellFormedCraftedFileStillOpens(@TempDir Path tmp) throws IOException {
        Path f = craft(tmp.resolve("model.safetensors"),
                "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8);
        assertEquals(Map.of("w", 2L), Map.of("w", SafeTensors.open(f).entry("w").numel()));
    }
}
