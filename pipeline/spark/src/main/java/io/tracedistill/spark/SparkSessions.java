package io.tracedistill.spark;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Consumer;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;

/**
 * Builds {@link SparkSession}s the same way everywhere.
 *
 * <p>A job ({@link #forJob}) runs on the platform's settings: whatever {@code spark-submit}, the cluster's
 * {@code spark-defaults.conf} or an already running session (a Databricks JAR task or notebook) set wins, and this
 * class only fills in what nobody set. Tests and benchmarks ({@link #builder}, {@link #local}) ask for an explicit
 * local master; a local master binds 127.0.0.1 (this project never opens a port on another interface) and starts no
 * UI unless asked for. S3A settings are applied from a typed {@link S3aSettings} rather than scattered string keys.
 *
 * <p>Reference: Spark's {@code SparkSession.Builder} ({@code getOrCreate} reuses the active or default session and
 * applies builder options last, over spark-submit's {@code --master}/{@code --conf}; hence a job never passes a
 * master the user did not ask for); S3A keys from Hadoop's {@code hadoop-aws} documentation.
 */
public final class SparkSessions {
    private SparkSessions() {}

    /** The master of a plain local launch: no master from spark-submit, the cluster or {@code spark_master}. */
    public static final String LOCAL_DEFAULT_MASTER = "local[*]";

    /**
     * Which master a job runs on and why, and the few settings this project fills in because nobody set them.
     *
     * @param builderMaster the master to put on the builder: present only for an explicit {@code spark_master} or a
     *                      plain local launch; empty when the platform's {@code spark.master} is used as is
     * @param master        the master the session will run on
     * @param reason        why, for the log ("spark.master from spark-submit or the cluster's spark-defaults")
     * @param fillIns       settings absent from the platform's conf that the job adds, key to value (sorted)
     */
    public record MasterChoice(Optional<String> builderMaster, String master, String reason,
                               Map<String, String> fillIns) {

        /** One log line: {@code master local[*] (no master set ...)}, then the filled-in settings if any. */
        public String describe() {
            return "master " + master + " (" + reason + ")"
                    + (fillIns.isEmpty() ? "" : "; unset, so filled in: " + fillIns);
        }
    }

    /**
     * Decides a job's master from the platform's {@code conf} (spark-submit's {@code --master}/{@code --conf} and the
     * cluster's defaults arrive as {@code spark.*} system properties, which {@code new SparkConf()} reads) and the
     * run config's {@code spark_master} ({@code configMaster}, named {@code configSource} in the log):
     * <ol>
     *   <li>{@code spark_master} set: an explicit override, used and logged as one (with the master it replaces);</li>
     *   <li>else {@code spark.master} in {@code conf}: used as is (nothing is put on the builder);</li>
     *   <li>else a plain local launch: {@link #LOCAL_DEFAULT_MASTER}.</li>
     * </ol>
     * On a local master the settings in {@link #localFillIns} are added where {@code conf} has none; a cluster master
     * gets only the time zone fill-in. Every other {@code spark.*} setting stays the platform's.
     */
    public static MasterChoice chooseMaster(SparkConf conf, Optional<String> configMaster, String configSource) {
        Optional<String> platform = conf.contains("spark.master") ? Optional.of(conf.get("spark.master")) : Optional.empty();
        Optional<String> builderMaster;
        String master;
        String reason;
        if (configMaster.isPresent()) {
            builderMaster = configMaster;
            master = configMaster.get();
            reason = "spark_master in " + configSource + ", an explicit override of "
                    + platform.map(m -> "spark.master=" + m + " from spark-submit or the cluster")
                            .orElse("the platform (which set no master)");
        } else if (platform.isPresent()) {
            builderMaster = Optional.empty();
            master = platform.get();
            reason = "spark.master from spark-submit or the cluster's spark-defaults";
        } else {
            builderMaster = Optional.of(LOCAL_DEFAULT_MASTER);
            master = LOCAL_DEFAULT_MASTER;
            reason = "plain local launch: no master from spark-submit, the cluster or spark_master in " + configSource;
        }
        Map<String, String> fillIns = new TreeMap<>();
        Map<String, String> wanted = master.startsWith("local") ? localFillIns() : Map.of(TIME_ZONE, "UTC");
        wanted.forEach((k, v) -> {
            if (!conf.contains(k)) {
                fillIns.put(k, v);
            }
        });
        return new MasterChoice(builderMaster, master, reason, java.util.Collections.unmodifiableMap(fillIns));
    }

    private static final String TIME_ZONE = "spark.sql.session.timeZone";

    /**
     * What a local master gets where the platform set nothing: loopback only (driver host and bind address), no UI
     * (the UI would listen on every interface; set {@code spark.ui.enabled=true} to get it), and a UTC session time
     * zone (prepare output must not depend on the machine's zone).
     */
    static Map<String, String> localFillIns() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("spark.driver.host", "127.0.0.1");
        m.put("spark.driver.bindAddress", "127.0.0.1");
        m.put("spark.ui.enabled", "false");
        m.put(TIME_ZONE, "UTC");
        return m;
    }

    /**
     * S3A's own defaults retry a dead endpoint for minutes in silence (Hadoop 3.3.4: 10 SDK attempts inside 7 S3A
     * retries, a 50 s connect and a 200 s read timeout: a refusing endpoint took ~13 min, a silent one 11+ min). A job
     * gets these instead, on every master, wherever the platform set no value: a connect gives up after 5 s, a silent
     * connection after 8 s, a request after 30 s, with one SDK retry inside one S3A retry. A job against a refusing or
     * a silent endpoint then fails in seconds ({@code S3aFastFailTest} measures both); a real store keeps working,
     * since each request is still retried and 8 s without a byte is already a broken connection for S3. Throttling
     * (503) has its own limit ({@code fs.s3a.retry.throttle.limit}) and is left as S3A sets it. Each failed attempt
     * logs one line ({@link #S3A_RETRY_LOG}).
     */
    static final Map<String, String> S3A_FAST_FAIL = Map.of(
            "spark.hadoop.fs.s3a.connection.establish.timeout", "5000",
            "spark.hadoop.fs.s3a.connection.timeout", "8000",
            "spark.hadoop.fs.s3a.connection.request.timeout", "30s",
            "spark.hadoop.fs.s3a.attempts.maximum", "1",
            "spark.hadoop.fs.s3a.retry.limit", "1",
            "spark.hadoop.fs.s3a.retry.interval", "500ms");

    /**
     * {@link S3aRetryLog} on every S3 client, through S3A's hook for extra SDK request handlers, which S3A 3.3.4 reads
     * only with auditing on: auditing on, with the no-op auditor (no audit header on requests), and the handler.
     */
    static final Map<String, String> S3A_RETRY_LOG = Map.of(
            "spark.hadoop.fs.s3a.audit.enabled", "true",
            "spark.hadoop.fs.s3a.audit.service.classname", "org.apache.hadoop.fs.s3a.audit.impl.NoopAuditor",
            "spark.hadoop.fs.s3a.audit.request.handlers", S3aRetryLog.class.getName());

    /**
     * The Hadoop configuration a session made from {@code conf} would give its file systems, without starting one:
     * this JVM's Hadoop defaults ({@code core-site.xml}), then {@code conf}'s {@code spark.hadoop.*} settings (prefix
     * dropped; spark-submit's {@code --conf}), then the {@link #s3aFastFailFillIns} it leaves unset.
     */
    public static Configuration hadoopConf(SparkConf conf) {
        Configuration hadoop = new Configuration();
        Map<String, String> all = new TreeMap<>(s3aFastFailFillIns(conf));
        for (scala.Tuple2<String, String> e : conf.getAll()) {
            all.put(e._1(), e._2());
        }
        all.forEach((k, v) -> {
            if (k.startsWith(HADOOP_PREFIX)) {
                hadoop.set(k.substring(HADOOP_PREFIX.length()), v);
            }
        });
        return hadoop;
    }

    private static final String HADOOP_PREFIX = "spark.hadoop.";

    /**
     * The {@link #S3A_FAST_FAIL} and {@link #S3A_RETRY_LOG} settings {@code conf} does not set (sorted): the user's
     * values always win.
     */
    public static Map<String, String> s3aFastFailFillIns(SparkConf conf) {
        Map<String, String> out = new TreeMap<>();
        for (Map<String, String> defaults : List.of(S3A_FAST_FAIL, S3A_RETRY_LOG)) {
            defaults.forEach((k, v) -> {
                if (!conf.contains(k)) {
                    out.put(k, v);
                }
            });
        }
        return java.util.Collections.unmodifiableMap(out);
    }

    /** A job's session and whether this job started it (only then does the job stop it). */
    public record JobSession(SparkSession session, boolean started) {}

    /**
     * The session a job runs in, with {@code SparkSession.builder().getOrCreate()} semantics:
     * <ul>
     *   <li>a session already running in this JVM (a Databricks JAR task must use it) is reused as it is; a
     *       {@code spark_master} that differs from its master is refused (it could not apply);</li>
     *   <li>otherwise the platform's conf plus {@link #chooseMaster}'s choice; {@code log} gets one line saying
     *       which master was chosen and why.</li>
     * </ul>
     */
    public static JobSession forJob(Optional<String> configMaster, String configSource, String appName,
                                    Consumer<String> log) {
        Optional<SparkSession> running = existing();
        if (running.isPresent()) {
            String master = running.get().sparkContext().master();
            if (configMaster.isPresent() && !configMaster.get().equals(master)) {
                throw new IllegalStateException("spark_master: " + configMaster.get() + " in " + configSource
                        + " cannot apply: this JVM already runs a Spark session on master " + master
                        + " (a Databricks JAR task or a notebook); remove spark_master or set it to null");
            }
            log.accept("master " + master + " (the Spark session already running in this JVM, used as it is)");
            return new JobSession(running.get(), false);
        }
        SparkConf conf = new SparkConf();
        MasterChoice choice = chooseMaster(conf, configMaster, configSource);
        SparkSession.Builder b = SparkSession.builder();
        if (!conf.contains("spark.app.name")) {
            b = b.appName(appName);
        }
        for (Map.Entry<String, String> e : choice.fillIns().entrySet()) {
            b = b.config(e.getKey(), e.getValue());
        }
        if (choice.builderMaster().isPresent()) {
            b = b.master(choice.builderMaster().get());
        }
        log.accept(choice.describe());
        Map<String, String> s3a = s3aFastFailFillIns(conf);
        for (Map.Entry<String, String> e : s3a.entrySet()) {
            b = b.config(e.getKey(), e.getValue());
        }
        if (!s3a.isEmpty()) {
            log.accept("S3A fast-fail defaults (unset, so filled in; set spark.hadoop.fs.s3a.* to override): " + s3a);
        }
        return new JobSession(b.getOrCreate(), true);
    }

    /** The running session of this JVM as {@code getOrCreate} finds it: this thread's, else the default; never a stopped one. */
    private static Optional<SparkSession> existing() {
        for (scala.Option<SparkSession> s : List.of(SparkSession.getActiveSession(), SparkSession.getDefaultSession())) {
            if (s.isDefined() && !s.get().sparkContext().isStopped()) {
                return Optional.of(s.get());
            }
        }
        return Optional.empty();
    }

    /**
     * A builder for tests and benchmarks on an explicit {@code master} (e.g. {@code local[2]}, {@code local[2,3]};
     * {@code null} leaves the master to {@code spark-submit}). Local masters bind driver host and bind address to
     * 127.0.0.1 and start no UI. Jobs use {@link #forJob}, which keeps the platform's settings.
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

    /** The settings {@link #builder} applies, as a sorted map (visible for tests). */
    public static Map<String, String> baseConf(String master) {
        if (master == null || master.startsWith("local")) {
            return new TreeMap<>(localFillIns());
        }
        return new TreeMap<>(Map.of(TIME_ZONE, "UTC"));
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
        for (Map.Entry<String, String> e : S3A_COMMITTER.entrySet()) {
            b = b.config(e.getKey(), e.getValue());
        }
        return b;
    }

    /** The Spark settings of {@link #withS3aCommitter} (for {@code spark-submit --conf}). */
    public static final Map<String, String> S3A_COMMITTER = Map.of(
            "spark.hadoop.fs.s3a.committer.name", "directory",
            "spark.hadoop.fs.s3a.committer.staging.conflict-mode", "append",
            "spark.hadoop.mapreduce.outputcommitter.factory.scheme.s3a", "org.apache.hadoop.fs.s3a.commit.S3ACommitterFactory",
            "spark.sql.sources.commitProtocolClass", "org.apache.spark.internal.io.cloud.PathOutputCommitProtocol",
            "spark.sql.parquet.output.committer.class", "org.apache.spark.internal.io.cloud.BindingParquetOutputCommitter");

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

        /** Puts the settings on a builder as {@code spark.hadoop.fs.s3a.*} keys, with {@link #S3A_RETRY_LOG}. */
        public SparkSession.Builder apply(SparkSession.Builder b) {
            for (Map.Entry<String, String> e : sparkConf().entrySet()) {
                b = b.config(e.getKey(), e.getValue());
            }
            return b;
        }

        /**
         * The settings as {@code spark.hadoop.fs.s3a.*} keys, {@link #S3A_RETRY_LOG} included (for a builder or
         * {@code spark-submit --conf}).
         */
        public Map<String, String> sparkConf() {
            Map<String, String> c = new TreeMap<>(S3A_RETRY_LOG);
            c.put("spark.hadoop.fs.s3a.endpoint", endpoint);
            c.put("spark.hadoop.fs.s3a.access.key", accessKey);
            c.put("spark.hadoop.fs.s3a.secret.key", secretKey);
            c.put("spark.hadoop.fs.s3a.path.style.access", String.valueOf(pathStyle));
            c.put("spark.hadoop.fs.s3a.connection.ssl.enabled", String.valueOf(sslEnabled));
            c.put("spark.hadoop.fs.s3a.aws.credentials.provider", "org.apache.hadoop.fs.s3a.SimpleAWSCredentialsProvider");
            c.put("spark.hadoop.fs.s3a.endpoint.region", "us-east-1");
            // Fail fast against a local server instead of retrying for minutes.
            c.put("spark.hadoop.fs.s3a.attempts.maximum", "3");
            c.put("spark.hadoop.fs.s3a.retry.limit", "3");
            c.put("spark.hadoop.fs.s3a.connection.establish.timeout", "5000");
            c.put("spark.hadoop.fs.s3a.connection.timeout", "20000");
            // Keep directory markers: no asynchronous parent-marker cleanup after each PUT (S3A 3.3 can
            // hang in finishedWrite waiting for it; keeping markers is also the faster S3 behaviour).
            c.put("spark.hadoop.fs.s3a.directory.marker.retention", "keep");
            if (changeDetectionMode != null) {
                c.put("spark.hadoop.fs.s3a.change.detection.mode", changeDetectionMode);
            }
            return c;
        }
    }
}
