package io.tracedistill.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tracedistill.spark.prepare.InputReader;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.SparkConf;
import org.junit.jupiter.api.Test;

/**
 * Issue 17 item 8: an s3a endpoint that refused connections took about 13 minutes of silent retries, one that accepted
 * connections and never answered more than 11 minutes. With the defaults a job gets ({@link SparkSessions#forJob} fills
 * in {@link SparkSessions#s3aFastFailFillIns}) both fail within {@value #LIMIT_S} s, naming the path; a value the user
 * set (spark-submit {@code --conf spark.hadoop.fs.s3a.*}) is kept.
 */
class S3aFastFailTest {
    /** Fails the test, well under S3A's own defaults (minutes), well over the configured worst case. */
    private static final int LIMIT_S = 45;
    private static final String ACCESS_KEY = "AKIATRACEDISTILLTEST";
    private static final String SECRET_KEY = "tdSecretKeyValue/For+TestsOnly";

    /** The Hadoop configuration a session gives its file systems: its {@code spark.hadoop.*} settings, prefix dropped. */
    private static Configuration hadoopConf(Map<String, String> sparkConf, int port) {
        Configuration conf = new Configuration(false);
        sparkConf.forEach((k, v) -> conf.set(k.substring("spark.hadoop.".length()), v));
        conf.set("fs.s3a.impl", "org.apache.hadoop.fs.s3a.S3AFileSystem");
        conf.set("fs.s3a.endpoint", "http://127.0.0.1:" + port);
        conf.set("fs.s3a.endpoint.region", "us-east-1");
        conf.set("fs.s3a.path.style.access", "true");
        conf.set("fs.s3a.connection.ssl.enabled", "false");
        conf.set("fs.s3a.aws.credentials.provider", "org.apache.hadoop.fs.s3a.SimpleAWSCredentialsProvider");
        conf.set("fs.s3a.access.key", ACCESS_KEY);
        conf.set("fs.s3a.secret.key", SECRET_KEY);
        conf.set("fs.s3a.impl.disable.cache", "true");
        return conf;
    }

    private static double listAndFail(Configuration conf) {
        long t0 = System.nanoTime();
        RuntimeException e = assertTimeoutPreemptively(Duration.ofSeconds(LIMIT_S),
                () -> assertThrows(RuntimeException.class, () -> InputReader.listFiles(conf, "s3a://bucket/data/")));
        double s = (System.nanoTime() - t0) / 1e9;
        System.out.printf("failed after %.1f s (limit %d s): %s%n", s, LIMIT_S,
                e.getMessage().lines().findFirst().orElse(""));
        assertTrue(e.getMessage().contains("s3a://bucket/data/"), e.getMessage());
        return s;
    }

    @Test
    void refusingEndpointFailsFast() throws Exception {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = s.getLocalPort();
        }
        Map<String, String> defaults = SparkSessions.s3aFastFailFillIns(new SparkConf(false));
        List<String> lines = new java.util.concurrent.CopyOnWriteArrayList<>();
        java.util.logging.Logger jul = java.util.logging.Logger.getLogger(S3aRetryLog.LOGGER);
        java.util.logging.Handler capture = new java.util.logging.Handler() {
            @Override
            public void publish(java.util.logging.LogRecord r) {
                lines.add(r.getMessage());
            }

            @Override
            public void flush() {}

            @Override
            public void close() {}
        };
        jul.addHandler(capture);
        try {
            listAndFail(hadoopConf(defaults, closedPort));
        } finally {
            jul.removeHandler(capture);
        }
        // Every failed attempt said what it was waiting for: operation, bucket, endpoint, attempt, cause; no secret.
        lines.forEach(l -> System.out.println("retry log: " + l));
        assertFalse(lines.isEmpty(), "no retry was logged");
        for (String l : lines) {
            assertTrue(l.startsWith("S3 ") && l.contains("on bucket 'bucket'") && l.contains("at http://127.0.0.1:"
                    + closedPort) && l.contains("attempt ") && l.contains("failed after ") && l.contains("refused"), l);
            assertFalse(l.contains(ACCESS_KEY) || l.contains(SECRET_KEY), "a credential in the log: " + l);
        }
        assertTrue(lines.stream().anyMatch(l -> l.contains("attempt 2")), "the SDK's retry is logged too: " + lines);
    }

    /** Accepts every connection and never sends a byte (the case that printed nothing for 11+ minutes). */
    @Test
    void silentEndpointFailsFast() throws Exception {
        List<Socket> held = new ArrayList<>();
        try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread acceptor = new Thread(() -> {
                try {
                    while (true) {
                        Socket s = server.accept();
                        synchronized (held) {
                            held.add(s);
                        }
                    }
                } catch (java.io.IOException closed) {
                    // the test is over
                }
            }, "silent-s3");
            acceptor.setDaemon(true);
            acceptor.start();
            Map<String, String> defaults = SparkSessions.s3aFastFailFillIns(new SparkConf(false));
            listAndFail(hadoopConf(defaults, server.getLocalPort()));
        } finally {
            synchronized (held) {
                for (Socket s : held) {
                    s.close();
                }
            }
        }
    }

    @Test
    void theUsersValuesWin() {
        Map<String, String> all = SparkSessions.s3aFastFailFillIns(new SparkConf(false));
        assertEquals("1", all.get("spark.hadoop.fs.s3a.attempts.maximum"));
        java.util.Set<String> keys = new java.util.TreeSet<>(SparkSessions.S3A_FAST_FAIL.keySet());
        keys.addAll(SparkSessions.S3A_RETRY_LOG.keySet());
        assertEquals(keys, all.keySet());
        assertEquals(S3aRetryLog.class.getName(), all.get("spark.hadoop.fs.s3a.audit.request.handlers"));
        SparkConf user = new SparkConf(false).set("spark.hadoop.fs.s3a.attempts.maximum", "9")
                .set("spark.hadoop.fs.s3a.connection.timeout", "600000");
        Map<String, String> fill = SparkSessions.s3aFastFailFillIns(user);
        assertFalse(fill.containsKey("spark.hadoop.fs.s3a.attempts.maximum"), "the user's --conf value must win");
        assertFalse(fill.containsKey("spark.hadoop.fs.s3a.connection.timeout"));
        assertEquals(all.size() - 2, fill.size());
    }
}
