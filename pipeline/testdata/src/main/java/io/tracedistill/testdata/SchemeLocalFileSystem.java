package io.tracedistill.testdata;

import java.net.URI;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.RawLocalFileSystem;

/**
 * The local disk under a scheme of its own ({@value #SCHEME}{@code :/tmp/run} is {@code /tmp/run}), so a test
 * drives the code paths a run takes on {@code s3a://} or {@code hdfs://} (a non-{@code file:} URI, opened through
 * Hadoop's {@code FileSystem}, never through {@code java.nio}) without a server. Register it with
 * {@link #register(Configuration)} (or {@code spark.hadoop.fs.tdtest.impl} for a Spark session).
 */
public final class SchemeLocalFileSystem extends RawLocalFileSystem {
    public static final String SCHEME = "tdtest";
    private static final URI NAME = URI.create(SCHEME + ":///");

    /** Maps {@value #SCHEME}{@code :} to this class in {@code conf} (its instances not cached: tests change conf). */
    public static Configuration register(Configuration conf) {
        conf.set("fs." + SCHEME + ".impl", SchemeLocalFileSystem.class.getName());
        conf.setBoolean("fs." + SCHEME + ".impl.disable.cache", true);
        return conf;
    }

    /** {@code tdtest:<absolute local path>}. */
    public static String uri(java.nio.file.Path local) {
        return SCHEME + ":" + local.toAbsolutePath().normalize().toUri().getPath();
    }

    @Override
    public URI getUri() {
        return NAME;
    }

    @Override
    public String getScheme() {
        return SCHEME;
    }
}
