package io.tracedistill.spark;

import io.tracedistill.config.ShardFormat;
import io.tracedistill.run.RunPath;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * The one publish protocol of the stages (local paths and {@code s3a://} alike, through Hadoop's {@link FileSystem}).
 *
 * <ol>
 *   <li>A stage deletes its completion marker first ({@link Manifests#delete}), so a failed rerun never looks
 *       complete.</li>
 *   <li>Spark writes every output under one hidden temporary directory inside the stage's directory,
 *       {@link #stagingDir}{@code (stageDir)} = {@code <stageDir>/_tmp-<uuid>}, through its commit protocol (a retried
 *       task leaves no duplicates).</li>
 *   <li>{@link #publish} / {@link #publishParts} move the part files into the final directories under deterministic
 *       names, {@link #shardName} = {@code part-00000.parquet, part-00001.parquet, ...} ({@code .jsonl} for JSON
 *       Lines), numbered from 0 in Spark's partition order. The names carry no job uuid, so a rerun writes the same
 *       names with the same bytes, and "files sorted by name, rows in file order" is the stored order.</li>
 *   <li>The temporary directory is deleted and the manifest is written last ({@link Manifests#writeAtomically}).</li>
 * </ol>
 *
 * <p>Spark names a part file {@code part-00003-<job uuid>-c000.snappy.parquet} (the S3A staging committers append
 * a second uuid); only the partition number that leads it is used.
 */
public final class ShardFiles {
    private ShardFiles() {}

    private static final String UUID = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}";
    /** {@code part-N-<job uuid>[-cNNN][-<S3A committer uuid>][.ext]}. */
    private static final Pattern SPARK_PART =
            Pattern.compile("part-(\\d+)-" + UUID + "(-c\\d+)?(?:-" + UUID + ")?(\\..*)?");

    /** One shard file: its name and size. */
    public record Shard(String name, long sizeBytes) {}

    /** The data files of {@code dir} (names not starting with {@code _} or {@code .}), sorted by name. */
    public static List<Shard> list(Configuration conf, String dir) {
        Path p = new Path(dir);
        try {
            FileSystem fs = p.getFileSystem(conf);
            FileStatus[] st = fs.listStatus(p);
            List<Shard> out = new ArrayList<>();
            Arrays.sort(st, Comparator.comparing(s -> s.getPath().getName()));
            for (FileStatus s : st) {
                String n = s.getPath().getName();
                if (s.isFile() && !n.startsWith("_") && !n.startsWith(".")) {
                    out.add(new Shard(n, s.getLen()));
                }
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot list shard directory " + dir + ": " + e.getMessage(), e);
        }
    }

    /** The published name of shard {@code index} (0-based): {@code part-00003.parquet} / {@code part-00003.jsonl}. */
    public static String shardName(int index, ShardFormat format) {
        return String.format(Locale.ROOT, "part-%05d%s", index, format.extension());
    }

    /** The name prefix of a stage's staging directories ({@code _}: hidden from readers). */
    public static final String STAGING_PREFIX = "_tmp-";

    /** A new temporary directory for a stage's Spark writes: {@code <stageDir>/_tmp-<uuid>} (hidden from readers). */
    public static String stagingDir(String stageDir) {
        return stageDir + "/" + STAGING_PREFIX + java.util.UUID.randomUUID();
    }

    /**
     * Moves the data files of the Spark output {@code from}, in name (= partition) order, into the new directory
     * {@code to} as {@link #shardName}{@code (0, 1, ...)}, then deletes {@code from}. {@code to} must not exist.
     *
     * @return the published shards, in name (= position) order
     */
    public static List<Shard> publish(Configuration conf, String from, String to, ShardFormat format) {
        Path src = new Path(from);
        Path dst = new Path(to);
        try {
            FileSystem fs = dst.getFileSystem(conf);
            if (fs.exists(dst)) {
                throw new IllegalStateException("Cannot publish shards to " + to + ": it already exists");
            }
            if (!fs.mkdirs(dst)) {
                throw new IOException("mkdirs failed for " + to);
            }
            List<Shard> out = new ArrayList<>();
            for (Shard s : list(conf, from)) {
                String name = shardName(out.size(), format);
                if (!fs.rename(new Path(src, s.name()), new Path(dst, name))) {
                    throw new IOException("rename failed: " + new Path(src, s.name()) + " -> " + new Path(dst, name));
                }
                out.add(new Shard(name, s.sizeBytes()));
            }
            fs.delete(src, true);
            out.sort(Comparator.comparing(Shard::name));
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot publish " + from + " to " + to + ": " + e.getMessage(), e);
        }
    }

    /** A destination of {@link #publishParts}: Spark parts {@code [first, first + count)} go to {@code dir}. */
    public record PartRange(String dir, int first, int count) {}

    /**
     * Moves the part files of one Spark output {@code from} into several new directories by partition number:
     * part {@code first + i} of a range becomes {@link #shardName}{@code (i)} in its directory, then deletes
     * {@code from}. Fails closed unless {@code from} holds exactly
     * one file per partition of the ranges and nothing else.
     *
     * @return per range, the published shards in name (= position) order
     */
    public static List<List<Shard>> publishParts(Configuration conf, String from, List<PartRange> ranges,
            ShardFormat format) {
        Path src = new Path(from);
        try {
            FileSystem fs = src.getFileSystem(conf);
            int total = 0;
            for (PartRange r : ranges) {
                total = Math.max(total, r.first() + r.count());
            }
            Shard[] byPart = new Shard[total];
            for (Shard s : list(conf, from)) {
                Matcher m = SPARK_PART.matcher(s.name());
                int part = m.matches() ? Integer.parseInt(m.group(1)) : -1;
                if (part < 0 || part >= total || byPart[part] != null) {
                    throw new IllegalStateException("Cannot publish " + from + ": unexpected file " + s.name()
                            + " (expected one part file per partition 0.." + (total - 1) + ")");
                }
                byPart[part] = s;
            }
            for (PartRange r : ranges) {
                for (int i = r.first(); i < r.first() + r.count(); i++) {
                    if (byPart[i] == null) {
                        throw new IllegalStateException("Cannot publish " + from + ": partition " + i
                                + " wrote no file (every shard must hold rows)");
                    }
                }
            }
            List<List<Shard>> out = new ArrayList<>();
            for (PartRange r : ranges) {
                Path dst = new Path(r.dir());
                if (fs.exists(dst)) {
                    throw new IllegalStateException("Cannot publish shards to " + r.dir() + ": it already exists");
                }
                if (!fs.mkdirs(dst)) {
                    throw new IOException("mkdirs failed for " + r.dir());
                }
                List<Shard> shards = new ArrayList<>();
                for (int i = 0; i < r.count(); i++) {
                    Shard s = byPart[r.first() + i];
                    String name = shardName(i, format);
                    if (!fs.rename(new Path(src, s.name()), new Path(dst, name))) {
                        throw new IOException("rename failed: " + new Path(src, s.name()) + " -> " + new Path(dst, name));
                    }
                    shards.add(new Shard(name, s.sizeBytes()));
                }
                out.add(shards);
            }
            fs.delete(src, true);
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot publish " + from + ": " + e.getMessage(), e);
        }
    }

    /** The names of {@code shards}, in order (what a manifest lists). */
    public static List<String> names(List<Shard> shards) {
        List<String> out = new ArrayList<>(shards.size());
        for (Shard s : shards) {
            out.add(s.name());
        }
        return out;
    }

    /**
     * A stage failed: deletes its {@link #stagingDir} (a cleanup failure is attached to {@code failure}) and returns
     * {@code failure} for the caller to rethrow.
     */
    public static RuntimeException abandon(Configuration conf, String stagingDir, RuntimeException failure) {
        try {
            deleteIfExists(conf, stagingDir);
        } catch (RuntimeException cleanup) {
            failure.addSuppressed(cleanup);
        }
        return failure;
    }

    /** Whether {@code path} exists. */
    public static boolean exists(Configuration conf, String path) {
        Path p = new Path(path);
        try {
            return p.getFileSystem(conf).exists(p);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot check " + path + ": " + e.getMessage(), e);
        }
    }

    /** Deletes {@code dir} recursively if it exists. */
    public static void deleteIfExists(Configuration conf, String dir) {
        new RunFiles(conf).delete(new RunPath(dir));
    }

    /** The Hadoop path of a run path ({@link RunPath#uri()} as Hadoop parses it: plain path or any URI). */
    public static Path hadoopPath(RunPath p) {
        return new Path(p.uri());
    }

    /** A fully qualified form of {@code path} (scheme and authority added; {@code s3a://} kept). */
    public static String qualify(Configuration conf, String path) {
        Path p = new Path(path);
        try {
            return p.getFileSystem(conf).makeQualified(p).toString();
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot resolve " + path + ": " + e.getMessage(), e);
        }
    }
}
