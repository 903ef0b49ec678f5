package io.tracedistill.train;

import io.tracedistill.run.OutputLayout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A run killed for real (child JVM, {@code destroyForcibly}) once in phase 1 and once in phase 2,
 * on the toy model and on tiny-qwen2 with LoRA dropout and NEFTune (so random draws are involved),
 * each time resumed from its newest checkpoint, ends with adapters byte-identical to an
 * uninterrupted run, and with the same metrics (except wall times).
 */
class CheckpointResumeTest {

    private static Process start(Path out, boolean resume, long sleepMs, Path log, String model) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(java, "-Xmx512m", "-Dai.djl.offline=true",
                // same thread settings for every run, so reductions happen in the same order
                "-Dai.djl.pytorch.num_threads=1", "-Dai.djl.pytorch.num_interop_threads=1",
                "-cp", System.getProperty("java.class.path"), ResumeChildMain.class.getName(),
                out.toString(), Boolean.toString(resume), Long.toString(sleepMs), model));
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
    }

    private static void runToEnd(Path out, boolean resume, Path log, String model) throws Exception {
        Process p = start(out, resume, 0, log, model);
        assertTrue(p.waitFor(5, TimeUnit.MINUTES), "child did not finish; see " + log);
        assertEquals(0, p.exitValue(), "child failed:\n" + Files.readString(log));
    }

    /** Starts a run and kills it as soon as checkpoint {@code name} exists. */
    private static void killAfter(Path out, boolean resume, String name, Path log, String model) throws Exception {
        Process p = start(out, resume, 400, log, model);
        Path ckpt = out.resolve("checkpoints").resolve(name);
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
        while (!Files.isRegularFile(ckpt.resolve("state.json"))) {
            assertTrue(p.isAlive(), "child exited before writing " + name + ":\n" + Files.readString(log));
            assertTrue(System.nanoTime() < deadline, "no checkpoint " + name + " after 5 minutes");
            Thread.sleep(20);
        }
        p.destroyForcibly();
        assertTrue(p.waitFor(1, TimeUnit.MINUTES));
        assertTrue(p.exitValue() != 0, "the child should have been killed, not finished");
        assertFalse(Files.exists(out.resolve("adapter")), "a killed run must not have a final adapter");
    }

    static Stream<Arguments> models() {
        return Stream.of(
                // toy: 8 + 6 steps; killed after epoch 1 of 2 in phase 1 (between two log records), and mid phase 2
                Arguments.of("toy", "phase1-step000004", "phase2-step000002"),
                // tiny-qwen2 with LoRA dropout (phase 1) and NEFTune (phase 2): 4 + 3 steps
                Arguments.of("tiny-qwen2", "phase1-step000002", "phase2-step000002"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("models")
    void killedTwiceAndResumedEndsBitIdenticalToAnUninterruptedRun(String model, String firstKill, String secondKill,
                                                                    @TempDir Path tmp) throws Exception {
        Path straight = tmp.resolve("straight");
        Path killed = tmp.resolve("killed");
        Path log = tmp.resolve("children.log");
        runToEnd(straight, false, log, model);
        killAfter(killed, false, firstKill, log, model);     // mid phase 1
        killAfter(killed, true, secondKill, log, model);     // mid phase 2
        runToEnd(killed, true, log, model);
        String children = Files.readString(log);
        assertTrue(children.contains("Resuming from"), "the resumed runs should say where they resumed from");
        for (String dir : new String[] {"phase1_adapter", "adapter"}) {
            byte[] a = Files.readAllBytes(straight.resolve(dir).resolve("adapter_model.safetensors"));
            byte[] b = Files.readAllBytes(killed.resolve(dir).resolve("adapter_model.safetensors"));
            assertArrayEquals(a, b, dir + "/adapter_model.safetensors differs after kill + resume");
        }
        List<MetricsLog.Entry> ma = MetricsLog.read(OutputLayout.ofLocal(straight).metrics().toLocalPath());
        List<MetricsLog.Entry> mb = MetricsLog.read(OutputLayout.ofLocal(killed).metrics().toLocalPath());
        assertEquals(ma.size(), mb.size(), "metrics records");
        for (int i = 0; i < ma.size(); i++) {
            MetricsLog.Entry x = ma.get(i);
            MetricsLog.Entry y = mb.get(i);
            assertEquals(List.of(x.phase(), x.step(), x.loss(), x.lr(), x.gradNorm(), x.tokens()),
                    List.of(y.phase(), y.step(), y.loss(), y.lr(), y.gradNorm(), y.tokens()), "metrics record " + i);
        }
        System.out.println(model + " kill+resume: " + ma.size() + " metrics records and both adapters identical; checkpoints left: "
                + Checkpoints.list(killed.resolve("checkpoints")).stream().map(p -> p.getFileName().toString()).toList()
               );
    }
}
