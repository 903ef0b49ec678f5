package io.tracedistill.spark.tokenize;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * File-level housekeeping of a shard directory written by Spark, through the Hadoop {@link FileSystem} API (so local
 * paths and {@code s3a://} both work).
 *
 * <p>After Spark writes {@code part-00000-<uuid>-c000.snappy.parquet, part-00001-...}, {@link #normalize} renames the
 * data files, in Spark's partition order, to {@code part-00000.parquet, part-00001.parquet, ...} (or {@code .jsonl}),
 * and removes checksum side files. The names then carry no random UUID, so a rerun writes the same file names with
 * the same bytes, and "files sorted by name" = "training order" for any reader.
 */
final class ShardDirectory {

    private ShardDirectory() {}

    static FileSystem fileSystem(String path, Configuration conf) {
        try {
            return new Path(path).getFileSystem(conf);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot open the file system of " + path, e);
        }
    }

    /**
     * Renames Spark's part files to {@code part-NNNNN<extension>} in name order and deletes {@code .crc} files.
     *
     * @return the new file names, in training order
     */
    static List<String> normalize(FileSystem fs, Path dir, String extension) {
        try {
            FileStatus[] listing = fs.listStatus(dir);
            Arrays.sort(listing, (a, b) -> a.getPath().getName().compareTo(b.getPath().getName()));
            List<String> names = new ArrayList<>();
            int next = 0;
            for (FileStatus st : listing) {
                String name = st.getPath().getName();
                if (name.endsWith(".crc")) {
                    fs.delete(st.getPath(), false);
                } else if (name.startsWith("part-")) {
                    String target = String.format("part-%05d%s", next++, extension);
                    if (!target.equals(name)) {
                        rename(fs, st.getPath(), new Path(dir, target));
                    }
                    names.add(target);
                }
            }
            return names;
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot normalise shard file names in " + dir, e);
        }
    }

    static void rename(FileSystem fs, Path from, Path to) throws IOException {
        if (!fs.rename(from, to)) {
            throw new IOException("Rename of " + from + " to " + to + " failed");
        }
    }

    static boolean exists(FileSystem fs, Path p) {
        try {
            return fs.exists(p);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot check " + p, e);
        }
    }

    static void delete(FileSystem fs, Path p) {
        try {
            if (fs.exists(p) && !fs.delete(p, true)) {
                throw new IOException("delete returned false");
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot delete " + p, e);
        }
    }
}
