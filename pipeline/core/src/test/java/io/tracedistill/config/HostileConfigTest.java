package io.tracedistill.config;

import io.tracedistill.python.PyObjects;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * Hostile configs from issue 17 (items 9, 10 and the config messages): each is refused before any
 * work, quickly, with a message that names the file, the key and the fix.
 */
class HostileConfigTest {

    private static final String MIN = "base_model: m\ndata_path: d.csv\nhard_types: [t]\n";

    private static String error(String yaml) {
        return assertThrows(ConfigException.class, () -> ConfigLoader.parse(yaml, "conf/x.yaml")).getMessage();
    }

    /** Item 9: a huge value used to spin for minutes; now the size is checked before YAML parsing. */
    @Test
    void oversizedConfigFileIsRefusedQuicklyNamingTheFileAndTheCap(@TempDir Path tmp) throws IOException {
        Path big = tmp.resolve("big.yaml");
        Files.writeString(big, MIN + "prompt_suffix: \"" + "x".repeat(8 * 1024 * 1024) + "\"\n");
        ConfigException e = assertTimeoutPreemptively(Duration.ofSeconds(5),
                () -> assertThrows(ConfigException.class, () -> ConfigLoader.load(big)));
        assertTrue(e.getMessage().contains(big.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("1 MiB") && e.getMessage().contains("larger"), e.getMessage());
        String text = assertTimeoutPreemptively(Duration.ofSeconds(5),
                () -> error(MIN + "prompt_suffix: \"" + "y".repeat(2 * 1024 * 1024) + "\"\n"));
        assertTrue(text.contains("conf/x.yaml") && text.contains("1 MiB"), text);
    }

    /** Item 10: {@code rec: &r [*r]} gave a StackOverflowError with a 1,025-line trace. */
    @Test
    void selfReferencingAliasNamesTheFileAndTheKey() {
        String text = error(MIN + "rec: &r [*r]\n");
        assertTrue(text.contains("conf/x.yaml") && text.contains("rec") && text.contains("refers to itself"), text);
        String nested = error(MIN + "phase1: &p {learning_rate: 1.0e-4, inner: *p}\n");
        assertTrue(nested.contains("phase1") && nested.contains("refers to itself"), nested);
    }

    @Test
    void binaryValueIsShownAsPythonBytesNotAJavaArrayName() {
        String text = error("base_model: !!binary aGk=\ndata_path: d.csv\nhard_types: [t]\n");
        assertFalse(text.contains("[B@"), text);
        assertTrue(text.contains("b'hi'") && text.contains("base_model"), text);
        assertEquals("b'a\\\\\\x00\\n\\xff\"'", PyObjects.repr(new byte[] {'a', '\\', 0, '\n', (byte) 0xff, '"'}));
        assertEquals("b\"it's\"", PyObjects.repr("it's".getBytes()));
    }

    @Test
    void aGpuListedTwiceIsRefusedForThatReason() {
        assertEquals("Invalid value 'gpu:0,0' for device in conf/x.yaml: lists GPU 0 twice; "
                + "each GPU may be listed once, as in gpu:0,1", error(MIN + "device: 'gpu:0,0'\n"));
        assertEquals("Invalid value 'gpu:99999999999' for device in conf/x.yaml: " + DeviceSpec.REQUIREMENT,
                error(MIN + "device: 'gpu:99999999999'\n"));
        assertEquals(List.of(1, 0), ConfigLoader.parse(MIN + "device: 'gpu:1,0'\nworld_size: 2\n", "c").model().device().gpuIndices());
    }

    @Test
    void aBadSparkMasterNamesTheKey() {
        String text = error(MIN + "spark_master: 'lokal[2]'\n");
        assertTrue(text.startsWith("Invalid value 'lokal[2]' for spark_master in conf/x.yaml: must be a Spark master URL"),
                text);
        for (String ok : List.of("local", "local[*]", "local[4]", "local[2,3]", "spark://h:7077", "yarn",
                "k8s://https://h:6443", "local-cluster[2,1,1024]")) {
            assertEquals(Optional.of(ok), ConfigLoader.parse(MIN + "spark_master: '" + ok + "'\n", "c").output().sparkMaster(),
                    ok);
        }
    }
}
