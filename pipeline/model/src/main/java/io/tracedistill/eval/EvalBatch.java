package io.tracedistill.eval;

import java.util.ArrayList;
import java.util.List;

/**
 * One decode batch: decodable prompts, held in {@link BatchPlan#IN_BATCH_ORDER} (the constructor sorts), so the
 * left-padded tensor is the same wherever the batch is rebuilt.
 */
public record EvalBatch(int batchId, List<EncodedPrompt> prompts) {
    public EvalBatch {
        List<EncodedPrompt> sorted = new ArrayList<>(prompts);
        for (EncodedPrompt p : sorted) {
            if (!p.decodable()) {
                throw new IllegalArgumentException("batch " + batchId + " holds row " + p.example().rowIndex()
                        + ", which is not decodable (" + p.skip().get().code() + ")");
            }
        }
        sorted.sort(BatchPlan.IN_BATCH_ORDER);
        prompts = List.copyOf(sorted);
    }
}
