package io.tracedistill.peft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import java.util.stream.Stream;

/**
 * One LoRA training step on {@code tiny-qwen2/lora/train_step.json} ({@link LoraTrainStep}): HF
 * {@code ForCausalLMLoss}, the gradient of every LoRA tensor vs {@code train_step_grads.safetensors}, the global
 * grad norm and the loss after one SGD step and after one AdamW step (the first step written out in the test; the
 * production AdamW is {@code io.tracedistill.train.AdamW}).
 */
class LoraTrainStepGoldenTest {
    static final String DIR = "tiny-qwen2";
    static final double GRAD_REL_TOL = 1e-4;

    static LoraTrainStep step;

    @BeforeAll
    static void step() {
        step = LoraTrainStep.run(DIR);
    }

    static Stream<Arguments> tensors() {
        return LoraTrainStep.gradNames(DIR).stream().map(k -> Arguments.of(k.replace("base_model.model.model.", ""), k));
    }

    @Test
    void lossMatchesForCausalLmLoss() {
        double want = LoraTrainStep.record(DIR).get("loss").asDouble();
        System.out.printf("train step loss %.8f vs %.8f (diff %.2e, tol 1e-5)%n", step.loss, want, Math.abs(step.loss - want));
        assertEquals(want, step.loss, 1e-5);
    }

    @Test
    void globalGradNorm() {
        double want = LoraTrainStep.record(DIR).get("lora_grad_global_l2_norm").asDouble();
        double got = step.globalGradNorm();
        System.out.printf("global grad L2 %.8f vs %.8f (rel diff %.2e, tol %.0e)%n", got, want, Math.abs(got - want) / want,
                GRAD_REL_TOL);
        assertEquals(want, got, want * GRAD_REL_TOL);
        assertEquals(20, step.grads.size(), "10 adapted modules x (A, B)");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("tensors")
    void perTensorGradient(String id, String key) {
        double[] d = step.gradDiff(key);
        System.out.printf("%s: grad rel L2 diff %.2e, max abs %.2e (tol rel %.0e)%n", id, d[0], d[1], GRAD_REL_TOL);
        assertTrue(d[0] <= GRAD_REL_TOL, id + ": relative grad diff " + d[0]);
    }

    @Test
    void sgdStepLoss() {
        double after = step.lossAfterUpdate(step.sgd());
        double want = LoraTrainStep.record(DIR).get("sgd_step").get("loss_after").asDouble();
        System.out.printf("loss after SGD step %.8f vs %.8f (diff %.2e, tol 1e-4)%n", after, want, Math.abs(after - want));
        assertEquals(want, after, 1e-4);
        assertTrue(after < step.loss, "SGD step must lower the loss");
    }

    @Test
    void adamwFirstStepLoss() {
        JsonNode a = LoraTrainStep.record(DIR).get("adamw_step");
        double after = step.lossAfterUpdate(step.adamwFirstStep());
        double want = a.get("loss_after").asDouble();
        System.out.printf("loss after AdamW step %.8f vs %.8f (diff %.2e, tol 1e-4)%n", after, want, Math.abs(after - want));
        assertEquals(want, after, 1e-4);
    }
}
