package io.tracedistill.train;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;

import java.nio.file.Path;
import java.util.List;

/**
 * The recorded TRL trajectory (batch 2 × accumulation 2 in one process) reproduced by 2 ranks × batch 2 ×
 * accumulation 1: each rank runs one micro-batch of every step, the label-token count and the gradients
 * are summed over the ranks. Every assertion and tolerance is {@link TrajectoryParityGoldenTest}'s.
 */
class TrajectoryParityTwoRanksTest extends TrajectoryParityGoldenTest {

    @Override
    void train(JsonNode cfg, List<TokenExample> p1, List<TokenExample> p2, Path out) throws Exception {
        TrainSettings settings = settings(cfg, 2, 1);
        RankThreads.run(2, collective -> {
            try (NDManager manager = NDManager.newBaseManager()) {
                LoraTrainableModel model = new LoraTrainableModel(initialAdapter(manager));
                new TwoPhaseTrainer(settings, model, adapterWriter(), collective.rank() == 0 ? recorder(model) : null, collective)
                        .train(new InMemoryTokenShardReader(p1), new InMemoryTokenShardReader(p2), out, false);
            }
            return null;
        });
    }
}
