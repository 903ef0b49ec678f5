package io.tracedistill.train;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SubmissionPackagerTest {

    @Test
    void zipHoldsThePatchedConfigAndTheWeightsByteForByte(@TempDir Path tmp) throws Exception {
        Path adapter = tmp.resolve("adapter");
        Files.createDirectories(adapter);
        Files.writeString(adapter.resolve("adapter_config.json"),
                "{\"base_model_name_or_path\": \"/local/model\", \"inference_mode\": false, \"lora_dropout\": 0.05, \"r\": 8}");
        byte[] weights = {1, 2, 3, 4, 5};
        Files.write(adapter.resolve("adapter_model.safetensors"), weights);
        Path zip = SubmissionPackager.pack(adapter, "Qwen/Qwen3-8B", tmp.resolve("submission.zip"));
        List<String> names = new ArrayList<>();
        String config = null;
        byte[] got = null;
        try (ZipInputStream z = new ZipInputStream(Files.newInputStream(zip))) {
            for (ZipEntry e; (e = z.getNextEntry()) != null; ) {
                names.add(e.getName());
                byte[] b = z.readAllBytes();
                if (e.getName().endsWith(".json")) {
                    config = new String(b, java.nio.charset.StandardCharsets.UTF_8);
                } else {
                    got = b;
                }
            }
        }
        assertEquals(List.of("adapter_config.json", "adapter_model.safetensors"), names);
        assertArrayEquals(weights, got);
        assertTrue(config.contains("\"base_model_name_or_path\" : \"Qwen/Qwen3-8B\""), config);
        assertTrue(config.contains("\"inference_mode\" : true"), config);
        assertTrue(config.contains("\"lora_dropout\" : 0.0"), config);
        assertTrue(config.contains("\"r\" : 8"), config);
        assertEquals(List.of("adapter", "submission.zip"), Arrays.stream(tmp.toFile().list()).sorted().toList(),
                "no temporary file may be left behind");
    }

    @Test
    void missingWeightsNameTheFile(@TempDir Path tmp) throws Exception {
        Files.writeString(tmp.resolve("adapter_config.json"), "{}");
        IOException e = assertThrows(IOException.class, () -> SubmissionPackager.pack(tmp, null, tmp.resolve("s.zip")));
        assertEquals("cannot package " + tmp + ": adapter_model.safetensors is missing; train first", e.getMessage());
    }

    /**
     * Issue 17: identical inputs give identical zip bytes. Zip entry times have a 2-second
     * resolution, so the second pack waits past that; before the fix the entries carried the
     * wall-clock time and the bytes differed.
     */
    @Test
    void identicalAdaptersGiveIdenticalZipBytes(@TempDir Path tmp) throws Exception {
        Path adapter = tmp.resolve("adapter");
        Files.createDirectories(adapter);
        Files.writeString(adapter.resolve("adapter_config.json"), "{\"r\": 8}");
        Files.write(adapter.resolve("adapter_model.safetensors"), new byte[] {9, 8, 7});
        byte[] first = Files.readAllBytes(SubmissionPackager.pack(adapter, "m", tmp.resolve("a.zip")));
        Thread.sleep(2_100);
        byte[] second = Files.readAllBytes(SubmissionPackager.pack(adapter, "m", tmp.resolve("b.zip")));
        assertArrayEquals(first, second);
        try (ZipInputStream z = new ZipInputStream(Files.newInputStream(tmp.resolve("a.zip")))) {
            for (ZipEntry e; (e = z.getNextEntry()) != null; ) {
                assertEquals(SubmissionPackager.ENTRY_TIME, e.getTimeLocal(), e.getName());
            }
        }
    }
}
