package io.tracedistill.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code config.json} parsing: the three fixtures, and clear errors for what this port does not implement. */
class HfConfigTest {

    static ObjectNode qwen2() throws Exception {
        return (ObjectNode) new ObjectMapper().readTree(Fixtures.dir("tiny-qwen2/config.json").toFile());
    }

    static String error(ObjectNode cfg) {
        return assertThrows(ModelLoadException.class, () -> HfConfig.parse(cfg, "config.json")).getMessage();
    }

    @Test
    void fixturesParse() {
        HfConfig llama = HfConfig.load(Fixtures.dir("tiny-llama"));
        assertEquals(16, llama.headDim());
        assertEquals(1, llama.numKeyValueGroups());
        assertFalse(llama.qkvBias());
        HfConfig qwen2 = HfConfig.load(Fixtures.dir("tiny-qwen2"));
        assertTrue(qwen2.qkvBias());
        assertEquals(2, qwen2.numKeyValueGroups());
        assertEquals(1e6, qwen2.ropeTheta());
        HfConfig qwen3 = HfConfig.load(Fixtures.dir("tiny-qwen3"));
        assertEquals(32, qwen3.headDim());
        assertTrue(qwen3.qkNorm());
        assertTrue(qwen3.tieWordEmbeddings());
        assertEquals(List.of(258), qwen3.eosTokenIds());
    }

    @Test
    void ropeScalingOfAnyTypeIsRejected() throws Exception {
        ObjectNode c = qwen2();
        c.putObject("rope_scaling").put("rope_type", "yarn").put("factor", 4.0);
        String m = error(c);
        assertTrue(m.contains("Unsupported rope_scaling") && m.contains("yarn"), m);
        ObjectNode d = qwen2();
        d.put("rope_scaling", "linear");
        assertTrue(error(d).contains("Unsupported rope_scaling \"linear\""), error(d));
    }

    @Test
    void slidingWindowActivationAndModelTypeAreRejected() throws Exception {
        ObjectNode c = qwen2();
        c.put("use_sliding_window", true);
        assertTrue(error(c).contains("Unsupported use_sliding_window true"), error(c));
        ObjectNode a = qwen2();
        a.put("hidden_act", "gelu");
        assertTrue(error(a).contains("Unsupported hidden_act 'gelu'"), error(a));
        ObjectNode t = qwen2();
        t.put("model_type", "mistral");
        assertTrue(error(t).contains("Unsupported model_type 'mistral'"), error(t));
        ObjectNode arch = qwen2();
        arch.putArray("architectures").add("Qwen2ForSequenceClassification");
        assertTrue(error(arch).contains("Qwen2ForSequenceClassification"), error(arch));
        ObjectNode bad = qwen2();
        bad.put("hidden_size", 0);
        assertTrue(error(bad).contains("Invalid value 0 for hidden_size"), error(bad));
    }

    @Test
    void transformers5RopeParametersAreRead() throws Exception {
        ObjectNode c = qwen2();
        c.remove("rope_theta");
        c.putObject("rope_parameters").put("rope_type", "default").put("rope_theta", 5e5);
        assertEquals(5e5, HfConfig.parse(c, "x").ropeTheta());
        ((ObjectNode) c.get("rope_parameters")).put("rope_type", "llama3");
        assertTrue(error(c).contains("Unsupported rope_parameters.rope_type 'llama3'"), error(c));
    }

    @Test
    void eosMayBeIntOrList() throws Exception {
        ObjectNode c = qwen2();
        c.putArray("eos_token_id").add(1).add(2);
        assertEquals(List.of(1, 2), HfConfig.parse(c, "x").eosTokenIds());
        c.putNull("eos_token_id");
        assertEquals(List.of(), HfConfig.parse(c, "x").eosTokenIds());
    }
}
