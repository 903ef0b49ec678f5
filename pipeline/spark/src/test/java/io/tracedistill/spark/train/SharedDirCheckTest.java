package io.tracedistill.spark.train;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The output_dir probe of {@code train_on: executors}: a rank that sees the driver's probe file passes; one that
 * does not (its node has its own disk at that path, simulated by another folder holding a probe of another run)
 * fails naming the file and the fix.
 */
class SharedDirCheckTest {

    @Test
    void aRankThatSeesTheProbePassesOneThatDoesNotFailsWithTheFix(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("out");
        ExecutorTraining.SharedDirCheck check = ExecutorTraining.SharedDirCheck.create(out);
        Path probe = out.resolve(check.name());
        assertTrue(Files.isRegularFile(probe));
        assertDoesNotThrow(() -> check.verify(1));

        // Another node: the same path on its own disk, without the driver's file.
        Files.delete(probe);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> check.verify(1));
        assertTrue(e.getMessage().contains("rank 1 on host") && e.getMessage().contains("does not see the file " + probe)
                && e.getMessage().contains("mounted at the same path on the driver and every executor"), e.getMessage());

        // A probe of another run at that path does not count either.
        Files.writeString(probe, "another run");
        assertThrows(IllegalStateException.class, () -> check.verify(0));

        check.delete();
        assertFalse(Files.exists(probe));
    }
}
