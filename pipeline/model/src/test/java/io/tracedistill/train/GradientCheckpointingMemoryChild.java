package io.tracedistill.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import io.tracedistill.model.FullLogitsLoss;
import io.tracedistill.model.families.ModelFamilies;
import io.tracedistill.peft.LoraConfig;
import io.tracedistill.peft.LoraModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;

/**
 * Child JVM of {@link GradientCheckpointingTest}: one LoRA forward/backward on a long batch, with or without
 * gradient checkpointing, then prints the process's resident-set growth during the step (VmHWM after the step
 * minus VmRSS before it, from /proc/self/status), in bytes: {@code step_peak_bytes=N}.
 *
 * <p>Args: model directory, {@code plain|checkpointed}, batch rows, sequence length.
 */
public final class GradientCheckpointingMemoryChild {
    private GradientCheckpointingMemoryChild() {
    }

    public static void main(String[] args) throws Exception {
        Path model = Path.of(args[0]);
        boolean checkpointed = "checkpointed".equals(args[1]);
        int rows = Integer.parseInt(args[2]);
        int len = Integer.parseInt(args[3]);
        try (NDManager m = NDManager.newBaseManager()) {
            LoraModel lora = LoraModel.inject(ModelFamilies.load(model, m), new LoraConfig(8, 16, 0, null, false), 1, m);
            LoraTrainableModel replica = new LoraTrainableModel(lora, checkpointed);
            SplittableRandom rng = new SplittableRandom(5);
            long[] ids = new long[rows * len];
            for (int i = 0; i < ids.length; i++) {
                ids[i] = rng.nextInt(3, 250);
            }
            // Warm-up step on a short batch: allocator and JIT start-up are not part of the measured step.
            step(replica, m, ids, rows, 16);
            long before = status("VmRSS");
            step(replica, m, ids, rows, len);
            long peak = status("VmHWM");
            System.out.println("step_peak_bytes=" + (peak - before));
        }
    }

    private static void step(LoraTrainableModel replica, NDManager m, long[] all, int rows, int len) {
        long[] ids = new long[rows * len];
        for (int r = 0; r < rows; r++) {
            System.arraycopy(all, r * (all.length / rows), ids, r * len, len);
        }
        try (NDManager step = m.newSubManager(); GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            NDArray x = step.create(ids, new Shape(rows, len));
            NDArray hidden = replica.hiddenStates(x, null, null);
            NDArray loss = FullLogitsLoss.mean(replica.lmHead(hidden), x);
            replica.backward(gc, loss);
            loss.getFloat();
        }
    }

    /** A {@code kB} field of /proc/self/status, in bytes. */
    private static long status(String field) throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith(field + ":")) {
                return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        }
        throw new IllegalStateException("no " + field + " in /proc/self/status");
    }
}
