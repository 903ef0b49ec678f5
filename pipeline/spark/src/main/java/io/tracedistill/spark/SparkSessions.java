package io.tracedistill.spark;

import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.sql.SparkSession;

/**
 * Builds {@link SparkSession}s the same way everywhere: a local master always binds 127.0.0.1 (this
 * project never opens a port on another interface), the UI is off unless asked for, and S3A
 * settings are applied from a typed {@link S3aSettings} rather than scattered string keys.
 *
 * <p>Reference: Spark's {@code SparkSession.Builder}; S3A keys from Hadoop's
 * {@code hadoop-aws} documentation ({@code fs.s3a.endpoint}, {@code fs.s3a.path.style.access}, ...).
 */
public final class SparkSessions {
    private SparkSessions() {}

    /**
     * A builder for {@code master} (e.g. {@code local[2]}, {@code local[2,3]}; {@code null} leaves the
     * master to {@code spark-submit}). Local masters bind driver host and bind address to 127.0.0.1.
     */
    public static SparkSession.Builder builder(String master, String appName) {
        SparkSession.Builder b = SparkSession.builder().appName(appName);
        for (Map.Entry<String, String> e : baseConf(master).entrySet()) {
            b = b.config(e.getKey(), e.getValue());
        }
        if (master != null) {
            b = b.master(master);
        }
        return b;
    }

    /** The settings {@link #builder} applies, as a sorted map (visible for tests and the manifest). */
    public static Map<String, String> baseConf(String master) {
        Map<String, String> conf = new TreeMap<>();
        if (master == null || master.startsWith("local")) {
            conf.put("spark.driver.host", "127.0.0.1");
            conf.put("spark.driver.bindAddress", "127.0.0.1");
        }
        conf.put("spark.ui.enabled", "false");
        // Prepare output must not depend on the session's time zone or on ANSI flips.
        conf.put("spark.sql.session.timeZone", "UTC");
        return conf;
    }

    /** A local test/bench session: {@code local[threads]}, 127.0.0.1, no UI, {@code shufflePartitions}. */
    public static SparkSession local(String master, int shufflePartitions) {
        return builder(master, "tracedistill")
                .config("spark.sql.shuffle.partitions", String.valueOf(shufflePartitions))
                .getOrCreate();
    }

    /**
     * Uses the S3A "directory" staging committer (spark-hadoop-cloud) for every file write to {@code s3a://}:
     * task output is uploaded as pending multipart uploads and completed only at job commit, so no rename (copy)
     * of the job's output happens in S3 and a failed job leaves nothing visible. Staging is on the local disk.
     */
    public static SparkSession.Builder withS3aCommitter(SparkSession.Builder b) {
        return b.config("spark.hadoop.fs.s3a.committer.name", "directory")
                .config("spark.hadoop.fs.s3a.committer.staging.conflict-mode", "append")
                .config("spark.hadoop.mapreduce.outputcommitter.factory.scheme.s3a",
                        "org.apache.hadoop.fs.s3a.commit.S3ACommitterFactory")
                .config("spark.sql.sources.commitProtocolClass",
                        "org.apache.spark.internal.io.cloud.PathOutputCommitProtocol")
                .config("spark.sql.parquet.output.committer.class",
                        "org.apache.spark.internal.io.cloud.BindingParquetOutputCommitter");
    }

    /**
     * S3A connection settings for an S3-compatible endpoint. The secret is never logged: {@link #toString()}
     * masks it, and {@link #apply} writes it only into the Hadoop configuration.
     */
    public record S3aSettings(String endpoint, String accessKey, String secretKey, boolean pathStyle,
            boolean sslEnabled, String changeDetectionMode) {
        @Override
        public String toString() {
            return "S3aSettings[endpoint=" + endpoint + ", accessKey=" + accessKey + ", secretKey=***, pathStyle="
                    + pathStyle + ", ssl=" + sslEnabled + ", changeDetectionMode=" + changeDetectionMode + "]";
        }

        /** Puts the settings on a builder as {@code spark.hadoop.fs.s3a.*} keys. */
        public SparkSession.Builder apply(SparkSession.Builder b) {
            b = b.config("spark.hadoop.fs.s3a.endpoint", endpoint)
                    .config("spark.hadoop.fs.s3a.access.key", accessKey)
                    .config("spark.hadoop.fs.s3a.secret.key", secretKey)
                    .config("spark.hadoop.fs.s3a.path.style.access", String.valueOf(pathStyle))
                    .config("spark.hadoop.fs.s3a.connection.ssl.enabled", String.valueOf(sslEnabled))
                    .config("spark.hadoop.fs.s3a.aws.credentials.provider",
                            "org.apache.hadoop.fs.s3a.SimpleAWSCredentialsProvider")
                    .config("spark.hadoop.fs.s3a.endpoint.region", "us-east-1")
                    // Fail fast against a local server instead of retrying for minutes.
                    .config("spark.hadoop.fs.s3a.attempts.maximum", "3")
                    .config("spark.hadoop.fs.s3a.retry.limit", "3")
                    .config("spark.hadoop.fs.s3a.connection.establish.timeout", "5000")
                    .config("spark.hadoop.fs.s3a.connection.timeout", "20000")
                    // Keep directory markers: no asynchronous parent-marker cleanup after each PUT (S3A 3.3 can
                    // hang in finishedWrite waiting for it; keeping markers is also the faster S3 behaviour).
                    .config("spark.hadoop.fs.s3a.directory.marker.retention", "keep");
            if (changeDetectionMode != null) {
                b = b.config("spark.hadoop.fs.s3a.change.detection.mode", changeDetectionMode);
            }
            return b;
        }
    }
}
