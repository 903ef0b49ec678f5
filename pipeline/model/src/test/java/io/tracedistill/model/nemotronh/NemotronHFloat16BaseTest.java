package io.tracedistill.model.nemotronh;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import com.fasterxml.jackson.databind.JsonNode;
import io.tracedistill.model.CausalLmGoldenTestSupport;
import io.tracedistill.model.Fixtures;
import io.tracedistill.model.Float16Base;
import io.tracedistill.model.FullLogitsLoss;
import io.tracedistill.model.LanguageModel;
import io.tracedistill.model.ModelLoadException;
import io.tracedistill.model.SafeTensors;
import io.tracedistill.model.families.ModelFamilies;
import io.tracedistill.peft.LoraModel;
import io.tracedistill.peft.PeftAdapter;
import org.junit.jupiter.api.Test;

/**
 * {@code base_dtype: float16} on Nemotron-H: the large base matrices are stored in FP16 (half their bytes),
 * norms / router / SSM parameters and LoRA stay float32; logits and the LoRA train step stay close to the float64
 * reference; merge keeps the base FP16; values FP16 cannot hold are refused or reported.
 */
class NemotronHFloat16BaseTest {
    static final String DIR = "tiny-nemotron-h";

    @Test
    void storesLargeMatricesInFp16AndStaysCloseToTheReference() {
        try (NDManager m = NDManager.newBaseManager(); NDManager step = m.newSubManager()) {
            LanguageModel lm = ModelFamilies.load(Fixtures.dir(DIR), m, true);
            var p = lm.parameters();
            assertEquals(DataType.FLOAT16, p.get("backbone.layers.0.mixer.in_proj.weight").getDataType());
            assertEquals(DataType.FLOAT16, p.get("backbone.layers.1.mixer.experts.3.up_proj.weight").getDataType());
            assertEquals(DataType.FLOAT16, p.get("backbone.embeddings.weight").getDataType());
            assertEquals(DataType.FLOAT16, p.get("lm_head.weight").getDataType());
            assertEquals(DataType.FLOAT32, p.get("backbone.layers.1.mixer.gate.weight").getDataType(), "router");
            assertEquals(DataType.FLOAT32, p.get("backbone.layers.0.mixer.A_log").getDataType());
            assertEquals(DataType.FLOAT32, p.get("backbone.norm_f.weight").getDataType());
            long bytes = p.values().stream().mapToLong(a -> a.size() * a.getDataType().getNumOfBytes()).sum();
            long fp32 = p.values().stream().mapToLong(a -> a.size() * 4).sum();
            System.out.printf("nemotron-h float16 base: %,d bytes of base weights instead of %,d (%.2f)%n", bytes, fp32,
                    bytes / (double) fp32);
            assertTrue(bytes < 0.55 * fp32, "FP16 storage should about halve the base weights");
            double worst = 0;
            int argmaxMismatches = 0;
            int positions = 0;
            for (JsonNode c : Fixtures.json(DIR + "/expected.json").get("cases")) {
                int[] ids = Fixtures.ints(c.get("input_ids"));
                float[][] got = Fixtures.logitsRow(lm.forward(Fixtures.row(ids, step)), 0);
                worst = Math.max(worst, Fixtures.maxAbsDiff(got, 0, ids.length, Fixtures.matrix(c.get("logits")), 0));
                int[] want = Fixtures.ints(c.get("argmax_per_position"));
                for (int t = 0; t < ids.length; t++) {
                    positions++;
                    if (CausalLmGoldenTestSupport.argmax(got[t]) != want[t]) {
                        argmaxMismatches++;
                    }
                }
            }
            System.out.printf("nemotron-h float16 base: max |logit diff| vs float64 reference %.3e; argmax %d/%d equal%n",
                    worst, positions - argmaxMismatches, positions);
            assertTrue(worst <= 2e-2, "FP16 base logits off by " + worst);
            assertEquals(0, argmaxMismatches, "argmax per position");
        }
    }

    @Test
    void loraTrainStepOnAnFp16BaseKeepsFloat32LoraAndMatchesTheReference() {
        JsonNode s = Fixtures.json(DIR + "/lora/train_step.json");
        try (NDManager m = NDManager.newBaseManager(); NDManager step = m.newSubManager()) {
            LoraModel lora = PeftAdapter.load(ModelFamilies.load(Fixtures.dir(DIR), m, true), Fixtures.dir(DIR + "/lora"), m);
            lora.setTrainable(true);
            double loss;
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray logits = lora.model().forward(Fixtures.ints2d(s.get("input_ids"), step),
                        Fixtures.ints2d(s.get("attention_mask"), step), null, null, true);
                NDArray mean = FullLogitsLoss.mean(logits, Fixtures.ints2d(s.get("labels"), step));
                loss = mean.getFloat();
                gc.backward(mean);
            }
            SafeTensors.Reader want = SafeTensors.open(Fixtures.dir(DIR + "/lora/train_step_grads.safetensors"));
            double diffSq = 0;
            double refSq = 0;
            for (var e : lora.trainableParameters().entrySet()) {
                assertEquals(DataType.FLOAT32, e.getValue().getDataType(), e.getKey());
                assertEquals(DataType.FLOAT32, e.getValue().getGradient().getDataType(), e.getKey());
                float[] g = e.getValue().getGradient().toFloatArray();
                float[] w = want.readFloats(e.getKey());
                for (int i = 0; i < w.length; i++) {
                    diffSq += (g[i] - w[i]) * (double) (g[i] - w[i]);
                    refSq += (double) w[i] * w[i];
                }
            }
            double rel = Math.sqrt(diffSq / refSq);
            System.out.printf("nemotron-h float16 base train step: loss %.6f vs %.6f, all-gradient rel L2 diff %.2e%n", loss,
                    s.get("loss").asDouble(), rel);
            assertEquals(s.get("loss").asDouble(), loss, 1e-2);
            assertTrue(rel <= 1e-2, "gradients on an FP16 base differ by " + rel);
            lora.setTrainable(false);
            lora.merge();
            assertEquals(DataType.FLOAT16, lora.layers().get("backbone.layers.2.mixer.q_proj").baseLayer().weight()
                    .getDataType(), "merging into an FP16 base keeps it FP16");
            lora.unmerge();
        }
    }

    @Test
    void valuesFp16CannotHoldAreRefusedOrReported() {
        try (NDManager m = NDManager.newBaseManager()) {
            Float16Base f16 = Float16Base.largeMatrices();
            NDArray ok = m.create(new float[] {0.5f, 1e-9f, 1e-6f, -3e-6f, 0f, 60000f}, new Shape(2, 3));
            NDArray half = f16.convert("model.layers.0.mlp.up_proj.weight", ok);
            assertEquals(DataType.FLOAT16, half.getDataType());
            assertEquals(1, f16.losses().size());
            assertEquals(1, f16.losses().get(0).flushedToZero(), "1e-9 rounds to 0 in FP16");
            assertEquals(2, f16.losses().get(0).subnormal(), "1e-6 and -3e-6 are FP16 subnormals");
            assertTrue(f16.summary("x").contains("1 flushed to zero"), f16.summary("x"));
            NDArray norm = m.create(new float[] {1e-9f, 2f});
            assertEquals(DataType.FLOAT32, f16.convert("model.norm.weight", norm).getDataType(), "norms stay float32");
            NDArray big = m.create(new float[] {1f, -70000f});
            ModelLoadException e = assertThrows(ModelLoadException.class,
                    () -> f16.convert("backbone.layers.3.mixer.down_proj.weight", big));
            assertTrue(e.getMessage().contains("backbone.layers.3.mixer.down_proj.weight")
                    && e.getMessage().contains("base_dtype: float32"), e.getMessage());
        }
    }
}
