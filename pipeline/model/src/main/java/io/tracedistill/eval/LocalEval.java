package io.tracedistill.eval;

import io.tracedistill.grade.Grader;
import ai.djl.Device;
import io.tracedistill.model.families.ModelFamilies;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * The one-process eval path: encode every row, plan the batches ({@link BatchPlan}), decode every batch under
 * every arm, and add a not-decoded prediction for each skipped row. The Spark stage runs the same steps with the
 * batches spread over executors; both give identical predictions.
 */
public final class LocalEval {
    private LocalEval() {
    }

    /** Encodes every example with the cached encoder of {@code settings.modelDir()}. */
    public static List<EncodedPrompt> encode(List<EvalExample> examples, EvalSettings settings) {
        EvalPromptEncoder encoder = ArmModels.encoder(settings.modelPath(), settings.enableThinking(),
                settings.chatDateOpt());
        ContextLimit limit = contextLimit(settings);
        List<EncodedPrompt> out = new ArrayList<>();
        for (EvalExample e : examples) {
            out.add(encoder.encode(e, limit));
        }
        return out;
    }

    /** The context rule of the settings' model. */
    public static ContextLimit contextLimit(EvalSettings settings) {
        return settings.contextLimit(ModelFamilies.maxPositionEmbeddings(settings.modelPath()));
    }

    /**
     * Predictions for every (arm, row), sorted by arm order then row index.
     *
     * @param examples rows with unique row indices
     */
    public static List<Prediction> run(List<EvalExample> examples, EvalSettings settings) {
        List<EncodedPrompt> encoded = encode(examples, settings);
        List<EvalBatch> batches = BatchPlan.plan(encoded, settings.batchSize());
        List<Prediction> out = new ArrayList<>();
        for (ArmSpec arm : settings.arms()) {
            out.addAll(decodeBatches(batches, arm, settings));
            for (EncodedPrompt p : encoded) {
                if (!p.decodable()) {
                    out.add(Prediction.notDecoded(p, arm.name()));
                }
            }
        }
        out.sort(order(settings.arms()));
        return out;
    }

    /** Decodes {@code batches} under one arm on the settings' device (the first listed GPU, or the CPU). */
    public static List<Prediction> decodeBatches(List<EvalBatch> batches, ArmSpec arm, EvalSettings settings) {
        return decodeBatches(batches, arm, settings, EvalDevice.resolve(settings.device(), List.of()));
    }

    /**
     * Decodes {@code batches} under one arm (the model cached for {@code device}) and grades with the settings'
     * scorer.
     */
    public static List<Prediction> decodeBatches(List<EvalBatch> batches, ArmSpec arm, EvalSettings settings, Device device) {
        ArmModels.ArmModel model = ArmModels.arm(settings.modelPath(), arm, device);
        TokenDecoder text = ArmModels.decoder(settings.modelPath());
        Grader grader = settings.scorer().grader();
        List<Prediction> out = new ArrayList<>();
        for (EvalBatch b : batches) {
            out.addAll(ArmDecoder.decode(b, model, text, grader, settings.maxNewTokens()));
        }
        return out;
    }

    /** Arm order (as listed), then row index. */
    public static Comparator<Prediction> order(List<ArmSpec> arms) {
        Map<String, Integer> rank = new java.util.HashMap<>();
        for (int i = 0; i < arms.size(); i++) {
            rank.put(arms.get(i).name(), i);
        }
        return Comparator.<Prediction>comparingInt(p -> rank.getOrDefault(p.arm(), Integer.MAX_VALUE))
                .thenComparingLong(Prediction::rowIndex);
    }
}
