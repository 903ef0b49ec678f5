package io.tracedistill.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import io.tracedistill.model.families.ModelFamilies;
import io.tracedistill.run.Phase;
import io.tracedistill.peft.LoraConfig;
import io.tracedistill.peft.LoraModel;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The warning for an example longer than max_position_embeddings names RoPE only for models that use it: Llama and
 * Qwen (rotary q/k) do, Nemotron-H (attention without positional encoding) does not.
 */
class OverMaxPositionsWarningTest {

    @ParameterizedTest(name = "{0}")
    @CsvSource({"tiny-llama, true", "tiny-qwen3, true", "tiny-nemotron-h, false"})
    void theWarningNamesRopeOnlyForRotaryModels(String fixture, boolean rope) throws Exception {
        try (NDManager m = NDManager.newBaseManager()) {
            LoraModel lora = LoraModel.inject(ModelFamilies.load(TrajectoryParityGoldenTest.resource(fixture), m),
                    new LoraConfig(4, 8, 0, null, false), 1, m);
            TrainableModel replica = new LoraTrainableModel(lora);
            assertEquals(rope, replica.rotaryPositions(), fixture);
            String msg = TwoPhaseTrainer.overMaxPositionsWarning(Phase.PHASE1, new TokenExample(7, "t", new int[200], new int[200]),
                    replica.maxPositionEmbeddings(), replica.rotaryPositions());
            System.out.println(fixture + ": " + msg);
            assertTrue(msg.startsWith("phase1: example at position 7 has 200 tokens > max_position_embeddings 128; training on"
                    + " it anyway"), msg);
            assertEquals(rope, msg.contains("RoPE"), msg);
            assertEquals(!rope, msg.contains("no positional encoding"), msg);
            assertFalse(msg.contains("null"), msg);
        }
    }
}
