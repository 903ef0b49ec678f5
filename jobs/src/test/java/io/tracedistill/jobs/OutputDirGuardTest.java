package io.tracedistill.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 17 item 1 and the lock and temp-folder messages: {@code output_dir} pointing at a user's folder
 * destroyed their files with exit 0; two runs on one folder had no lock; a killed prepare's
 * {@code prepared/_tmp-<uuid>} was never removed.
 */
class OutputDirGuardTest {
    private static final PrintStream QUIET = new PrintStream(OutputStream.nullOutputStream());

    private static List<String> listing(Path dir) throws Exception {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.map(p -> dir.relativize(p).toString()).sorted().toList();
        }
    }

    /** Through the CLI: the folder is refused, its contents listed and left exactly as they were. */
    @Test
    void aUserFolderWithoutTheMarkerIsRefusedAndLeftUntouched(@TempDir Path tmp) throws Exception {
        Path user = tmp.resolve("mine");
        Files.createDirectories(user.resolve("tokens"));
        Files.createDirectories(user.resolve("eval/predictions"));
        Files.writeString(user.resolve("report.md"), "my notes");
        Files.writeString(user.resolve("submission.zip"), "my zip");
        List<String> before = listing(user);
        Path cfg = tmp.resolve("run.yaml");
        Files.writeString(cfg, "base_model: m\ndata_path: " + tmp.resolve("d.csv") + "\nhard_types: [t]\noutput_dir: " + user
                + "\nspark_master: local[1]\n");
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Cli.run(new String[] {"prepare", "--cfg", cfg.toString()}, QUIET,
                new PrintStream(err, true, StandardCharsets.UTF_8));
        String msg = err.toString(StandardCharsets.UTF_8);
        assertEquals(1, code, msg);
        assertTrue(msg.contains("already holds files this pipeline did not create (eval/, report.md, submission.zip, tokens/)"),
                msg);
        assertEquals(before, listing(user), "nothing may be added, changed or removed");
        assertEquals("my notes", Files.readString(user.resolve("report.md")));
    }

    @Test
    void rootHomeAndTheRepositoryRootAreRefused(@TempDir Path tmp) throws Exception {
        Path repo = Files.createDirectories(tmp.resolve("repo"));
        Files.createDirectories(repo.resolve(".git"));
        Path work = Files.createDirectories(repo.resolve("sub/dir"));
        for (String dir : List.of("/", System.getProperty("user.home"), repo.toString())) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> OutputDirGuard.acquire(dir, new Configuration(), "fp", work, QUIET));
            assertTrue(e.getMessage().contains("a run must not write there"), e.getMessage());
        }
        try (OutputDirGuard g = OutputDirGuard.acquire(repo.resolve("out").toString(), new Configuration(), "fp", work, QUIET)) {
            assertTrue(Files.isRegularFile(repo.resolve("out").resolve(OutputDirGuard.MARKER)));
        }
    }

    @Test
    void aSecondRunIsRefusedWhileTheFirstHoldsTheLock(@TempDir Path tmp) throws Exception {
        String out = tmp.resolve("out").toString();
        try (OutputDirGuard first = OutputDirGuard.acquire(out, new Configuration(), "fp", tmp, QUIET)) {
            String lock = Files.readString(Path.of(out, OutputDirGuard.LOCK));
            assertTrue(lock.contains("\"pid\" : " + ProcessHandle.current().pid()) && lock.contains("\"host\"")
                    && lock.contains("\"started\""), lock);
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> OutputDirGuard.acquire(out, new Configuration(), "fp", tmp, QUIET));
            assertTrue(e.getMessage().startsWith("Another run is using output_dir")
                    && e.getMessage().contains("\"pid\" : " + ProcessHandle.current().pid()), e.getMessage());
        }
        assertFalse(Files.exists(Path.of(out, OutputDirGuard.LOCK)), "the lock is released when the run ends");
        OutputDirGuard.acquire(out, new Configuration(), "fp", tmp, QUIET).close();
    }

    private static String lockJson(String host, long pid, Instant started, Instant heartbeat) {
        return "{\n  \"host\" : \"" + host + "\",\n  \"pid\" : " + pid + ",\n  \"started\" : \"" + started
                + "\",\n  \"heartbeat\" : \"" + heartbeat + "\"\n}";
    }

    /** A killed driver's lock on this host: its pid is gone, so the next run takes the lock over and says so. */
    @Test
    void aLockOfADeadProcessOnThisHostIsTakenOver(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("out");
        OutputDirGuard.acquire(out.toString(), new Configuration(), "fp", tmp, QUIET).close();
        Process p = new ProcessBuilder("true").start();
        p.waitFor();
        long deadPid = p.pid();
        assertFalse(ProcessHandle.of(deadPid).map(ProcessHandle::isAlive).orElse(false), "the process has exited");
        Instant started = Instant.now().minusSeconds(30);
        Files.writeString(out.resolve(OutputDirGuard.LOCK), lockJson(InetAddress.getLocalHost().getHostName(),
                deadPid, started, started));
        ByteArrayOutputStream said = new ByteArrayOutputStream();
        try (OutputDirGuard g = OutputDirGuard.acquire(out.toString(), new Configuration(), "fp", tmp,
                new PrintStream(said, true, StandardCharsets.UTF_8))) {
            String line = said.toString(StandardCharsets.UTF_8);
            assertTrue(line.contains("took over the lock") && line.contains("\"pid\" : " + deadPid)
                    && line.contains("process " + deadPid + " on this host is no longer running"), line);
            assertTrue(Files.readString(out.resolve(OutputDirGuard.LOCK)).contains("\"pid\" : "
                    + ProcessHandle.current().pid()), "the lock is now this run's");
        }
        // A live holder on this host (this JVM) is never stale, however old its lock.
        assertEquals(null, OutputDirGuard.staleness(lockJson(InetAddress.getLocalHost().getHostName(),
                ProcessHandle.current().pid(), Instant.now().minusSeconds(1), Instant.now().minusSeconds(3600)),
                Instant.now()));
    }

    /**
     * A lock from another host (its pid cannot be checked): refused while its heartbeat is within the lease, taken
     * over once the heartbeat is older than {@link OutputDirGuard#LEASE}.
     */
    @Test
    void aLockFromAnotherHostIsStaleOnceItsHeartbeatIsOlderThanTheLease(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("out");
        OutputDirGuard.acquire(out.toString(), new Configuration(), "fp", tmp, QUIET).close();
        Instant now = Instant.now();
        Instant started = now.minus(Duration.ofHours(2));
        Files.writeString(out.resolve(OutputDirGuard.LOCK), lockJson("other-driver.example", 4242, started,
                now.minus(OutputDirGuard.LEASE).plusSeconds(60)));
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> OutputDirGuard.acquire(out.toString(), new Configuration(), "fp", tmp, QUIET));
        assertTrue(e.getMessage().contains("other-driver.example") && e.getMessage().contains("older than "
                + OutputDirGuard.LEASE.toMinutes() + " min"), e.getMessage());
        Files.writeString(out.resolve(OutputDirGuard.LOCK), lockJson("other-driver.example", 4242, started,
                now.minus(OutputDirGuard.LEASE).minusSeconds(60)));
        ByteArrayOutputStream said = new ByteArrayOutputStream();
        try (OutputDirGuard g = OutputDirGuard.acquire(out.toString(), new Configuration(), "fp", tmp,
                new PrintStream(said, true, StandardCharsets.UTF_8))) {
            String line = said.toString(StandardCharsets.UTF_8);
            assertTrue(line.contains("took over the lock") && line.contains("other-driver.example")
                    && line.contains("its heartbeat is " + (OutputDirGuard.LEASE.toMinutes() + 1) + " min old"), line);
        }
        assertFalse(Files.exists(out.resolve(OutputDirGuard.LOCK)));
    }

    @Test
    void aKilledPreparesTempFolderIsRemovedByTheNextRun(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("out");
        OutputDirGuard.acquire(out.toString(), new Configuration(), "fp", tmp, QUIET).close();
        Path stale = Files.createDirectories(out.resolve("prepared/_tmp-1234/phase1"));
        Files.writeString(stale.resolve("part-0.parquet"), "x");
        Files.createDirectories(out.resolve("prepared/phase1"));
        ByteArrayOutputStream said = new ByteArrayOutputStream();
        OutputDirGuard.acquire(out.toString(), new Configuration(), "fp", tmp,
                new PrintStream(said, true, StandardCharsets.UTF_8)).close();
        assertFalse(Files.exists(out.resolve("prepared/_tmp-1234")));
        assertTrue(Files.isDirectory(out.resolve("prepared/phase1")), "finished output stays");
        assertTrue(said.toString(StandardCharsets.UTF_8).contains("_tmp-1234"), said.toString(StandardCharsets.UTF_8));
    }

    /**
     * The guard on a file system that is not {@code file:} (the local disk under the test scheme
     * {@code tdtest:}, opened through Hadoop as an {@code s3a://} or {@code hdfs://} output_dir is): the marker is
     * written, the lock taken by create-if-absent and released, a second run refused, and a user's folder refused.
     */
    @Test
    void markerAndLockWorkOnANonFileScheme(@TempDir Path tmp) throws Exception {
        Configuration conf = io.tracedistill.testdata.SchemeLocalFileSystem.register(new Configuration());
        String out = io.tracedistill.testdata.SchemeLocalFileSystem.uri(tmp.resolve("out"));
        assertTrue(out.startsWith("tdtest:/"), out);
        try (OutputDirGuard first = OutputDirGuard.acquire(out, conf, "fp-1", tmp, QUIET)) {
            assertTrue(Files.readString(tmp.resolve("out").resolve(OutputDirGuard.MARKER)).contains("\"fp-1\""));
            assertTrue(Files.readString(tmp.resolve("out").resolve(OutputDirGuard.LOCK))
                    .contains("\"pid\" : " + ProcessHandle.current().pid()));
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> OutputDirGuard.acquire(out, conf, "fp-1", tmp, QUIET));
            assertTrue(e.getMessage().startsWith("Another run is using output_dir tdtest:"), e.getMessage());
        }
        assertFalse(Files.exists(tmp.resolve("out").resolve(OutputDirGuard.LOCK)), "released");
        assertEquals(List.of("", OutputDirGuard.MARKER), listing(tmp.resolve("out")), "no temporary or side file left");
        Files.createDirectories(tmp.resolve("theirs"));
        Files.writeString(tmp.resolve("theirs/notes.txt"), "mine");
        IllegalArgumentException refused = assertThrows(IllegalArgumentException.class, () -> OutputDirGuard.acquire(
                io.tracedistill.testdata.SchemeLocalFileSystem.uri(tmp.resolve("theirs")), conf, "fp", tmp, QUIET));
        assertTrue(refused.getMessage().contains("(notes.txt)"), refused.getMessage());
    }
}
