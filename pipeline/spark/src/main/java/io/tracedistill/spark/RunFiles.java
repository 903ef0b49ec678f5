package io.tracedistill.spark;

import io.tracedistill.config.Redaction;
import io.tracedistill.run.RunPath;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;

/**
 * The files of a run ({@link RunPath}s under {@code output_dir}: ledger, resolved config, checkpoints, adapters,
 * metrics, reports, charts, {@code submission.zip}) on any Hadoop file system: a plain path (the default file system),
 * {@code file:}, {@code hdfs:}, {@code s3a:}, {@code dbfs:}. Shards go through {@link ShardFiles}; everything else a run
 * writes goes through here.
 *
 * <p><b>Atomic writes.</b> A reader sees a whole file or none, never a partial one:
 * <ul>
 *   <li>On a file system with atomic rename (local, HDFS) a file is written to a hidden sibling
 *       {@code _<name>.tmp-<uuid>} and renamed into place. Hadoop's {@code rename} does not replace, so an existing
 *       file is deleted first: for that instant a reader sees no file (which every reader here treats as "not done").</li>
 *   <li>On an object store ({@link #OBJECT_STORE_SCHEMES}) rename is a copy plus delete, not atomic, and needs no
 *       help: an object becomes visible only when its upload completes (S3A uploads on {@code close()}, a multi-part
 *       upload is completed in one call), so the file is written to its final name directly. This is the same reason
 *       the S3A committers write directly and publish by a completion step instead of renaming.</li>
 * </ul>
 * <p><b>Directories</b> (adapters, checkpoints) are published by {@link #uploadDirectory}: every file but the
 * directory's completion file is written first, the completion file last. On a rename-atomic file system the
 * directory is built under a hidden sibling and renamed in one step; on an object store its files appear one by one
 * and readers treat a directory without its completion file ({@code state.json} of a checkpoint,
 * {@code adapter_model.safetensors} of an adapter) as absent.
 *
 * <p>Hadoop's local file system would leave a {@code .<name>.crc} beside every file; run files are written through
 * its raw form, so {@code output_dir} holds only the files the layout names.
 */
public final class RunFiles {
    /**
     * Schemes whose rename is a copy (S3, GCS, Azure blob, Alibaba OSS, DBFS on cloud storage). Files there are
     * written to their final name directly (see the class comment); the Hadoop configuration key
     * {@value #OBJECT_STORE_SCHEMES_KEY} replaces this list.
     */
    public static final Set<String> OBJECT_STORE_SCHEMES = Set.of("s3a", "s3", "s3n", "gs", "oss", "wasb", "wasbs",
            "abfs", "abfss", "dbfs");
    /** Hadoop configuration key: a comma-separated list of schemes to treat as object stores. */
    public static final String OBJECT_STORE_SCHEMES_KEY = "tracedistill.object-store-schemes";

    private final Configuration conf;

    public RunFiles(Configuration conf) {
        this.conf = conf;
    }

    /** The Hadoop configuration the files are opened with. */
    public Configuration conf() {
        return conf;
    }

    /** The file system holding {@code p} (the raw local one for local paths: no {@code .crc} side files). */
    public FileSystem fs(RunPath p) {
        try {
            FileSystem fs = ShardFiles.hadoopPath(p).getFileSystem(conf);
            return fs instanceof LocalFileSystem local ? local.getRawFileSystem() : fs;
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot open the file system of " + shown(p) + ": " + e.getMessage(), e);
        }
    }

    /** {@code p} fully qualified ({@code quickstart_output} becomes {@code file:/work/quickstart_output}). */
    public RunPath qualify(RunPath p) {
        return new RunPath(fs(p).makeQualified(ShardFiles.hadoopPath(p)).toString());
    }

    /** Whether a rename on {@code p}'s file system is atomic (false on {@link #OBJECT_STORE_SCHEMES}). */
    public boolean renameIsAtomic(RunPath p) {
        String scheme = fs(p).getUri().getScheme().toLowerCase(Locale.ROOT);
        String configured = conf.get(OBJECT_STORE_SCHEMES_KEY);
        Set<String> stores = configured == null ? OBJECT_STORE_SCHEMES
                : Set.of(Arrays.stream(configured.split(",")).map(String::strip).filter(s -> !s.isEmpty())
                        .map(s -> s.toLowerCase(Locale.ROOT)).toArray(String[]::new));
        return !stores.contains(scheme);
    }

    public boolean exists(RunPath p) {
        try {
            return fs(p).exists(ShardFiles.hadoopPath(p));
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot check " + shown(p) + ": " + e.getMessage(), e);
        }
    }

    public boolean isFile(RunPath p) {
        try {
            return fs(p).getFileStatus(ShardFiles.hadoopPath(p)).isFile();
        } catch (java.io.FileNotFoundException e) {
            return false;
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot check " + shown(p) + ": " + e.getMessage(), e);
        }
    }

    public boolean isDirectory(RunPath p) {
        try {
            return fs(p).getFileStatus(ShardFiles.hadoopPath(p)).isDirectory();
        } catch (java.io.FileNotFoundException e) {
            return false;
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot check " + shown(p) + ": " + e.getMessage(), e);
        }
    }

    /** The bytes of a file. @throws UncheckedIOException naming the file when it is missing or unreadable */
    public byte[] read(RunPath p) {
        try (InputStream in = fs(p).open(ShardFiles.hadoopPath(p))) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read " + shown(p) + ": " + e.getMessage(), e);
        }
    }

    public String readString(RunPath p) {
        return new String(read(p), StandardCharsets.UTF_8);
    }

    /** Writes {@code bytes} to {@code p} atomically (see the class comment), creating its parent folders. */
    public void writeAtomically(RunPath p, byte[] bytes) {
        write(p, out -> out.write(bytes));
    }

    /** The content of a file as {@link #write} streams it. */
    @FunctionalInterface
    public interface Content {
        void writeTo(OutputStream out) throws IOException;
    }

    /** Streams {@code content} to {@code p} atomically (see the class comment), creating its parent folders. */
    public void write(RunPath p, Content content) {
        Path dst = ShardFiles.hadoopPath(p);
        FileSystem fs = fs(p);
        try {
            if (!renameIsAtomic(p)) {
                try (FSDataOutputStream out = fs.create(dst, true)) {
                    content.writeTo(out);
                }
                return;
            }
            Path tmp = new Path(dst.getParent(), "_" + dst.getName() + ".tmp-" + UUID.randomUUID());
            try {
                try (FSDataOutputStream out = fs.create(tmp, true)) {
                    content.writeTo(out);
                }
                if (fs.exists(dst)) {
                    fs.delete(dst, false);
                }
                if (!fs.rename(tmp, dst)) {
                    throw new IOException("rename " + tmp + " -> " + dst + " failed");
                }
            } finally {
                if (fs.exists(tmp)) {
                    fs.delete(tmp, false);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot write " + shown(p) + ": " + e.getMessage(), e);
        }
    }

    /** Deletes {@code p} (recursively) if it exists. */
    public void delete(RunPath p) {
        try {
            FileSystem fs = fs(p);
            Path h = ShardFiles.hadoopPath(p);
            if (fs.exists(h)) {
                fs.delete(h, true);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot delete " + shown(p) + ": " + e.getMessage(), e);
        }
    }

    /** The entries of a directory (files and folders), by name; empty when it does not exist. */
    public List<FileStatus> list(RunPath dir) {
        try {
            FileSystem fs = fs(dir);
            Path h = ShardFiles.hadoopPath(dir);
            if (!fs.exists(h)) {
                return List.of();
            }
            List<FileStatus> out = new ArrayList<>(Arrays.asList(fs.listStatus(h)));
            out.sort(Comparator.comparing(s -> s.getPath().getName()));
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot list " + shown(dir) + ": " + e.getMessage(), e);
        }
    }

    /** SHA-256 of a file's bytes as hex, or {@code "absent"} when there is no such file. */
    public String sha256(RunPath p) {
        if (!isFile(p)) {
            return "absent";
        }
        try (InputStream in = fs(p).open(ShardFiles.hadoopPath(p))) {
            return sha256(in);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot hash " + shown(p) + ": " + e.getMessage(), e);
        }
    }

    /** SHA-256 of {@code bytes} as hex. */
    public static String sha256Hex(byte[] bytes) {
        try {
            return sha256(new java.io.ByteArrayInputStream(bytes));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** SHA-256 of a stream's bytes as hex (read to its end, not closed). */
    public static String sha256(InputStream in) throws IOException {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        byte[] buf = new byte[1 << 16];
        for (int r; (r = in.read(buf)) > 0; ) {
            md.update(buf, 0, r);
        }
        return HexFormat.of().formatHex(md.digest());
    }

    /** Copies a local file to {@code target} atomically. */
    public void uploadFile(java.nio.file.Path local, RunPath target) {
        write(target, out -> Files.copy(local, out));
    }

    /**
     * Replaces the directory {@code target} with a copy of the local directory {@code local} (recursively), writing
     * {@code completionFile} (a file name directly in {@code local}; null: none) last; see the class comment for what
     * a reader sees meanwhile.
     */
    public void uploadDirectory(java.nio.file.Path local, RunPath target, String completionFile) {
        if (completionFile != null && !Files.isRegularFile(local.resolve(completionFile))) {
            throw new IllegalArgumentException("Cannot publish " + local + " to " + shown(target) + ": it has no "
                    + completionFile + " (the file that marks it complete)");
        }
        FileSystem fs = fs(target);
        Path dst = ShardFiles.hadoopPath(target);
        boolean atomic = renameIsAtomic(target);
        Path into = atomic ? new Path(dst.getParent(), ShardFiles.STAGING_PREFIX + dst.getName() + "-" + UUID.randomUUID())
                : dst;
        try {
            if (!atomic) {
                delete(target); // its completion file first disappears with it: readers see "absent", never a mix
            }
            List<java.nio.file.Path> files;
            try (Stream<java.nio.file.Path> walk = Files.walk(local)) {
                files = walk.filter(Files::isRegularFile).sorted().toList();
            }
            java.nio.file.Path last = completionFile == null ? null : local.resolve(completionFile);
            for (java.nio.file.Path f : files) {
                if (!f.equals(last)) {
                    copyUp(fs, f, new Path(into, local.relativize(f).toString().replace('\\', '/')));
                }
            }
            if (last != null) {
                copyUp(fs, last, new Path(into, completionFile));
            }
            fs.mkdirs(into); // an empty folder is still published
            if (atomic) {
                if (fs.exists(dst)) {
                    fs.delete(dst, true);
                }
                if (!fs.rename(into, dst)) {
                    throw new IOException("rename " + into + " -> " + dst + " failed");
                }
            }
        } catch (IOException e) {
            if (atomic) {
                try {
                    fs.delete(into, true);
                } catch (IOException cleanup) {
                    e.addSuppressed(cleanup);
                }
            }
            throw new UncheckedIOException("Cannot publish " + local + " to " + shown(target) + ": " + e.getMessage(), e);
        }
    }

    private static void copyUp(FileSystem fs, java.nio.file.Path from, Path to) throws IOException {
        try (OutputStream out = fs.create(to, true)) {
            Files.copy(from, out);
        }
    }

    /**
     * Copies the directory {@code dir} (recursively) into the local directory {@code local} (created; files already
     * there are replaced). Returns the number of files copied; 0 when {@code dir} does not exist.
     */
    public int downloadDirectory(RunPath dir, java.nio.file.Path local) {
        FileSystem fs = fs(dir);
        Path src = ShardFiles.hadoopPath(dir);
        try {
            if (!fs.exists(src)) {
                return 0;
            }
            Files.createDirectories(local);
            int n = 0;
            for (FileStatus s : fs.listStatus(src)) {
                java.nio.file.Path to = local.resolve(s.getPath().getName());
                if (s.isDirectory()) {
                    n += downloadDirectory(new RunPath(s.getPath().toString()), to);
                } else {
                    downloadFile(new RunPath(s.getPath().toString()), to);
                    n++;
                }
            }
            return n;
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot copy " + shown(dir) + " to " + local + ": " + e.getMessage(), e);
        }
    }

    /** Copies one file to a local path (via a temporary sibling, so a killed copy leaves no partial file). */
    public void downloadFile(RunPath file, java.nio.file.Path local) {
        java.nio.file.Path tmp = local.resolveSibling("." + local.getFileName() + ".tmp-" + UUID.randomUUID());
        try (InputStream in = fs(file).open(ShardFiles.hadoopPath(file))) {
            Files.createDirectories(local.toAbsolutePath().getParent());
            Files.copy(in, tmp);
            Files.move(tmp, local, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                    java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException cleanup) {
                e.addSuppressed(cleanup);
            }
            throw new UncheckedIOException("Cannot copy " + shown(file) + " to " + local + ": " + e.getMessage(), e);
        }
    }

    private static String shown(RunPath p) {
        return Redaction.text(p.uri());
    }
}
