package io.tracedistill.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tracedistill.config.Redaction;
import io.tracedistill.run.OutputLayout;
import io.tracedistill.spark.ShardFiles;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileAlreadyExistsException;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Guards {@code output_dir} for one run, so that nothing of the user's is lost and two runs never write
 * into one folder:
 * <ol>
 *   <li>refuses {@code /}, the home folder and the repository the command runs in (outright);</li>
 *   <li>refuses an existing folder that is not empty and carries no run marker ({@value #MARKER}), listing
 *       what is there: the pipeline only ever deletes or overwrites files in folders it created;</li>
 *   <li>takes a lock file ({@value #LOCK}: host, pid, start time, heartbeat), created only if absent; a second
 *       run refuses, naming the holder; the lock is removed when the run ends. While the run lasts its heartbeat is
 *       rewritten every {@link #HEARTBEAT}. A lock left by a run that is gone (a killed driver) is taken over, with a
 *       line saying so: one from this host whose pid no longer runs (or now belongs to a process started after the
 *       lock), and one from another host whose heartbeat is older than {@link #LEASE};</li>
 *   <li>writes the marker (with the config fingerprint) and removes this folder's stale
 *       {@code prepared/_tmp-<uuid>} and {@code tokens/_tmp-<uuid>} staging folders, which only a killed stage
 *       leaves (the lock proves none is running).</li>
 * </ol>
 * Everything goes through Hadoop's {@link FileSystem}, so it works for {@code hdfs://} and {@code s3a://}
 * output too. On the local file system the lock is created with {@code CREATE_NEW} (atomic); on HDFS
 * {@code create(overwrite=false)} is atomic; on S3 it is a check-then-create, which narrows but cannot close the
 * race between two runs started in the same second.
 */
final class OutputDirGuard implements AutoCloseable {
    static final String MARKER = OutputLayout.RUN_MARKER;
    static final String LOCK = OutputLayout.LOCK;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int LISTED = 20;

    /** How often the holder rewrites the lock's heartbeat. */
    static final Duration HEARTBEAT = Duration.ofMinutes(1);
    /**
     * A lock from another host whose heartbeat is older than this is stale: five missed heartbeats, which also
     * covers a few minutes of clock difference between the hosts.
     */
    static final Duration LEASE = HEARTBEAT.multipliedBy(5);

    private final FileSystem fs;
    private final Path lock;
    private final ObjectNode holder;
    private final ScheduledExecutorService heartbeat;

    private OutputDirGuard(FileSystem fs, Path lock, ObjectNode holder, java.io.PrintStream out) {
        this.fs = fs;
        this.lock = lock;
        this.holder = holder;
        this.heartbeat = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "tracedistill-lock-heartbeat");
            t.setDaemon(true);
            return t;
        });
        long every = HEARTBEAT.toMillis();
        heartbeat.scheduleAtFixedRate(() -> beat(out), every, every, TimeUnit.MILLISECONDS);
    }

    /** Rewrites the heartbeat; a failed write is reported, not fatal (the lock stays, just ages). */
    private void beat(java.io.PrintStream out) {
        holder.put("heartbeat", Instant.now().toString());
        try {
            byte[] body = JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(holder);
            if (isFileScheme(lock)) {
                Files.write(java.nio.file.Path.of(lock.toUri()), body); // no .crc side file, as at creation
            } else {
                try (OutputStream os = fs.create(lock, true)) {
                    os.write(body);
                }
            }
        } catch (IOException e) {
            out.println("warning: cannot refresh the heartbeat of the lock " + shown(lock) + ": " + e.getMessage()
                    + "; another run may take the lock over once it is older than " + LEASE.toMinutes() + " min");
        }
    }

    /** The guard for {@code ctx}'s output_dir, on its file system ({@link JobContext#files()}). */
    static OutputDirGuard acquire(JobContext ctx) {
        return acquire(ctx.cfg().output().outputDir(), ctx.files().conf(), ctx.cfg().fingerprint(), java.nio.file.Path.of("").toAbsolutePath(), ctx.out());
    }

    /**
     * Checks and locks {@code outputDir}; {@code workingDir} is where the command runs (its repository root is
     * refused).
     */
    static OutputDirGuard acquire(String outputDir, Configuration conf, String configFingerprint,
                                  java.nio.file.Path workingDir, java.io.PrintStream out) {
        Path dir = new Path(outputDir);
        try {
            FileSystem fs = dir.getFileSystem(conf);
            dir = fs.makeQualified(dir);
            refuseProtected(dir, workingDir);
            if (fs.exists(dir)) {
                FileStatus st = fs.getFileStatus(dir);
                if (!st.isDirectory()) {
                    throw new IllegalArgumentException("output_dir " + shown(dir) + " is a file; set output_dir to a new"
                            + " folder (or a folder an earlier run created)");
                }
                if (!fs.exists(new Path(dir, MARKER))) {
                    FileStatus[] children = fs.listStatus(dir);
                    if (children.length > 0) {
                        List<String> names = new ArrayList<>();
                        for (FileStatus c : children) {
                            names.add(c.getPath().getName() + (c.isDirectory() ? "/" : ""));
                        }
                        names.sort(null);
                        String listed = String.join(", ", names.subList(0, Math.min(LISTED, names.size())))
                                + (names.size() > LISTED ? ", … (" + names.size() + " entries)" : "");
                        throw new IllegalArgumentException("output_dir " + shown(dir) + " already holds files this"
                                + " pipeline did not create (" + listed + ") and no " + MARKER + " marker; a run would"
                                + " overwrite or delete them. Set output_dir to a new or empty folder");
                    }
                }
            }
            fs.mkdirs(dir);
            Path lock = new Path(dir, LOCK);
            ObjectNode holder = takeLock(fs, lock, out);
            OutputDirGuard guard = new OutputDirGuard(fs, lock, holder, out);
            try {
                writeMarker(fs, new Path(dir, MARKER), configFingerprint);
                guard.removeStaleStaging(new Path(dir, OutputLayout.PREPARED), out);
                guard.removeStaleStaging(new Path(dir, OutputLayout.TOKENS), out);
            } catch (IOException | RuntimeException e) {
                guard.close();
                throw e;
            }
            return guard;
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot prepare output_dir " + shown(dir) + ": " + e.getMessage(), e);
        }
    }

    /** {@code /}, the home folder, and the git repository holding {@code workingDir}. */
    private static void refuseProtected(Path dir, java.nio.file.Path workingDir) {
        if (!"file".equals(dir.toUri().getScheme())) {
            if (dir.isRoot()) {
                throw new IllegalArgumentException("output_dir " + shown(dir) + " is the root of its file system;"
                        + " set output_dir to a folder of its own");
            }
            return;
        }
        java.nio.file.Path p = java.nio.file.Path.of(dir.toUri()).normalize();
        java.nio.file.Path home = java.nio.file.Path.of(System.getProperty("user.home")).toAbsolutePath().normalize();
        String why = p.getParent() == null ? "the file system root"
                : p.equals(home) ? "your home folder"
                : p.equals(repoRoot(workingDir)) ? "the root of the repository you run in" : null;
        if (why != null) {
            throw new IllegalArgumentException("output_dir " + p + " is " + why + "; a run must not write there."
                    + " Set output_dir to a folder of its own, e.g. " + p.resolve("tracedistill_output"));
        }
    }

    /** The nearest folder at or above {@code dir} holding {@code .git}, or null. */
    static java.nio.file.Path repoRoot(java.nio.file.Path dir) {
        for (java.nio.file.Path p = dir.toAbsolutePath().normalize(); p != null; p = p.getParent()) {
            if (Files.exists(p.resolve(".git"))) {
                return p;
            }
        }
        return null;
    }

    /** Creates the lock (if absent, or after taking over a stale one); returns what it says. */
    private static ObjectNode takeLock(FileSystem fs, Path lock, java.io.PrintStream out) throws IOException {
        String now = Instant.now().toString();
        ObjectNode who = JSON.createObjectNode()
                .put("host", thisHost())
                .put("pid", ProcessHandle.current().pid())
                .put("started", now)
                .put("heartbeat", now);
        byte[] body = JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(who);
        for (int attempt = 0; ; attempt++) {
            try {
                createIfAbsent(fs, lock, body);
                return who;
            } catch (FileAlreadyExistsException | java.nio.file.FileAlreadyExistsException e) {
                String text;
                try (var in = fs.open(lock)) {
                    text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
                } catch (java.io.FileNotFoundException gone) {
                    continue; // released between our create and our read: try again
                } catch (IOException unreadable) {
                    text = null;
                }
                String holder = text == null ? "(unreadable)" : text.replaceAll("\\s+", " ").strip();
                String stale = text == null || attempt > 0 ? null : staleness(text, Instant.now());
                if (stale == null) {
                    throw new IllegalStateException("Another run is using output_dir " + shown(lock.getParent())
                            + ": its lock " + shown(lock) + " says " + holder + ". Wait for it to finish. A lock left"
                            + " by a run that is gone is taken over by the next run: on the same host as soon as its"
                            + " pid no longer runs, from another host once its heartbeat is older than "
                            + LEASE.toMinutes() + " min (the holder refreshes it every " + HEARTBEAT.toMinutes()
                            + " min)");
                }
                // Delete only the lock we judged: if another run took it over meanwhile, its content differs.
                if (!sameText(fs, lock, text)) {
                    continue;
                }
                fs.delete(lock, false);
                out.println("took over the lock " + shown(lock) + " left by " + holder + ": " + stale);
            }
        }
    }

    private static boolean isFileScheme(Path p) {
        return "file".equals(p.toUri().getScheme());
    }

    private static void createIfAbsent(FileSystem fs, Path lock, byte[] body) throws IOException {
        if (isFileScheme(lock)) {
            Files.write(java.nio.file.Path.of(lock.toUri()), body, java.nio.file.StandardOpenOption.CREATE_NEW,
                    java.nio.file.StandardOpenOption.WRITE);
        } else {
            if (fs.exists(lock)) {
                throw new FileAlreadyExistsException(lock.toString());
            }
            try (OutputStream os = fs.create(lock, false)) {
                os.write(body);
            }
        }
    }

    private static boolean sameText(FileSystem fs, Path lock, String text) {
        try (var in = fs.open(lock)) {
            return text.equals(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * Why the lock {@code text} is stale at {@code now}, or null while its holder may be running: on this host, its pid
     * is gone or is now a process started after the lock; from another host, its heartbeat ({@code started} for a
     * lock without one) is older than {@link #LEASE}. A lock that cannot be parsed is never judged stale.
     */
    static String staleness(String text, Instant now) {
        JsonNode l;
        Instant started;
        Instant beat;
        try {
            l = JSON.readTree(text);
            started = Instant.parse(l.path("started").asText());
            beat = l.hasNonNull("heartbeat") ? Instant.parse(l.get("heartbeat").asText()) : started;
        } catch (IOException | RuntimeException unparsable) {
            return null;
        }
        String host = l.path("host").asText("");
        long pid = l.path("pid").asLong(-1);
        if (host.equals(thisHost()) && pid > 0) {
            Optional<ProcessHandle> p = ProcessHandle.of(pid);
            if (p.isEmpty() || !p.get().isAlive()) {
                return "process " + pid + " on this host is no longer running";
            }
            Optional<Instant> pStart = p.get().info().startInstant();
            if (pStart.isPresent() && pStart.get().isAfter(started.plusSeconds(1))) {
                return "pid " + pid + " now belongs to a process started at " + pStart.get() + ", after the lock";
            }
            return null;
        }
        Duration age = Duration.between(beat, now);
        if (age.compareTo(LEASE) > 0) {
            return "its heartbeat is " + age.toMinutes() + " min old (a running holder refreshes it every "
                    + HEARTBEAT.toMinutes() + " min; stale after " + LEASE.toMinutes() + " min)";
        }
        return null;
    }

    private static String thisHost() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (java.net.UnknownHostException e) {
            return "localhost";
        }
    }

    private static void writeMarker(FileSystem fs, Path marker, String configFingerprint) throws IOException {
        ObjectNode m = JSON.createObjectNode().put("created_by", "tracedistill")
                .put("config_fingerprint", configFingerprint).put("updated", Instant.now().toString());
        try (OutputStream os = fs.create(marker, true)) {
            os.write(JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(m));
        }
    }

    /** Deletes {@code <stage>/_tmp-*} left by a killed prepare or tokenize (safe: this run holds the lock). */
    private void removeStaleStaging(Path stageDir, java.io.PrintStream out) throws IOException {
        if (!fs.exists(stageDir)) {
            return;
        }
        for (FileStatus c : fs.listStatus(stageDir)) {
            if (c.isDirectory() && c.getPath().getName().startsWith(ShardFiles.STAGING_PREFIX)) {
                fs.delete(c.getPath(), true);
                out.println("removed " + shown(c.getPath()) + ", left by an earlier run of this stage that did not finish");
            }
        }
    }

    private static String shown(Path p) {
        return Redaction.text(p.toString());
    }

    /** Releases the lock. */
    @Override
    public void close() {
        heartbeat.shutdownNow();
        try {
            heartbeat.awaitTermination(10, TimeUnit.SECONDS); // a beat in flight must not recreate the lock
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            fs.delete(lock, false);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot remove the lock " + shown(lock) + "; delete it by hand", e);
        }
    }
}
