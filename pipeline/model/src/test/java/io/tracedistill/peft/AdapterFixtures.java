package io.tracedistill.peft;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDManager;
import io.tracedistill.model.Fixtures;
import io.tracedistill.model.SafeTensors;
import io.tracedistill.model.families.ModelFamilies;

/** A fixture's PEFT adapter ({@code <fixture>/lora/}) as the families' adapter golden tests use it. */
final class AdapterFixtures {
    private AdapterFixtures() {
    }

    /** {@code fixture}'s base model with its adapter loaded, in {@code m}. */
    static LoraModel adapted(String fixture, NDManager m) {
        return PeftAdapter.load(ModelFamilies.load(Fixtures.dir(fixture), m), Fixtures.dir(fixture + "/lora"), m);
    }

    /**
     * The largest |difference| between the merged base weights of {@code lora} (after {@code merge()}) and PEFT's
     * ({@code lora/merged_changed_tensors.safetensors}, which must hold {@code tensors} entries).
     */
    static double mergedWeightsMaxDiff(LoraModel lora, String fixture, int tensors) {
        SafeTensors.Reader expected = SafeTensors.open(Fixtures.dir(fixture + "/lora/merged_changed_tensors.safetensors"));
        assertEquals(tensors, expected.entries().size());
        double worst = 0;
        for (String name : expected.entries().keySet()) {
            String module = name.substring(0, name.length() - ".weight".length());
            float[] got = lora.layers().get(module).baseLayer().weight().toFloatArray();
            float[] want = expected.readFloats(name);
            for (int i = 0; i < want.length; i++) {
                worst = Math.max(worst, Math.abs(got[i] - want[i]));
            }
        }
        return worst;
    }
}
