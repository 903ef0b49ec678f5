package io.tracedistill.model;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import io.tracedistill.model.families.ModelFamilies;
import io.tracedistill.peft.LoraConfig;
import io.tracedistill.peft.LoraModel;
import io.tracedistill.train.CausalLmLoss;
import io.tracedistill.train.LoraTrainableModel;
import java.nio.file.Path;
import java.util.SplittableRandom;

/**
 * Child JVM of {@link NativeExitGuardTest}: LoRA training steps on a model folder, one after the other, until it is
 * killed (at most {@link #MAX_STEPS}, then exit status 3). Prints {@code backward N} just before step N's backward
 * pass, so the parent can signal while the main thread is inside {@code torchBackward}.
 *
 * <p>Args: model directory, rows, sequence length, {@code guarded} (each step in a {@link NativeExitGuard} section,
 * as the trainer runs it) or {@code unguarded} (as before the guard: a SIGTERM then crashes the JVM in libtorch).
 */
public final class NativeExitGuardChild {
    static final int MAX_STEPS = 500;

    private NativeExitGuardChild() {
    }

    public static void main(String[] args) {
        Path model = Path.of(args[0]);
        int rows = Integer.parseInt(args[1]);
        int len = Integer.parseInt(args[2]);
        boolean guarded = switch (args[3]) {
            case "guarded" -> true;
            case "unguarded" -> false;
            default -> throw new IllegalArgumentException("mode must be guarded or unguarded, got " + args[3]);
        };
        try (NDManager m = NDManager.newBaseManager()) {
            LoraTrainableModel replica = new LoraTrainableModel(
                    LoraModel.inject(ModelFamilies.load(model, m), new LoraConfig(8, 16, 0, null, false), 1, m));
            SplittableRandom rng = new SplittableRandom(3);
            long[] ids = new long[rows * len];
            int[] labels = new int[rows * len];
            for (int i = 0; i < ids.length; i++) {
                ids[i] = rng.nextInt(3, 250);
                labels[i] = (int) ids[i];
            }
            CausalLmLoss.Targets targets = CausalLmLoss.targets(labels, rows, len);
            for (int s = 1; s <= MAX_STEPS; s++) {
                if (guarded) {
                    try (NativeExitGuard.Section guard = NativeExitGuard.enter()) {
                        step(replica, m, ids, rows, len, targets, s);
                    }
                } else {
                    step(replica, m, ids, rows, len, targets, s);
                }
            }
        }
        System.exit(3);
    }

    private static void step(LoraTrainableModel replica, NDManager m, long[] ids, int rows, int len,
                             CausalLmLoss.Targets targets, int s) {
        try (NDManager step = m.newSubManager(); GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            NDArray x = step.create(ids, new Shape(rows, len));                          // [B, T]
            NDArray hidden = replica.hiddenStates(x, null, null);                        // [B, T, H]
            NDArray loss = CausalLmLoss.normalised(replica, hidden, targets, targets.count()); // scalar
            System.out.println("backward " + s);
            System.out.flush();
            replica.backward(gc, loss); // one torchBackward call: the crashed frame of the 25M benchmark
            loss.getFloat();
        }
    }
}
