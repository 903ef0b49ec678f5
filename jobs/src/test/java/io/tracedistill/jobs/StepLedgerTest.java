package io.tracedistill.jobs;

import io.tracedistill.run.OutputLayout;
import io.tracedistill.run.RunPath;
import io.tracedistill.spark.RunFiles;
import io.tracedistill.testdata.SchemeLocalFileSystem;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StepLedgerTest {

    @Test
    void doneOnlyWithSameFingerprintAndMarker(@TempDir Path out) throws Exception {
        doneOnlyWithSameFingerprintAndMarker(new RunFiles(new Configuration()), out.toString(), out);
    }

    /** The same on a non-{@code file:} scheme (as on s3a:// or hdfs://): the ledger goes through Hadoop. */
    @Test
    void theLedgerLivesOnAnyHadoopFileSystem(@TempDir Path out) throws Exception {
        doneOnlyWithSameFingerprintAndMarker(new RunFiles(SchemeLocalFileSystem.register(new Configuration())),
                SchemeLocalFileSystem.uri(out), out);
        try (Stream<Path> files = Files.walk(out)) {
            assertEquals(List.of("prepared/manifest.json"), files.filter(Files::isRegularFile)
                    .map(p -> out.relativize(p).toString()).sorted().toList(), "only the layout's files are left");
        }
    }

    private static void doneOnlyWithSameFingerprintAndMarker(RunFiles files, String root, Path local) throws Exception {
        OutputLayout layout = OutputLayout.of(root);
        StepLedger ledger = new StepLedger(files, layout.stepLedger());
        RunPath marker = layout.preparedManifest();
        assertFalse(ledger.isDone("prepare", "abc", marker), "nothing recorded yet");
        ledger.markDone("prepare", "abc");
        assertTrue(Files.readString(local.resolve(".steps/prepare.json")).contains("\"abc\""));
        assertFalse(ledger.isDone("prepare", "abc", marker), "marker missing: the step's output is gone");
        Files.createDirectories(local.resolve("prepared"));
        Files.writeString(local.resolve("prepared/manifest.json"), "{}");
        assertTrue(ledger.isDone("prepare", "abc", marker));
        assertFalse(ledger.isDone("prepare", "abd", marker), "changed inputs re-run the step");
        ledger.markDone("prepare", "abd");
        assertTrue(ledger.isDone("prepare", "abd", marker), "a second record replaces the first");
        try (Stream<Path> files2 = Files.list(local.resolve(".steps"))) {
            assertEquals(List.of("prepare.json"), files2.map(p -> p.getFileName().toString()).toList(),
                    "no temporary or .crc file beside the record");
        }
        ledger.forget("prepare");
        assertFalse(ledger.isDone("prepare", "abd", marker));
    }

    @Test
    void fingerprintIsOrderInsensitiveAndValueSensitive() {
        String a = StepLedger.fingerprint(Map.of("x", 1, "y", List.of("a", "b")));
        String b = StepLedger.fingerprint(Map.of("y", List.of("a", "b"), "x", 1));
        String c = StepLedger.fingerprint(Map.of("x", 2, "y", List.of("a", "b")));
        assertEquals(a, b);
        assertNotEquals(a, c);
        assertEquals(64, a.length());
    }

    @Test
    void fileHashOfAbsentFile(@TempDir Path dir) throws Exception {
        assertEquals("absent", StepLedger.fileHash(dir.resolve("nope")));
        Path f = dir.resolve("f");
        Files.writeString(f, "abc");
        // sha256("abc")
        assertEquals("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", StepLedger.fileHash(f));
    }
}
