package io.tracedistill.spark;

import io.tracedistill.config.Redaction;
import io.tracedistill.run.RunPath;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;
import org.apache.hadoop.fs.FileChecksum;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;

/**
 * Local copies of folders that live on a Hadoop file system, for the code that needs {@code java.nio} files (DJL loads
 * a model's weights and tokenizer from a local folder; training writes checkpoints and adapters locally first).
 *
 * <p>The cache root is {@value #DIR_PROPERTY} (system property), else {@value #DIR_ENV} (environment), else
 * {@code <java.io.tmpdir>/tracedistill-cache}: node-local disk, shared by every task of every executor on the node.
 *
 * <p>{@link #localFolder} copies a remote folder once per node: the copy's name is the SHA-256 of the folder's
 * listing (every file's relative name, length, modification time and, where the file system has one, its checksum
 * such as HDFS's MD5-of-CRC or an S3 ETag), so a changed model gets a new copy and an unchanged one is reused. The copy
 * is made under a temporary name, verified (every file's length equals the listing's), recorded with each file's
 * SHA-256 in {@value #RECORD}, and renamed into place in one step; two tasks that copy at once both succeed and one
 * copy wins.
 */
public final class NodeLocalCache {
    public static final String DIR_PROPERTY = "tracedistill.cache.dir";
    public static final String DIR_ENV = "TRACEDISTILL_CACHE_DIR";
    /** Written last into a finished copy: the source, and every file's length and SHA-256. */
    public static final String RECORD = ".tracedistill-copy.json";

    private NodeLocalCache() {}

    /** The node-local cache root (created). */
    public static Path root() {
        String dir = System.getProperty(DIR_PROPERTY);
        if (dir == null || dir.isBlank()) {
            dir = System.getenv(DIR_ENV);
        }
        Path root = dir == null || dir.isBlank() ? Path.of(System.getProperty("java.io.tmpdir"), "tracedistill-cache")
                : Path.of(dir);
        try {
            return Files.createDirectories(root.toAbsolutePath());
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot create the local cache " + root + " (set " + DIR_ENV
                    + " or -D" + DIR_PROPERTY + " to a writable local folder): " + e.getMessage(), e);
        }
    }

    /**
     * The local form of the folder {@code folder}: itself when it is a plain path or {@code file:} (no copy), else
     * this node's verified copy under {@code <root>/folders/<listing sha256>} (made on first use).
     *
     * @param what what the folder is, for messages ({@code base_model}, {@code eval adapter})
     */
    public static Path localFolder(RunFiles files, RunPath folder, String what) {
        if (folder.isLocal()) {
            return folder.toLocalPath();
        }
        FileSystem fs = files.fs(folder);
        List<Entry> listing = new ArrayList<>();
        try {
            org.apache.hadoop.fs.Path top = ShardFiles.hadoopPath(folder);
            if (!fs.exists(top) || !fs.getFileStatus(top).isDirectory()) {
                throw new IllegalArgumentException(what + " " + Redaction.text(folder.uri()) + " is not a folder on its"
                        + " file system; set " + what + " to the folder that holds its files");
            }
            list(fs, top, "", listing);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot list " + what + " " + Redaction.text(folder.uri()) + ": " + e.getMessage(), e);
        }
        listing.sort(Comparator.comparing(Entry::name));
        StringBuilder key = new StringBuilder();
        for (Entry e : listing) {
            key.append(e.name).append('\t').append(e.length).append('\t').append(e.modified).append('\t')
                    .append(e.checksum).append('\n');
        }
        Path dir = root().resolve("folders");
        Path copy = dir.resolve(RunFiles.sha256Hex(key.toString().getBytes(StandardCharsets.UTF_8)));
        if (complete(copy, listing)) {
            return copy;
        }
        Path tmp = dir.resolve("_tmp-" + UUID.randomUUID());
        try {
            StringBuilder record = new StringBuilder("{\"source\": \"" + Redaction.text(folder.uri()).replace("\"", "\\\"")
                    + "\", \"files\": {");
            String sep = "";
            for (Entry e : listing) {
                Path to = tmp.resolve(e.name);
                files.downloadFile(folder.resolve(e.name), to);
                long got = Files.size(to);
                if (got != e.length) {
                    throw new IOException(e.name + " copied with " + got + " bytes, the source has " + e.length);
                }
                record.append(sep).append("\"").append(e.name.replace("\"", "\\\"")).append("\": {\"bytes\": ")
                        .append(e.length).append(", \"sha256\": \"").append(fileSha256(to)).append("\"}");
                sep = ", ";
            }
            record.append("}}\n");
            Files.writeString(tmp.resolve(RECORD), record, StandardCharsets.UTF_8);
            try {
                Files.move(tmp, copy, StandardCopyOption.ATOMIC_MOVE);
            } catch (java.nio.file.FileSystemException exists) {
                // Linux reports a non-empty target as a plain FileSystemException ("Directory not empty").
                if (complete(copy, listing)) {
                    deleteRecursively(tmp); // another task on this node (a rank, an eval partition) finished first
                    return copy;
                }
                // A damaged copy (a file of the wrong length): replace it. Never deleted before this point, since
                // another task may be reading a copy that became complete after this task's first look.
                deleteRecursively(copy);
                Files.move(tmp, copy, StandardCopyOption.ATOMIC_MOVE);
            }
            return copy;
        } catch (IOException | RuntimeException e) {
            deleteQuietly(tmp, e);
            throw new IllegalStateException("Cannot copy " + what + " " + Redaction.text(folder.uri()) + " to the local"
                    + " cache " + dir + ": " + e.getMessage() + " (check the cache folder has room: " + DIR_ENV + ")", e);
        }
    }

    private record Entry(String name, long length, long modified, String checksum) {}

    private static void list(FileSystem fs, org.apache.hadoop.fs.Path dir, String prefix, List<Entry> out) throws IOException {
        for (FileStatus s : fs.listStatus(dir)) {
            String name = prefix + s.getPath().getName();
            if (s.isDirectory()) {
                list(fs, s.getPath(), name + "/", out);
            } else {
                FileChecksum c = fs.getFileChecksum(s.getPath());
                out.add(new Entry(name, s.getLen(), s.getModificationTime(),
                        c == null ? "-" : c.getAlgorithmName() + ":" + HexFormat.of().formatHex(c.getBytes())));
            }
        }
    }

    /** Whether {@code copy} is a finished copy ({@value #RECORD} written last) whose files have the listing's lengths. */
    private static boolean complete(Path copy, List<Entry> listing) {
        return Files.isRegularFile(copy.resolve(RECORD)) && sizesMatch(copy, listing);
    }

    private static boolean sizesMatch(Path copy, List<Entry> listing) {
        try {
            for (Entry e : listing) {
                if (Files.size(copy.resolve(e.name)) != e.length) {
                    return false;
                }
            }
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static String fileSha256(Path f) throws IOException {
        try (var in = Files.newInputStream(f)) {
            return RunFiles.sha256(in);
        }
    }

    /** Deletes a local folder and everything under it (nothing when it does not exist). */
    public static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    private static void deleteQuietly(Path dir, Exception failure) {
        try {
            deleteRecursively(dir);
        } catch (IOException cleanup) {
            failure.addSuppressed(cleanup);
        }
    }
}
