package io.tracedistill.peft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tracedistill.model.SafeTensors;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 17: NaN weights in {@code init_adapter} stopped training with "lower learning_rate". An adapter is
 * checked for non-finite values on load, naming the file and the tensor.
 */
class NonFiniteAdapterTest {

    private static Path adapter(Path dir, float poison) throws Exception {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve(PeftAdapter.CONFIG_FILE), "{\"peft_type\": \"LORA\", \"r\": 1, \"lora_alpha\": 2,"
                + " \"target_modules\": [\"q_proj\"]}");
        Map<String, SafeTensors.HostTensor> t = new TreeMap<>();
        t.put("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight",
                new SafeTensors.HostTensor(new long[] {1, 2}, new float[] {0.5f, -0.25f}));
        t.put("base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight",
                new SafeTensors.HostTensor(new long[] {2, 1}, new float[] {poison, 1f}));
        SafeTensors.write(dir.resolve(PeftAdapter.WEIGHTS_FILE), t, Map.of("format", "pt"));
        return dir;
    }

    @Test
    void nonFiniteTensorsAreNamedWithTheirCounts(@TempDir Path tmp) throws Exception {
        assertEquals(List.of(), PeftAdapter.nonFiniteTensors(adapter(tmp.resolve("ok"), 0.1f)));
        assertEquals(List.of("base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight (1 of 2 values)"),
                PeftAdapter.nonFiniteTensors(adapter(tmp.resolve("nan"), Float.NaN)));
        assertEquals(1, PeftAdapter.nonFiniteTensors(adapter(tmp.resolve("inf"), Float.NEGATIVE_INFINITY)).size());
    }

    @Test
    void initAdapterWithNaNIsRefusedNamingKeyFileAndTensor(@TempDir Path tmp) throws Exception {
        Path dir = adapter(tmp.resolve("nan"), Float.NaN);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> PeftAdapter.requireFinite(dir, "init_adapter"));
        String m = e.getMessage();
        assertTrue(m.startsWith("init_adapter " + dir.resolve(PeftAdapter.WEIGHTS_FILE)) && m.contains("q_proj.lora_B.weight")
                && m.contains("NaN or infinite"), m);
        PeftAdapter.requireFinite(adapter(tmp.resolve("ok"), 0.1f), "init_adapter");
    }
}
