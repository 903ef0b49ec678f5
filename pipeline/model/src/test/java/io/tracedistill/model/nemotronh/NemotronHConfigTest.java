package io.tracedistill.model.nemotronh;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tracedistill.model.Fixtures;
import io.tracedistill.model.ModelLoadException;
import io.tracedistill.model.families.ModelFamilies;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Both config.json spellings of the layer list, the real 30B config, and the refusals naming their key. */
class NemotronHConfigTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    static ObjectNode fixtureConfig() throws IOException {
        return (ObjectNode) JSON.readTree(Fixtures.dir("tiny-nemotron-h/config.json").toFile());
    }

    @Test
    void transformers5SpellingOfTheTinyModel() throws IOException {
        NemotronHConfig c = NemotronHConfig.parse(fixtureConfig(), "tiny");
        assertEquals("ME*-ME", NemotronHConfig.symbols(c.layers()));
        assertEquals(64, c.mambaInner());      // nh·P, not expand·H = 128
        assertEquals(128, c.convDim());
        assertEquals(200, c.inProjOut());
        assertEquals(0.001, c.dtClampMin(), 0);
        assertTrue(Double.isInfinite(c.dtClampMax()), "time_step_limit [0, {__float__: Infinity}]");
    }

    @Test
    void realCheckpointSpellingOfThe30bModel() throws IOException {
        NemotronHConfig c = NemotronHConfig.parse(
                JSON.readTree(Fixtures.dir("configs/nemotron-3-nano-30b-a3b/config.json").toFile()), "30b");
        String pattern = NemotronHConfig.symbols(c.layers());
        assertEquals("MEMEM*EMEMEM*EMEMEM*EMEMEM*EMEMEM*EMEMEMEM*EMEMEMEME", pattern);
        assertEquals(23, pattern.chars().filter(ch -> ch == 'M').count());
        assertEquals(23, pattern.chars().filter(ch -> ch == 'E').count());
        assertEquals(6, pattern.chars().filter(ch -> ch == '*').count());
        assertEquals(4096, c.mambaInner()); // 64 heads × 64, while expand·H = 5376
        assertEquals(128, c.nRoutedExperts());
        assertEquals(6, c.numExpertsPerTok());
    }

    /** The tiny checkpoint with its config rewritten in the real checkpoints' spelling gives the same logits. */
    @Test
    void hybridOverridePatternLoadsTheSameModel(@TempDir Path dir) throws IOException {
        ObjectNode cfg = fixtureConfig();
        cfg.remove("layers_block_type");
        cfg.put("hybrid_override_pattern", "ME*-ME");
        cfg.put("num_hidden_layers", 6);
        Path src = Fixtures.dir("tiny-nemotron-h");
        Files.copy(src.resolve("model.safetensors"), dir.resolve("model.safetensors"));
        JSON.writeValue(dir.resolve("config.json").toFile(), cfg);
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray ids = m.create(new long[] {1, 17, 42, 99, 200}, new ai.djl.ndarray.types.Shape(1, 5));
            float[] a = ModelFamilies.load(src, m).forward(ids).toFloatArray();
            float[] b = ModelFamilies.load(dir, m).forward(ids).toFloatArray();
            for (int i = 0; i < a.length; i++) {
                assertEquals(a[i], b[i], 0f);
            }
        }
    }

    @Test
    void refusalsNameTheKey() throws IOException {
        assertRefused(c -> c.put("moe_latent_size", 1024), "moe_latent_size");
        assertRefused(c -> c.put("num_nextn_predict_layers", 1), "num_nextn_predict_layers");
        assertRefused(c -> c.put("mlp_hidden_act", "silu"), "mlp_hidden_act");
        assertRefused(c -> c.put("mamba_proj_bias", true), "mamba_proj_bias");
        assertRefused(c -> c.put("num_hidden_layers", 5), "num_hidden_layers");
        assertRefused(c -> {
            c.remove("layers_block_type");
            c.put("hybrid_override_pattern", "ME*-MX");
        }, "hybrid_override_pattern character 'X'");
        assertRefused(c -> c.remove("layers_block_type"), "hybrid_override_pattern");
        assertRefused(c -> ((com.fasterxml.jackson.databind.node.ArrayNode) c.get("layers_block_type")).set(0,
                "mamba"), "layers_block_type entry 'mamba'");
    }

    private static void assertRefused(java.util.function.Consumer<ObjectNode> edit, String key) throws IOException {
        ObjectNode cfg = fixtureConfig();
        edit.accept(cfg);
        ModelLoadException e = assertThrows(ModelLoadException.class, () -> NemotronHConfig.parse(cfg, "cfg.json"));
        assertTrue(e.getMessage().contains(key), e.getMessage());
    }
}
