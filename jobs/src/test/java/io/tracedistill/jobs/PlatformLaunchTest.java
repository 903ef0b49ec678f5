package io.tracedistill.jobs;

import io.tracedistill.testdata.SampleDataGenerator;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * How the main class behaves under a launcher (issue 13, problems 2 and 3): the master comes from spark-submit
 * ({@code spark.*} system properties, as spark-submit passes them to the driver JVM) unless {@code spark_master}
 * overrides it; a plain launch gets {@code local[*]}; the log says which and why; {@code main} returns on success
 * (the JVM then ends by itself: no {@code System.exit}, no stray non-daemon thread) and fails by exception.
 */
class PlatformLaunchTest {
    private static final Path TINY_MODEL = Path.of("..", "src", "embedded", "tiny-qwen2").toAbsolutePath().normalize();

    private static Path config(Path dir, String extra) throws Exception {
        Path data = dir.resolve("train.csv");
        if (!Files.exists(data)) {
            SampleDataGenerator.writeFile(21, 40, data);
        }
        Path cfg = dir.resolve("run.yaml");
        Files.writeString(cfg, String.join("\n", "base_model: " + TINY_MODEL, "data_path: " + data,
                "hard_types: [bit_manipulation]", "output_dir: " + dir.resolve("out"), extra, ""));
        return cfg;
    }

    /** A driver JVM as spark-submit starts it in client mode: the Java 17 opens, {@code -Dspark.*}, the class path. */
    private static Process driver(List<String> sparkProps, Path log, String... args) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(java, "-Xmx1g", "-Dai.djl.offline=true"));
        for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (a.startsWith("--add-opens") || a.startsWith("-Djdk.reflect") || a.startsWith("-XX:+IgnoreUnrecognized")) {
                cmd.add(a);
            }
        }
        cmd.addAll(sparkProps);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), Cli.class.getName()));
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    private static String finish(Process p, Path log, int expectedStatus) throws Exception {
        boolean ended = p.waitFor(180, TimeUnit.SECONDS);
        String text = Files.readString(log);
        if (!ended) {
            p.destroyForcibly();
        }
        assertTrue(ended, "the driver JVM did not end by itself after main returned (a non-daemon thread?):\n" + text);
        assertEquals(expectedStatus, p.exitValue(), text);
        return text;
    }

    @Test
    void submitMasterIsUsedAndMainReturnsSoTheJvmEnds(@TempDir Path dir) throws Exception {
        Path cfg = config(dir, "");
        Path log = dir.resolve("submit.log");
        String text = finish(driver(List.of("-Dspark.master=local[1]", "-Dspark.app.name=submitted-name",
                "-Dspark.driver.host=127.0.0.1", "-Dspark.driver.bindAddress=127.0.0.1"), log,
                "prepare", "--cfg", cfg.toString()), log, 0);
        assertTrue(text.contains("[spark] master local[1] (spark.master from spark-submit or the cluster's spark-defaults)"),
                text);
        assertTrue(text.contains("[prepare] done"), text);
        assertTrue(Files.exists(dir.resolve("out/prepared/manifest.json")), text);
    }

    @Test
    void plainLaunchGetsLocalStarAndAFailureIsAnExceptionWithNonZeroStatus(@TempDir Path dir) throws Exception {
        Path cfg = config(dir, "");
        Path log = dir.resolve("plain.log");
        String text = finish(driver(List.of(), log, "prepare", "--cfg", cfg.toString()), log, 0);
        assertTrue(text.contains("[spark] master local[*] (plain local launch: no master from spark-submit, the cluster "
                + "or spark_master in " + cfg + "); unset, so filled in: {spark.driver.bindAddress=127.0.0.1, "
                + "spark.driver.host=127.0.0.1, spark.sql.session.timeZone=UTC, spark.ui.enabled=false}"), text);

        Path failLog = dir.resolve("fail.log");
        text = finish(driver(List.of(), failLog, "prepare", "--cfg", cfg.toString(), "--set", "world_size=0"), failLog, 1);
        assertTrue(text.contains("Invalid value 0 for world_size in " + cfg + " with --set world_size=0: must be at least 1"),
                text);
        assertTrue(text.contains("Exception in thread \"main\" io.tracedistill.jobs.Cli$CommandFailedException: "
                + "tracedistill prepare failed with status 1"), text);
    }

    /**
     * In this JVM: {@code main} returns (a {@code System.exit} here would end the test JVM and fail the build), the
     * YAML's {@code spark_master} is logged as an override, and {@code --set} reaches the run.
     */
    @Test
    void mainReturnsInProcessAndTheYamlMasterIsAnOverride(@TempDir Path dir) throws Exception {
        Path cfg = config(dir, "spark_master: local[1]");
        PrintStream saved = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            Cli.main(new String[] {"prepare", "--cfg", cfg.toString(), "--set", "seed=5"});
        } finally {
            System.setOut(saved);
        }
        String text = captured.toString(StandardCharsets.UTF_8);
        assertTrue(text.contains("[spark] master local[1] (spark_master in " + cfg + ", an explicit override of the "
                + "platform (which set no master))"), text);
        assertTrue(Files.readString(dir.resolve("out/resolved_config.yaml")).contains("seed: 5"), "the --set value is run");

        Cli.CommandFailedException e = assertThrows(Cli.CommandFailedException.class,
                () -> Cli.main(new String[] {"prepare", "--cfg", cfg.toString(), "--set", "nope=1"}));
        assertEquals(1, e.status());
    }
}
