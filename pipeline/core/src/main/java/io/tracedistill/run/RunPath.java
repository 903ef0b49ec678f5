package io.tracedistill.run;

import java.net.URI;
import java.nio.file.Path;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A file or directory of a run, held as the string a Hadoop {@code org.apache.hadoop.fs.Path} is built from: a plain
 * path ({@code quickstart_output/tokens}, {@code /data/run/adapter}: the default file system, as Spark reads it) or a
 * URI ({@code file:/tmp/run}, {@code s3a://bucket/run/tokens}, {@code hdfs://nn/run}). Every run file is opened with
 * {@code new org.apache.hadoop.fs.Path(path.uri())} ({@code io.tracedistill.spark.RunFiles}, {@code ShardFiles});
 * {@link #toLocalPath()} is for code that is handed a local folder (the trainer's node-local working copy, a model
 * folder) and refuses a non-local scheme instead of writing a relative folder named {@code s3a:}.
 *
 * <p>Kept as a string (no Hadoop type) so that {@code core} and {@code model}, which do not depend on Hadoop, share it.
 *
 * @param uri the path as given (never empty); children are joined with {@code /}
 */
public record RunPath(String uri) {
    /** {@code scheme:} at the start (two or more letters, so a Windows drive letter {@code C:} is not a scheme). */
    private static final Pattern SCHEME = Pattern.compile("^([A-Za-z][A-Za-z0-9+.-]+):.*", Pattern.DOTALL);

    public RunPath {
        Objects.requireNonNull(uri, "uri");
        if (uri.isEmpty()) {
            throw new IllegalArgumentException("a run path must not be empty (check output_dir)");
        }
    }

    /** {@code this/name}. */
    public RunPath resolve(String name) {
        return new RunPath(uri.endsWith("/") ? uri + name : uri + "/" + name);
    }

    /** The URI scheme ({@code s3a}, {@code file}, ...), or null for a plain path. */
    public String scheme() {
        var m = SCHEME.matcher(uri);
        return m.matches() ? m.group(1) : null;
    }

    /** True for a plain path or a {@code file:} URI: {@link #toLocalPath()} works. */
    public boolean isLocal() {
        String s = scheme();
        return s == null || s.equalsIgnoreCase("file");
    }

    /**
     * The local {@code java.nio} path.
     *
     * @throws IllegalArgumentException for a non-local URI ({@code s3a://...}): the caller needs a local folder
     */
    public Path toLocalPath() {
        String s = scheme();
        if (s == null) {
            return Path.of(uri);
        }
        if (!s.equalsIgnoreCase("file")) {
            throw new IllegalArgumentException(uri + " is on '" + s + ":', but this output is written to the local "
                    + "file system: set output_dir to a local path (or a file: URI)");
        }
        String rest = uri.substring(s.length() + 1);
        return rest.startsWith("//") ? Path.of(URI.create(uri)) : Path.of(rest);
    }

    @Override
    public String toString() {
        return uri;
    }
}
