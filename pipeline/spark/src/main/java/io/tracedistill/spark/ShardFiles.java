package io.tracedistill.spark;

import io.tracedistill.run.RunPath;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Shard-directory helpers shared by the stages (local paths and {@code s3a://} alike, through Hadoop's
 * {@link FileSystem}): list a directory's shard files in order, and publish a Spark output directory under
 * deterministic names.
 *
 * <p>Spark names a part file {@code part-00003-<job uuid>-c000.snappy.parquet} (the S3A staging committers append
 * a second uuid); the uuids change every run. A
 * published shard is named {@code part-00003-c000.snappy.parquet}: same order (the partition index leads), same
 * name on every rerun.
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

    /** The deterministic name of a Spark part file (the job uuid removed); other names are kept. */
    public static String publishedName(String sparkName) {
        Matcher m = SPARK_PART.matcher(sparkName);
        if (!m.matches()) {
            return sparkName;
        }
        return "part-" + m.group(1) + suffix(m);
    }

    /** What follows the job uuid in a matched Spark part name: {@code -cNNN} and the extension (either may be empty). */
    private static String suffix(Matcher m) {
        return (m.group(2) == null ? "" : m.group(2)) + (m.group(3) == null ? "" : m.group(3));
    }

    /**
     * Moves the data files of the Spark output {@code from} into the new directory {@code to} under
     * {@link #publishedName} names, then deletes {@code from}. {@code to} must not exist.
     *
     * @return the published shards, in name (= position) order
     */
    public static List<Shard> publish(Configuration conf, String from, String to) {
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
                String name = publishedName(s.name());
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
     * part {@code first + i} of a range becomes {@code part-<i>…} in its directory (5 digits, the rest of Spark's
     * name kept, the job uuid removed), then deletes {@code from}. Fails closed unless {@code from} holds exactly
     * one file per partition of the ranges and nothing else.
     *
     * @return per range, the published shards in name (= position) order
     */
    public static List<List<Shard>> publishParts(Configuration conf, String from, List<PartRange> ranges) {
        Path src = new Path(from);
        try {
            FileSystem fs = src.getFileSystem(conf);
            int total = 0;
            for (PartRange r : ranges) {
                total = Math.max(total, r.first() + r.count());
            }
            Shard[] byPart = new Shard[total];
            String[] suffixOf = new String[total];
            for (Shard s : list(conf, from)) {
                Matcher m = SPARK_PART.matcher(s.name());
                int part = m.matches() ? Integer.parseInt(m.group(1)) : -1;
                if (part < 0 || part >= total || byPart[part] != null) {
                    throw new IllegalStateException("Cannot publish " + from + ": unexpected file " + s.name()
                            + " (expected one part file per partition 0.." + (total - 1) + ")");
                }
                byPart[part] = s;
                suffixOf[part] = suffix(m);
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
                    String name = String.format(java.util.Locale.ROOT, "part-%05d%s", i, suffixOf[r.first() + i]);
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

    /** Deletes {@code dir} recursively if it exists. */
    public static void deleteIfExists(Configuration conf, String dir) {
        Path p = new Path(dir);
        try {
            FileSystem fs = p.getFileSystem(conf);
            if (fs.exists(p)) {
                fs.delete(p, true);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot delete " + dir + ": " + e.getMessage(), e);
        }
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
