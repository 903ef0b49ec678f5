package io.tracedistill.memory;

import io.tracedistill.config.BaseDtype;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tracedistill.targets.LoraTargets;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Parameter counts and module shapes from config.json alone, against the real 30B model's published
 * counts and against the tensor shapes in the tiny models' safetensors headers (every count exact).
 */
class ModelShapeTest {

    static final ObjectMapper JSON = new ObjectMapper();

    static Path resource(String name) {
        try {
            return Path.of(ModelShapeTest.class.getResource("/memory/" + name).toURI());
        } catch (URISyntaxException | NullPointerException e) {
            throw new IllegalStateException("missing test resource memory/" + name, e);
        }
    }

    static ModelShape real() {
        return ModelShape.load(resource("nemotron-3-nano-30b-a3b/config.json"));
    }

    static PlanSettings settings(int rank, List<String> targets) {
        return new PlanSettings(rank, targets, 8192, 1, BaseDtype.FLOAT32, false, false, true, OptionalDouble.empty());
    }

    @Test
    void realNemotronCountsEqualThePublishedOnes() {
        ModelShape m = real();
        assertEquals(31_577_940_288L, m.totalParams());
        assertEquals(3_580_076_352L, m.activeParams());
        assertEquals(63_155_880_576L, m.totalParams() * BaseDtype.FLOAT16.bytes());   // 63.16 GB (bf16 or fp16)
        assertEquals(126_311_761_152L, m.totalParams() * BaseDtype.FLOAT32.bytes());   // 126.31 GB
        assertEquals("63.16", MemoryPlan.gb(m.totalParams() * 2));
        assertEquals("126.31", MemoryPlan.gb(m.totalParams() * 4));
        // 23 Mamba, 23 MoE, 6 attention layers.
        Map<String, Integer> kinds = new HashMap<>();
        m.blocks().forEach(b -> kinds.merge(b.kind(), 1, Integer::sum));
        assertEquals(Map.of("mamba", 23, "moe", 23, "attention", 6), kinds);
    }

    @Test
    void realNemotronLoraCountsWithAndWithoutRoutedExperts() {
        MemoryPlan configured = MemoryPlan.of(real(), settings(32, LoraTargets.DEFAULT_TARGET_MODULES));
        assertEquals(27_711_488L, configured.loraParams(false));
        assertEquals(883_873_792L, configured.loraParams(true));
        // The architecture-aware autodetect picks the same eight names on this model.
        MemoryPlan auto = MemoryPlan.of(real(), settings(32, List.of()));
        assertEquals(LoraTargets.DEFAULT_TARGET_MODULES, auto.targets());
        assertEquals(883_873_792L, auto.loraParams(true));
    }

    @Test
    void mambaInnerSizeIsHeadsTimesHeadDimNotExpandTimesHidden() {
        LinearModule inProj = real().linears().stream().filter(l -> l.name().equals("backbone.layers.0.mixer.in_proj"))
                .findFirst().orElseThrow();
        // I = 64·64 = 4096 (expand·H would be 5376); conv_dim = 4096 + 2·8·128 = 6144; + 64 dt heads.
        assertEquals(4096 + 6144 + 64, inProj.out());
        assertEquals(2688, inProj.in());
    }

    /** Every Linear's {@code name.weight} exists in the checkpoint with shape [out, in], and the counts add up. */
    @ParameterizedTest
    @ValueSource(strings = {"tiny-nemotron-h", "tiny-llama", "tiny-qwen2", "tiny-qwen3"})
    void tinyModelsMatchTheirSafetensorsHeaders(String model) throws IOException {
        ModelShape m = ModelShape.load(resource(model + "/config.json"));
        Map<String, long[]> shapes = headerShapes(resource(model + "/model.safetensors.header.json"));
        long sum = 0;
        for (long[] s : shapes.values()) {
            long p = 1;
            for (long d : s) {
                p *= d;
            }
            sum += p;
        }
        assertEquals(sum, m.totalParams(), model + ": parameters vs the sum of the header's shapes");
        for (LinearModule l : m.linears()) {
            long[] s = shapes.get(l.name() + ".weight");
            assertTrue(s != null, model + ": no tensor " + l.name() + ".weight in the checkpoint");
            assertArrayEquals(new long[] {l.out(), l.in()}, s, model + ": shape of " + l.name());
        }
    }

    @Test
    void tinyNemotronLoraCountEqualsTheFixtureAdapter() throws IOException {
        JsonNode cfg = JSON.readTree(resource("tiny-nemotron-h/lora_adapter_config.json").toFile());
        List<String> targets = JSON.convertValue(cfg.get("target_modules"), JSON.getTypeFactory()
                .constructCollectionType(List.class, String.class));
        MemoryPlan plan = MemoryPlan.of(ModelShape.load(resource("tiny-nemotron-h/config.json")),
                settings(cfg.get("r").asInt(), targets));
        long sum = 0;
        for (long[] s : headerShapes(resource("tiny-nemotron-h/lora_adapter_model.safetensors.header.json")).values()) {
            sum += s[0] * s[1];
        }
        assertEquals(sum, plan.loraParams(true), "LoRA parameters vs the PEFT adapter's tensors (every routed expert)");
    }

    @Test
    void bothLayerPatternSpellingsGiveTheSameModel() throws IOException {
        // Real config: hybrid_override_pattern + num_hidden_layers -> layers_block_type.
        ObjectNode real = (ObjectNode) JSON.readTree(resource("nemotron-3-nano-30b-a3b/config.json").toFile());
        ArrayNode types = JSON.createArrayNode();
        for (char c : real.get("hybrid_override_pattern").asText().toCharArray()) {
            types.add(switch (c) {
                case 'M' -> "linear_attention";
                case 'E' -> "moe";
                case '*' -> "full_attention";
                default -> "mlp";
            });
        }
        real.remove("hybrid_override_pattern");
        real.remove("num_hidden_layers");
        real.set("layers_block_type", types);
        assertEquals(31_577_940_288L, ModelShape.parse(real, "rewritten").totalParams());
        // Tiny config: layers_block_type -> hybrid_override_pattern + num_hidden_layers.
        ObjectNode tiny = (ObjectNode) JSON.readTree(resource("tiny-nemotron-h/config.json").toFile());
        long expected = ModelShape.parse(tiny, "tiny").totalParams();
        tiny.remove("layers_block_type");
        tiny.put("hybrid_override_pattern", "ME*-ME");
        tiny.put("num_hidden_layers", 6);
        assertEquals(expected, ModelShape.parse(tiny, "tiny rewritten").totalParams());
        assertEquals("ME*-ME", ModelShape.layerPattern(tiny, "tiny rewritten"));
    }

    @Test
    void unsupportedNemotronConfigsAreRefusedNamingTheKey() throws IOException {
        assertRefused("num_hidden_layers", n -> n.put("num_hidden_layers", 51));
        assertRefused("hybrid_override_pattern", n -> n.put("hybrid_override_pattern", "MEX"));
        assertRefused("moe_latent_size", n -> n.put("moe_latent_size", 1024));
        assertRefused("num_nextn_predict_layers", n -> n.put("num_nextn_predict_layers", 1));
        assertRefused("mamba_num_heads", n -> n.remove("mamba_num_heads"));
        assertRefused("model_type 'mamba2'", n -> n.put("model_type", "mamba2"));
        ModelConfigException e = assertThrows(ModelConfigException.class,
                () -> ModelShape.load(Path.of("no/such/dir")));
        assertTrue(e.getMessage().contains("No config.json at no/such/dir: pass a Hugging Face model directory"), e.getMessage());
    }

    @Test
    void unknownLayersBlockTypeIsRefused() throws IOException {
        ObjectNode tiny = (ObjectNode) JSON.readTree(resource("tiny-nemotron-h/config.json").toFile());
        ((ArrayNode) tiny.get("layers_block_type")).add("retention");
        ModelConfigException e = assertThrows(ModelConfigException.class, () -> ModelShape.parse(tiny, "t.json"));
        assertTrue(e.getMessage().contains("layers_block_type entry \"retention\" in t.json"), e.getMessage());
    }

    @Test
    void userFacingCopyOfTheRealConfigIsTheTestedOne() throws IOException {
        assertArrayEquals(Files.readAllBytes(resource("nemotron-3-nano-30b-a3b/config.json")),
                Files.readAllBytes(Path.of("../../conf/models/nemotron-3-nano-30b-a3b/config.json")));
    }

    private static void assertRefused(String expected, java.util.function.Consumer<ObjectNode> edit) throws IOException {
        ObjectNode n = (ObjectNode) JSON.readTree(resource("nemotron-3-nano-30b-a3b/config.json").toFile());
        edit.accept(n);
        ModelConfigException e = assertThrows(ModelConfigException.class, () -> ModelShape.parse(n, "x/config.json"));
        assertTrue(e.getMessage().contains(expected) && e.getMessage().contains("x/config.json"), e.getMessage());
    }

    /** Tensor name -> shape of a safetensors JSON header ({@code __metadata__} skipped). */
    static Map<String, long[]> headerShapes(Path header) throws IOException {
        JsonNode root = JSON.readTree(header.toFile());
        Map<String, long[]> out = new HashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getKey().equals("__metadata__")) {
                continue;
            }
            JsonNode shape = e.getValue().get("shape");
            long[] s = new long[shape.size()];
            for (int i = 0; i < s.length; i++) {
                s[i] = shape.get(i).asLong();
            }
            out.put(e.getKey(), s);
        }
        return out;
    }
}
