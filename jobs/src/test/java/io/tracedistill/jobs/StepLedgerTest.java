package io.tracedistill.jobs;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StepLedgerTest {

    @Test
    void doneOnlyWithSameFingerprintAndMarker(@TempDir Path out) throws Exception {
        StepLedger ledger = new StepLedger(out);
        Path marker = out.resolve("prepared/manifest.json");
        assertFalse(ledger.isDone("prepare", "abc", marker), "nothing recorded yet");
        ledger.markDone("prepare", "abc");
        assertFalse(ledger.isDone("prepare", "abc", marker), "marker missing: the step's output is gone");
        Files.createDirectories(marker.getParent());
        Files.writeString(marker, "{}");
        assertTrue(ledger.isDone("prepare", "abc", marker));
        assertFalse(ledger.isDone("prepare", "abd", marker), "changed inputs re-run the step");
        ledger.forget("prepare");
        assertFalse(ledger.isDone("prepare", "abc", marker));
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
