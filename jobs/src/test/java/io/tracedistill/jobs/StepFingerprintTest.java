package io.tracedistill.jobs;

import io.tracedistill.config.ConfigLoader;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

/**
 * A step's fingerprint covers every config value its stage reads. These keys were missing from the
 * hand-written key lists the steps used to keep: {@code device} for eval (switching eval from CPU to GPU
 * reused stale predictions) and {@code world_size}, {@code threads}, {@code checkpoint_steps} for train.
 */
class StepFingerprintTest {

    @TempDir
    static Path dir;
    private static final List<JobContext> OPENED = new ArrayList<>();

    @BeforeAll
    static void evalTable() throws Exception {
        Files.writeString(dir.resolve("eval.csv"), "prompt,answer,type\nq,1,t\n");
        Files.writeString(dir.resolve("data.csv"), "prompt,generated_cot,answer,type\nq,c,1,t\n");
    }

    @AfterAll
    static void stopSpark() {
        OPENED.forEach(JobContext::close);
    }

    /** A context for the minimal config plus {@code extra} YAML lines. */
    private static JobContext context(String extra) {
        String yaml = "base_model: " + dir.resolve("model") + "\n"
                + "data_path: " + dir.resolve("data.csv") + "\n"
                + "hard_types: [t]\n"
                + "output_dir: " + dir.resolve("out") + "\n"
                + "eval_path: " + dir.resolve("eval.csv") + "\n"
                + "spark_master: local[1]\n"
                + extra;
        JobContext ctx = new JobContext(ConfigLoader.parse(yaml, "test.yaml"), dir.resolve("test.yaml"), false, false,
                new PrintStream(OutputStream.nullOutputStream()));
        OPENED.add(ctx);
        return ctx;
    }

    private static String fingerprint(Step step, String extra) {
        return step.fingerprint(context(extra));
    }

    /**
     * With {@code heldout_source: eval_path} the eval file is prepare's input (it becomes {@code prepared/heldout}), so
     * editing it must re-run prepare; without it, prepare does not read the eval file and stays up to date.
     */
    @Test
    void prepareFingerprintCoversTheEvalFilesWhenTheyAreTheHeldOutSlice() throws Exception {
        Step prepare = new PrepareStep();
        String evalSource = "heldout_source: eval_path\n";
        String plain = fingerprint(prepare, "");
        String before = fingerprint(prepare, evalSource);
        assertNotEquals(plain, before, "the held-out source is part of prepare's settings");
        Path eval = dir.resolve("eval.csv");
        String old = Files.readString(eval);
        try {
            Files.writeString(eval, old + "q2,2,t\n");
            assertEquals(plain, fingerprint(prepare, ""), "heldout_source: holdout_fraction: prepare does not read eval_path");
            assertNotEquals(before, fingerprint(prepare, evalSource), "an edited eval file must re-run prepare");
        } finally {
            Files.writeString(eval, old);
        }
    }

    @Test
    void evalFingerprintCoversDevice() {
        Step eval = new EvalStep();
        assertEquals(fingerprint(eval, ""), fingerprint(eval, "device: cpu\n"), "the default is cpu");
        assertNotEquals(fingerprint(eval, "device: cpu\n"), fingerprint(eval, "device: gpu\n"),
                "eval decodes on the configured device: a switch must re-run it");
    }

    @Test
    void trainFingerprintCoversWorldSizeThreadsAndCheckpointSteps() {
        Step train = new TrainStep();
        String base = fingerprint(train, "");
        assertEquals(base, fingerprint(train, "world_size: 1\nthreads: 0\ncheckpoint_steps: 0\n"), "the defaults");
        assertNotEquals(base, fingerprint(train, "world_size: 2\n"), "world_size changes the rows per optimizer step");
        assertNotEquals(base, fingerprint(train, "threads: 2\n"), "threads changes the float summation order");
        assertNotEquals(base, fingerprint(train, "checkpoint_steps: 5\n"), "checkpoint_steps changes the checkpoints written");
    }

    @Test
    void aKeyNoStageReadsLeavesTheFingerprintsAlone() {
        for (Step step : List.of(new PrepareStep(), new TokenizeStep(), new TrainStep())) {
            assertEquals(fingerprint(step, ""), fingerprint(step, "eval_batch_size: 3\n"),
                    step.name() + " does not read eval_batch_size");
        }
    }

    /**
     * Issue 17 item 6: eval stayed "up to date" after the base model's weights or chat template changed,
     * because its fingerprint skipped {@code *.safetensors} and {@code tokenizer_config.json}.
     */
    @Test
    void evalAndTrainFingerprintsCoverEveryModelFileTheyRead() throws Exception {
        Path model = Files.createDirectories(dir.resolve("model"));
        Files.writeString(model.resolve("config.json"), "{}");
        Files.writeString(model.resolve("tokenizer_config.json"), "{\"chat_template\": \"A\"}");
        Files.write(model.resolve("model.safetensors"), new byte[] {1, 2, 3});
        for (Step step : List.of(new EvalStep(), new TrainStep())) {
            String before = fingerprint(step, "");
            Files.writeString(model.resolve("tokenizer_config.json"), "{\"chat_template\": \"B\"}");
            String template = fingerprint(step, "");
            Files.write(model.resolve("model.safetensors"), new byte[] {1, 2, 3, 4});
            String weights = fingerprint(step, "");
            assertNotEquals(before, template, step.name() + ": the chat template changed");
            assertNotEquals(template, weights, step.name() + ": the weights changed");
            Files.writeString(model.resolve("tokenizer_config.json"), "{\"chat_template\": \"A\"}");
            Files.write(model.resolve("model.safetensors"), new byte[] {1, 2, 3});
        }
    }
}
