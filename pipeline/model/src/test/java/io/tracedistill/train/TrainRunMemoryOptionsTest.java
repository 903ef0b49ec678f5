package io.tracedistill.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.tracedistill.config.ConfigLoader;
import io.tracedistill.model.SafeTensors;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code gradient_checkpointing: true} and {@code base_dtype: float16} through the job entry point ({@link TrainRun}):
 * the replica the run builds honours both keys (recomputing layers; FP16 base matrices, float32 LoRA), and two
 * phases of training give, with checkpointing, the same losses, gradient norms and adapter as without it, and,
 * on an FP16 base, a first step close to the float32 run's, a falling loss and a float32 adapter.
 */
class TrainRunMemoryOptionsTest {
    /** Loss, relative gradient norm and adapter weights: checkpointing only reorders float32 work. */
    static final double CHECKPOINTING_TOL = 1e-5;
    /** Step-1 loss and relative gradient norm, FP16 base vs float32 base: FP16 rounds each base weight by up to 2^-11 relative. */
    static final double FLOAT16_LOSS_TOL = 1e-2;

    record Run(List<StepRecord> steps, Map<String, SafeTensors.Entry> adapterEntries, Map<String, float[]> adapter) {
    }

    private static String yaml(String fixture, Path out, String extra) {
        return "base_model: " + fixture + "\ndata_path: data.csv\nhard_types: [cipher]\noutput_dir: " + out + "\n"
                + "lora_rank: 4\nlora_alpha: 8\nmax_length: 256\nbf16: false\nthreads: 1\npackage_zip: false\n" + extra
                + "phase1: {per_device_train_batch_size: 2, gradient_accumulation_steps: 1, learning_rate: 0.01, logging_steps: 1,"
                + " neftune_noise_alpha: 0}\n"
                + "phase2: {per_device_train_batch_size: 1, gradient_accumulation_steps: 1, learning_rate: 0.001, warmup_steps: 0,"
                + " logging_steps: 1, neftune_noise_alpha: 0}\n";
    }

    /** Phase 1 (4 examples, 2 steps) and phase 2 (2 examples, 2 steps) on {@code fixture}, fresh LoRA on the autodetected targets. */
    static Run train(Path out, String fixture, String extra) throws Exception {
        TrainRun.Settings cfg = TrainRun.Settings.of(ConfigLoader.parse(yaml(fixture, out, extra), "config.yaml"));
        List<StepRecord> steps = new ArrayList<>();
        TrainRun.run(cfg, new InMemoryTokenShardReader(NemotronHTrainRunTest.examples(1, 4)),
                new InMemoryTokenShardReader(NemotronHTrainRunTest.examples(2, 2)), out,
                TrajectoryParityGoldenTest.resource(fixture), 256, false, Map.of(), Map.of(), steps::add);
        Path file = out.resolve("adapter/adapter_model.safetensors");
        SafeTensors.Reader r = SafeTensors.open(file);
        Map<String, float[]> w = new java.util.LinkedHashMap<>();
        for (String name : r.entries().keySet()) {
            w.put(name, r.readFloats(name));
        }
        return new Run(steps, r.entries(), w);
    }

    private static double maxAdapterDiff(Run a, Run b) {
        assertEquals(a.adapter().keySet(), b.adapter().keySet());
        double worst = 0;
        for (var e : a.adapter().entrySet()) {
            float[] x = e.getValue();
            float[] y = b.adapter().get(e.getKey());
            for (int i = 0; i < x.length; i++) {
                worst = Math.max(worst, Math.abs(x[i] - y[i]));
            }
        }
        return worst;
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"tiny-llama", "tiny-nemotron-h"})
    void replicaHonoursBaseDtypeAndGradientCheckpointing(String fixture, @TempDir Path tmp) throws Exception {
        TrainRun.Settings cfg = TrainRun.Settings.of(ConfigLoader.parse(yaml(fixture, tmp,
                "base_dtype: float16\ngradient_checkpointing: true\n"), "config.yaml"));
        try (NDManager m = NDManager.newBaseManager()) {
            LoraTrainableModel replica = TrainRun.replica(cfg, TrajectoryParityGoldenTest.resource(fixture), m, false);
            assertTrue(replica.gradientCheckpointing(), "gradient_checkpointing: true reaches the replica");
            Map<String, NDArray> base = replica.loraModel().model().parameters();
            long fp16 = base.entrySet().stream().filter(e -> e.getKey().endsWith("_proj.weight"))
                    .filter(e -> e.getValue().getDataType() == DataType.FLOAT16).count();
            long proj = base.keySet().stream().filter(k -> k.endsWith("_proj.weight")).count();
            assertTrue(proj > 0 && fp16 == proj, "every projection stored in FP16: " + fp16 + " of " + proj);
            assertEquals(DataType.FLOAT16, base.get("lm_head.weight").getDataType());
            assertTrue(replica.trainableParameters().size() > 0);
            replica.trainableParameters().forEach((k, v) -> assertEquals(DataType.FLOAT32, v.getDataType(), k));
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"tiny-llama", "tiny-nemotron-h"})
    void gradientCheckpointingTrainsTheSame(String fixture, @TempDir Path tmp) throws Exception {
        Run plain = train(tmp.resolve("plain"), fixture, "");
        Run ckpt = train(tmp.resolve("ckpt"), fixture, "gradient_checkpointing: true\n");
        assertEquals(4, plain.steps().size());
        assertEquals(plain.steps().size(), ckpt.steps().size());
        double lossDiff = 0;
        double normDiff = 0;
        for (int i = 0; i < plain.steps().size(); i++) {
            StepRecord a = plain.steps().get(i);
            StepRecord b = ckpt.steps().get(i);
            lossDiff = Math.max(lossDiff, Math.abs(a.loss() - b.loss()));
            normDiff = Math.max(normDiff, Math.abs(a.gradNorm() - b.gradNorm()) / a.gradNorm());
        }
        double adapterDiff = maxAdapterDiff(plain, ckpt);
        System.out.printf("%s gradient_checkpointing vs not, 4 steps: max |loss diff| %.2e, max rel grad-norm diff %.2e, "
                + "max |adapter diff| %.2e (tol %.0e each)%n", fixture, lossDiff, normDiff, adapterDiff, CHECKPOINTING_TOL);
        assertTrue(lossDiff <= CHECKPOINTING_TOL, "losses differ by " + lossDiff);
        assertTrue(normDiff <= CHECKPOINTING_TOL, "gradient norms differ by " + normDiff);
        assertTrue(adapterDiff <= CHECKPOINTING_TOL, "adapters differ by " + adapterDiff);
        assertTrue(plain.steps().get(3).loss() != plain.steps().get(0).loss(), "premise: training moved the weights");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"tiny-llama", "tiny-nemotron-h"})
    void float16BaseTrainsCloseToFloat32AndKeepsAFloat32Adapter(String fixture, @TempDir Path tmp) throws Exception {
        Run fp32 = train(tmp.resolve("fp32"), fixture, "");
        Run fp16 = train(tmp.resolve("fp16"), fixture, "base_dtype: float16\n");
        // Step 1 runs on the same (fresh) LoRA weights in both runs: its difference is the FP16 base's alone. Later
        // steps follow diverging AdamW trajectories (and MoE routing may flip), so they are printed, not compared.
        StepRecord a = fp32.steps().get(0);
        StepRecord b = fp16.steps().get(0);
        double lossDiff = Math.abs(a.loss() - b.loss());
        double normDiff = Math.abs(a.gradNorm() - b.gradNorm()) / a.gradNorm();
        System.out.printf("%s base_dtype float16 vs float32: step-1 |loss diff| %.2e, rel grad-norm diff %.2e (tol %.0e);"
                        + " losses over 4 steps %s vs %s, max |adapter diff| %.2e%n", fixture, lossDiff, normDiff, FLOAT16_LOSS_TOL,
                fp16.steps().stream().map(StepRecord::loss).toList(), fp32.steps().stream().map(StepRecord::loss).toList(),
                maxAdapterDiff(fp32, fp16));
        assertTrue(lossDiff <= FLOAT16_LOSS_TOL, "FP16-base step-1 loss differs by " + lossDiff);
        assertTrue(normDiff <= FLOAT16_LOSS_TOL, "FP16-base step-1 gradient norm differs by " + normDiff);
        assertTrue(lossDiff > 0, "premise: the FP16 base was used (its loss cannot equal float32's exactly)");
        assertTrue(fp16.steps().get(3).loss() < b.loss(), "the FP16-base run trains: " + fp16.steps());
        fp16.adapterEntries().forEach((k, e) -> assertEquals("F32", e.dtype(), k + " is saved in float32"));
    }
}
