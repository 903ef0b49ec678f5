package io.tracedistill.eval;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import io.tracedistill.grade.Grade;
import io.tracedistill.grade.Grader;
import io.tracedistill.model.GreedyGenerator;
import io.tracedistill.model.NativeExitGuard;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Decodes and grades one {@link EvalBatch} under one arm: KV-cache greedy decoding of the left-padded batch
 * ({@link GreedyGenerator#generate}, eos ids and pad id from {@code generation_config.json}, at most
 * {@code max_new_tokens}), text with special tokens skipped, graded against {@code str(answer)}.
 *
 * <p>An output that reaches {@code max_new_tokens} without a box is simply unparsed; it is never an error.
 * Activations live in a manager opened and closed per batch, so concurrent Spark tasks in one JVM do not share
 * scratch memory. The generation holds a {@link NativeExitGuard} section (a killed job finishes the batch's native
 * work before libtorch is torn down).
 */
public final class ArmDecoder {
    private ArmDecoder() {
    }

    /** Predictions for every prompt of {@code batch}, in the batch's order. */
    public static List<Prediction> decode(EvalBatch batch, ArmModels.ArmModel arm, TokenDecoder text, Grader grader,
            int maxNewTokens) {
        List<int[]> prompts = new ArrayList<>();
        for (EncodedPrompt p : batch.prompts()) {
            prompts.add(p.ids());
        }
        GreedyGenerator.Options opts = GreedyGenerator.Options.of(arm.generation(), maxNewTokens);
        List<int[]> generated;
        // Inputs and the KV cache live on the device that holds the arm's weights.
        Device device = arm.lm().parameters().values().iterator().next().getDevice();
        try (NativeExitGuard.Section guard = NativeExitGuard.enter(); NDManager m = NDManager.newBaseManager(device)) {
            generated = GreedyGenerator.generate(arm.lm(), prompts, opts, m);
        }
        Set<Integer> eos = new HashSet<>(arm.generation().eosTokenIds());
        List<Prediction> out = new ArrayList<>();
        for (int i = 0; i < prompts.size(); i++) {
            EncodedPrompt p = batch.prompts().get(i);
            int[] toks = generated.get(i);
            boolean stopped = toks.length > 0 && eos.contains(toks[toks.length - 1]);
            String output = text.decode(toks);
            Grade g = grader.grade(output, p.example().gold());
            out.add(new Prediction(p.example().rowIndex(), arm.spec().name(), p.example().type(), p.example().gold(),
                    output, g.extracted(), g.parsed(), g.correct(), p.promptTokens(), toks.length,
                    stopped ? Prediction.FINISH_EOS : Prediction.FINISH_LENGTH, java.util.Optional.empty()));
        }
        return out;
    }
}
