package io.tracedistill.memory;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static io.tracedistill.memory.ModelShapeTest.resource;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The {@code plan} report on the medal config, on a bare config.json, and its input errors. */
class PlanReportTest {

    @Test
    void medalConfigPlansAgainstTheRealConfigWithoutWeights() {
        String out = PlanReport.render(PlanReport.resolve(Path.of("../../conf/reproduce_competition.yaml"),
                Path.of("../../conf/models/nemotron-3-nano-30b-a3b/config.json")));
        assertTrue(out.contains("nemotron_h: 31,577,940,288 parameters, 3,580,076,352 active per token; base weights"
                + " 63.16 GB in bf16/fp16, 126.31 GB in fp32."), out);
        assertTrue(out.contains("| **27,711,488** | **883,873,792** |"), out);
        assertTrue(out.contains("- **80 GB, LoRA incl. routed experts**: "), out);
        assertTrue(out.contains("- **141 GB, LoRA without routed experts**: "), out);
        // The README's "GPU memory" rows: as configured (float16 base, checkpointing, loss in chunks) it fits 141 GB.
        assertTrue(out.contains("base_dtype float16, gradient_checkpointing true, loss in chunks of 1,024 tokens, eager attention"), out);
        assertTrue(out.contains("| float16 | yes | no | 63.16 | 14.14 | 177.97 | 1.00 | 256.27 | no | no |"), out);
        assertTrue(out.contains("| float16 | yes | yes | 63.16 | 14.14 | 33.14 | 1.00 | 111.44 | no | fits |"), out);
        assertTrue(out.contains("| float16 | no | yes | 63.16 | 0.44 | 33.14 | 1.00 | 97.74 | no | fits |"), out);
        assertTrue(out.contains("- **141 GB, LoRA incl. routed experts**: fits (111.44 GB of 141)."), out);
        assertTrue(out.contains("- **80 GB, LoRA without routed experts**: does not fit (97.74 GB needed); fits with memory-efficient"
                + " attention in query chunks of 1024 † (75.19 GB)."), out);
        assertTrue(out.contains("† not built: memory-efficient attention in query chunks of 1024."), out);
    }

    @Test
    void bareConfigJsonUsesTheConfigDefaults() {
        String out = PlanReport.render(PlanReport.resolve(resource("nemotron-3-nano-30b-a3b/config.json"), null));
        assertTrue(out.contains("LoRA r 32 on [q_proj, k_proj, v_proj, o_proj, in_proj, out_proj, up_proj, down_proj]"
                + " (architecture-aware autodetect); max_length 8,192, micro-batch 1, base_dtype float32"), out);
    }

    @Test
    void yamlWhoseBaseModelHasNoConfigSaysHowToPassOne(@TempDir Path dir) throws Exception {
        Path yaml = dir.resolve("x.yaml");
        Files.writeString(yaml, "base_model: " + dir.resolve("absent") + "\ndata_path: d.csv\nhard_types: [a]\n");
        ModelConfigException e = assertThrows(ModelConfigException.class, () -> PlanReport.resolve(yaml, null));
        assertTrue(e.getMessage().contains("No config.json at " + dir.resolve("absent").resolve("config.json"))
                && e.getMessage().contains("pass it with --model-config FILE"), e.getMessage());
    }

    @Test
    void tinyLlamaPlanHasAttentionAndMlpRows() {
        String out = PlanReport.render(PlanReport.resolve(resource("tiny-llama/config.json"), null));
        assertTrue(out.contains("| attention | ") && out.contains("| mlp | ") && out.contains("fits ("), out);
    }
}
