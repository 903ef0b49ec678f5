package io.tracedistill.eval;

import io.tracedistill.config.EvalScorer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import io.tracedistill.model.CausalLm;
import io.tracedistill.model.Fixtures;
import io.tracedistill.model.GenerationConfig;
import io.tracedistill.model.GreedyGenerator;
import io.tracedistill.peft.PeftAdapter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * One-process eval on the tiny Qwen2 fixture and its LoRA adapter (random weights, so outputs are random bytes and
 * never hold a box; what matters is that they are exact and deterministic). The expected outputs were computed once
 * with this path (batch size 3) and are checked against an independent full-reforward greedy decode of each prompt
 * alone (no cache, no padding).
 */
public class LocalEvalTest {
    static final Path MODEL = Fixtures.dir("tiny-qwen2");
    static final Path LORA = Fixtures.dir("tiny-qwen2/lora");
    public static final String SUFFIX = " Put the answer in \\boxed{}.";
    static final int MAX_NEW = 12;

    /** Expected decoded outputs (12 new tokens each, no eos reached) by arm, then row 0..5. */
    static final Map<String, List<String>> EXPECTED = Map.of(
            "base", List.of(
                    "T\ufffd\u0006\ufffdn\u0285\ufffdn\u0285\ufffd",
                    "T\ufffd\ufffdZ\ufffd\u0003v\ufffdn\ufffd\ufffd6",
                    "T\ufffd\u0006\ufffdn\u028b\u001eE\ufffd6!",
                    "T\ufffd\u0006\ufffdn\u028b-(@\ufffd\u0003",
                    ">\u0003v\ufffdn\ufffd\ufffd6\u00106!.",
                    ">\u0003v\ufffdn\u02b6D\u07a4qF"),
            "lora", List.of(
                    ">\u0003v\ufffdn:&)4\ufffd\u0008\ufffd",
                    ">\u001c\ufffd@\ufffdh!.\ufffd\ufffd\u0207",
                    ">\u0003v\ufffdn:&\ufffdQw\u0415",
                    "Yʶ\ufffd\u0019\ufffdЕ\ufffd:&\ufffd",
                    ">\u0003v\ufffdnʶ\ufffd\u0019\ufffd\ufffd\ufffd",
                    ">\u0003v\ufffdn:&\u001d\ufffdb6\u0010"));

    static List<Prediction> predictions;

    /** Seven rows of two types; row 6 is too long for tiny-qwen2 (never decoded). */
    public static List<EvalExample> examples() {
        String[] prompts = {"2+2=?", "Name a color.", "x", "What is 7 times 6?", "Hi", "Count to three, please!"};
        String[] types = {"math", "words", "words", "math", "words", "math"};
        List<EvalExample> out = new ArrayList<>();
        for (int i = 0; i < prompts.length; i++) {
            out.add(new EvalExample(i, types[i], "4", prompts[i] + SUFFIX));
        }
        // Row 6: 120 + 29 + 19 template tokens > 128 - 12: too long.
        out.add(new EvalExample(6, "math", "1", "y".repeat(120) + SUFFIX));
        return out;
    }

    static EvalSettings settings(int batchSize) {
        return new EvalSettings(MODEL.toString(), List.of(ArmSpec.base(), new ArmSpec("lora", LORA.toString())),
                MAX_NEW, batchSize, 4096, true, null, SUFFIX, EvalScorer.COMPETITION);
    }

    @BeforeAll
    static void run() {
        predictions = LocalEval.run(examples(), settings(3));
    }

    @Test
    void exactOutputsForEveryArmAndRow() {
        assertEquals(14, predictions.size(), "7 rows x 2 arms, every row accounted for");
        for (Prediction p : predictions) {
            if (p.rowIndex() == 6) {
                continue;
            }
            assertEquals(EXPECTED.get(p.arm()).get((int) p.rowIndex()), p.output(), p.arm() + " row " + p.rowIndex());
            assertEquals(MAX_NEW, p.newTokens());
            assertEquals(Prediction.FINISH_LENGTH, p.finish());
            assertEquals(false, p.parsed(), "hitting max_new_tokens without a box is unparsed, not an error");
            assertEquals(false, p.correct());
            assertEquals("", p.extracted());
        }
    }

    @Test
    void equalsFullReforwardGreedyDecodeOfEachPromptAlone() {
        EvalPromptEncoder enc = ArmModels.encoder(MODEL, true, Optional.empty());
        TokenDecoder text = ArmModels.decoder(MODEL);
        try (NDManager m = NDManager.newBaseManager()) {
            CausalLm base = CausalLm.load(MODEL, m);
            CausalLm adapted = CausalLm.load(MODEL, m);
            PeftAdapter.load(adapted, LORA, m);
            GenerationConfig gc = GenerationConfig.load(MODEL, base.config());
            GreedyGenerator.Options opts = GreedyGenerator.Options.of(gc, MAX_NEW);
            for (Prediction p : predictions) {
                if (p.rowIndex() == 6) {
                    continue;
                }
                int[] ids = enc.encode(examples().get((int) p.rowIndex()).user());
                CausalLm lm = p.arm().equals("base") ? base : adapted;
                int[] toks = GreedyGenerator.generateByReforward(lm, List.of(ids), opts, m).get(0);
                assertEquals(text.decode(toks), p.output(), p.arm() + " row " + p.rowIndex());
                assertEquals(ids.length, p.promptTokens());
            }
        }
    }

    @Test
    void tooLongPromptIsReportedNotDropped() {
        List<Prediction> row6 = predictions.stream().filter(p -> p.rowIndex() == 6).toList();
        assertEquals(2, row6.size());
        for (Prediction p : row6) {
            assertEquals(Optional.of(SkipReason.PROMPT_TOO_LONG), p.reason());
            assertEquals(Prediction.FINISH_NOT_DECODED, p.finish());
            assertEquals(120 + SUFFIX.length() + 19, p.promptTokens(), "byte-level tokenizer: 1 token per byte");
            assertEquals("", p.output());
        }
    }

    @Test
    void baseAndAdapterArmsDiffer() {
        for (int r = 0; r < 6; r++) {
            assertNotEquals(EXPECTED.get("base").get(r), EXPECTED.get("lora").get(r), "row " + r);
        }
    }

    @Test
    void batchSizeDoesNotChangeGreedyTokensHere() {
        // Different padding changes float rounding; on this fixture the argmax margins are wide enough that batch
        // size 1 and 3 agree. (Spark vs one process never relies on this: both use the same BatchPlan.)
        List<Prediction> b1 = LocalEval.run(examples(), settings(1));
        assertEquals(predictions, b1);
    }

    @Test
    void modelsAreLoadedOncePerJvm() {
        int before = ArmModels.modelLoads();
        LocalEval.run(examples().subList(0, 2), settings(2));
        assertEquals(before, ArmModels.modelLoads(), "a second run reuses the cached base and adapter models");
        assertTrue(before >= 2, "base + lora were loaded");
    }
}
