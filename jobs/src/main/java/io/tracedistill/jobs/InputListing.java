package io.tracedistill.jobs;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RemoteIterator;

/**
 * The files behind a {@code data_path} (file, directory or glob; local or {@code s3a://}) as
 * {@code path|length|mtime} lines, for step fingerprints: a changed, added or removed input file
 * changes the fingerprint and re-runs prepare.
 */
final class InputListing {
    private InputListing() {}

    static List<String> of(String location, Configuration conf) {
        try {
            Path p = new Path(location);
            FileSystem fs = p.getFileSystem(conf);
            FileStatus[] matches = fs.globStatus(p);
            List<String> out = new ArrayList<>();
            if (matches == null) {
                return List.of(location + "|missing");
            }
            for (FileStatus m : matches) {
                if (m.isDirectory()) {
                    RemoteIterator<LocatedFileStatus> it = fs.listFiles(m.getPath(), true);
                    while (it.hasNext()) {
                        LocatedFileStatus f = it.next();
                        String name = f.getPath().getName();
                        if (!name.startsWith("_") && !name.startsWith(".")) {
                            out.add(line(f));
                        }
                    }
                } else {
                    out.add(line(m));
                }
            }
            out.sort(null);
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list input " + location, e);
        }
    }

    private static String line(FileStatus f) {
        return f.getPath() + "|" + f.getLen() + "|" + f.getModificationTime();
    }
}
