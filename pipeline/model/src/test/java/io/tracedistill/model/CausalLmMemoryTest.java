package io.tracedistill.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Activations go to the input's manager, never to the model's; clear errors for a mismatched checkpoint. */
class CausalLmMemoryTest {

    @Test
    void forwardAndGenerationLeaveNoArraysInTheModelManager() {
        try (NDManager manager = NDManager.newBaseManager()) {
            CausalLm lm = CausalLm.load(Fixtures.dir("tiny-qwen3"), manager);
            int before = manager.getManagedArrays().size();
            try (NDManager step = manager.newSubManager()) {
                lm.forward(Fixtures.row(new int[] {1, 2, 3}, step));
            }
            GreedyGenerator.generate(lm, List.of(new int[] {1, 2, 3}, new int[] {4}),
                    new GreedyGenerator.Options(5, List.of(), 0), manager);
            assertEquals(before, manager.getManagedArrays().size(), "arrays leaked into the model manager");
        }
    }

    @Test
    void missingModelDirectoryIsNamed() {
        try (NDManager manager = NDManager.newBaseManager()) {
            ModelLoadException e = assertThrows(ModelLoadException.class,
                    () -> CausalLm.load(Fixtures.dir("tiny-qwen2").resolve("lora"), manager));
            assertTrue(e.getMessage().contains("No config.json"), e.getMessage());
        }
    }
}
