package io.tracedistill.peft;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.tracedistill.model.CausalLm;
import io.tracedistill.model.Fixtures;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** LoRA injection: PEFT init, target matching, scaling, dropout, save guards. */
class LoraModelTest {
    static final int[] IDS = {1, 17, 42, 99, 200, 7, 255, 3};

    static float[] logits(CausalLm lm, NDManager m, boolean training) {
        try (NDManager step = m.newSubManager()) {
            return lm.forward(Fixtures.row(IDS, step), null, null, null, training).toFloatArray();
        }
    }

    @Test
    void freshAdapterStartsEqualToBase() {
        try (NDManager m = NDManager.newBaseManager()) {
            CausalLm lm = CausalLm.load(Fixtures.dir("tiny-qwen3"), m);
            float[] base = logits(lm, m, false);
            LoraModel lora = LoraModel.inject(lm, new LoraConfig(8, 16, 0.0, null, false), 42L, m);
            assertArrayEquals(base, logits(lm, m, false), 0f, "B = 0 so the adapted model equals the base");
            // Null targets -> architecture-aware defaults: all 7 projections present in a Qwen3 decoder.
            assertEquals(List.of("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"),
                    lora.config().targetModules());
            assertEquals(2 * 7 * 2, lora.trainableParameters().size());
            // A ~ U(±1/sqrt(in)), seeded: same seed -> same A.
            float bound = (float) (1 / Math.sqrt(64));
            float[] a = lora.trainableParameters().get("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight").toFloatArray();
            float maxAbs = 0;
            for (float x : a) {
                maxAbs = Math.max(maxAbs, Math.abs(x));
            }
            assertTrue(maxAbs <= bound && maxAbs > 0.9f * bound, "A within kaiming bound: " + maxAbs);
            try (NDManager m2 = NDManager.newBaseManager()) {
                LoraModel again = LoraModel.inject(CausalLm.load(Fixtures.dir("tiny-qwen3"), m2),
                        new LoraConfig(8, 16, 0.0, null, false), 42L, m2);
                assertArrayEquals(a, again.trainableParameters()
                        .get("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight").toFloatArray());
            }
        }
    }

    @Test
    void scalingIsAlphaOverROrOverSqrtR() {
        assertEquals(2.0, new LoraConfig(8, 16, 0, null, false).scaling());
        assertEquals(16 / Math.sqrt(8), new LoraConfig(8, 16, 0, null, true).scaling(), 1e-12);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new LoraConfig(0, 16, 0, null, false));
        assertEquals("Invalid value 0 for lora r: must be at least 1", e.getMessage());
    }

    @Test
    void targetsMatchLikePeft() {
        try (NDManager m = NDManager.newBaseManager()) {
            CausalLm lm = CausalLm.load(Fixtures.dir("tiny-llama"), m);
            // Full names and unmatched names (warned, ignored).
            List<String> matched = LoraModel.matchTargets(lm, List.of("model.layers.1.self_attn.q_proj", "up_proj", "in_proj"));
            assertEquals(List.of("model.layers.0.mlp.up_proj", "model.layers.1.self_attn.q_proj", "model.layers.1.mlp.up_proj"),
                    matched);
            IllegalArgumentException none = assertThrows(IllegalArgumentException.class,
                    () -> LoraModel.matchTargets(lm, List.of("in_proj", "out_proj")));
            assertTrue(none.getMessage().contains("match no module"), none.getMessage());
            IllegalArgumentException notLinear = assertThrows(IllegalArgumentException.class,
                    () -> LoraModel.matchTargets(lm, List.of("mlp")));
            assertTrue(notLinear.getMessage().contains("is not a linear projection"), notLinear.getMessage());
            // "proj" is not a suffix after a dot, so it matches nothing (PEFT's list rule, not substring).
            assertThrows(IllegalArgumentException.class, () -> LoraModel.matchTargets(lm, List.of("proj")));
        }
    }

    @Test
    void dropoutActsOnlyInTraining() {
        try (NDManager m = NDManager.newBaseManager()) {
            CausalLm lm = CausalLm.load(Fixtures.dir("tiny-qwen2"), m);
            LoraModel lora = LoraModel.inject(lm, new LoraConfig(4, 8, 0.5, List.of("q_proj", "o_proj"), false), 1L, m);
            for (NDArray p : lora.trainableParameters().values()) {
                p.set(p.toFloatArray().length == 0 ? new float[0] : filled(p.toFloatArray().length, 0.1f));
            }
            float[] eval1 = logits(lm, m, false);
            float[] eval2 = logits(lm, m, false);
            assertArrayEquals(eval1, eval2, 0f, "no dropout at inference");
            assertFalse(java.util.Arrays.equals(eval1, logits(lm, m, true)), "dropout changes training forwards");
        }
    }

    @Test
    void saveRefusesNonFiniteWeightsAndNamesTheTensor(@TempDir Path dir) {
        try (NDManager m = NDManager.newBaseManager()) {
            LoraModel lora = LoraModel.inject(CausalLm.load(Fixtures.dir("tiny-qwen2"), m),
                    new LoraConfig(2, 4, 0, List.of("v_proj"), false), 3L, m);
            NDArray b = lora.trainableParameters().get("base_model.model.model.layers.1.self_attn.v_proj.lora_B.weight");
            float[] v = b.toFloatArray();
            v[3] = Float.NaN;
            b.set(v);
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> PeftAdapter.save(lora, dir.resolve("a"), "x"));
            assertTrue(e.getMessage().contains("'base_model.model.model.layers.1.self_attn.v_proj.lora_B.weight'")
                    && e.getMessage().contains("NaN") && e.getMessage().contains("flat index 3"), e.getMessage());
            assertFalse(Files.exists(dir.resolve("a")), "nothing written");
        }
    }

    @Test
    void saveThenLoadGivesTheSameModel(@TempDir Path dir) {
        try (NDManager m = NDManager.newBaseManager()) {
            CausalLm lm = CausalLm.load(Fixtures.dir("tiny-llama"), m);
            LoraModel lora = LoraModel.inject(lm, new LoraConfig(3, 5, 0, List.of("k_proj", "down_proj"), true), 9L, m);
            for (Map.Entry<String, NDArray> e : lora.trainableParameters().entrySet()) {
                e.getValue().set(filled((int) e.getValue().size(), e.getKey().contains("lora_B") ? 0.02f : 0.05f));
            }
            float[] want = logits(lm, m, false);
            PeftAdapter.save(lora, dir, "tiny-llama");
            try (NDManager m2 = NDManager.newBaseManager()) {
                CausalLm fresh = CausalLm.load(Fixtures.dir("tiny-llama"), m2);
                float[] base = logits(fresh, m2, false);
                LoraModel loaded = PeftAdapter.load(fresh, dir, m2);
                assertEquals(lora.config(), loaded.config());
                assertArrayEquals(want, logits(fresh, m2, false), 0f);
                assertNotEquals(base[0], want[0]);
            }
        }
    }

    @Test
    void adapterConfigErrorsNameTheKey(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve(PeftAdapter.CONFIG_FILE),
                "{\"peft_type\":\"LORA\",\"r\":4,\"lora_alpha\":8,\"use_dora\":true,\"target_modules\":[\"q_proj\"]}");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PeftAdapter.readConfig(dir));
        assertTrue(e.getMessage().contains("Unsupported use_dora true"), e.getMessage());
        Files.writeString(dir.resolve(PeftAdapter.CONFIG_FILE), "{\"peft_type\":\"PREFIX_TUNING\"}");
        e = assertThrows(IllegalArgumentException.class, () -> PeftAdapter.readConfig(dir));
        assertTrue(e.getMessage().contains("Unsupported peft_type \"PREFIX_TUNING\""), e.getMessage());
    }

    static float[] filled(int n, float v) {
        float[] out = new float[n];
        java.util.Arrays.fill(out, v);
        return out;
    }
}
