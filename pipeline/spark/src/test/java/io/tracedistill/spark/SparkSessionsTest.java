package io.tracedistill.spark;

import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A job's master and settings come from the platform: spark-submit's {@code --master}/{@code --conf} (system
 * properties, read by {@code new SparkConf()}), the cluster, or a session already running; {@code spark_master} is an
 * explicit override; only a plain local launch gets {@code local[*]}; nothing the platform set is overwritten.
 */
class SparkSessionsTest {
    private static final String CFG = "conf/x.yaml";

    @Test
    void platformMasterIsUsedAsIsAndItsSettingsStay() {
        SparkConf conf = new SparkConf(false).set("spark.master", "spark://10.0.0.7:7077")
                .set("spark.ui.enabled", "true");
        SparkSessions.MasterChoice c = SparkSessions.chooseMaster(conf, Optional.empty(), CFG);
        assertEquals(Optional.empty(), c.builderMaster(), "nothing on the builder: it would win over spark-submit");
        assertEquals("spark://10.0.0.7:7077", c.master());
        assertEquals("master spark://10.0.0.7:7077 (spark.master from spark-submit or the cluster's spark-defaults);"
                + " unset, so filled in: {spark.sql.session.timeZone=UTC}", c.describe());
        assertFalse(c.fillIns().containsKey("spark.ui.enabled"));
        assertFalse(c.fillIns().containsKey("spark.driver.host"), "a cluster driver is not bound to loopback");
    }

    @Test
    void noMasterAnywhereIsAPlainLocalLaunch() {
        SparkSessions.MasterChoice c = SparkSessions.chooseMaster(new SparkConf(false), Optional.empty(), CFG);
        assertEquals(Optional.of("local[*]"), c.builderMaster());
        assertEquals("master local[*] (plain local launch: no master from spark-submit, the cluster or spark_master in "
                + "conf/x.yaml); unset, so filled in: {spark.driver.bindAddress=127.0.0.1, spark.driver.host=127.0.0.1, "
                + "spark.sql.session.timeZone=UTC, spark.ui.enabled=false}", c.describe());
    }

    @Test
    void userSettingsWinOverTheLocalFillIns() {
        SparkConf conf = new SparkConf(false).set("spark.ui.enabled", "true").set("spark.sql.session.timeZone", "CET");
        SparkSessions.MasterChoice c = SparkSessions.chooseMaster(conf, Optional.empty(), CFG);
        assertEquals(Map.of("spark.driver.host", "127.0.0.1", "spark.driver.bindAddress", "127.0.0.1"), c.fillIns());
        assertEquals(List.of("spark.driver.bindAddress", "spark.driver.host"), List.copyOf(c.fillIns().keySet()));
    }

    @Test
    void configMasterIsAnExplicitOverrideAndSaysWhatItReplaces() {
        SparkConf conf = new SparkConf(false).set("spark.master", "yarn");
        SparkSessions.MasterChoice c = SparkSessions.chooseMaster(conf, Optional.of("local[2]"), CFG);
        assertEquals(Optional.of("local[2]"), c.builderMaster());
        assertEquals("spark_master in conf/x.yaml, an explicit override of spark.master=yarn from spark-submit or the "
                + "cluster", c.reason());
        c = SparkSessions.chooseMaster(new SparkConf(false), Optional.of("local[2]"), CFG);
        assertEquals("spark_master in conf/x.yaml, an explicit override of the platform (which set no master)", c.reason());
    }

    /**
     * The real session: spark-submit's settings arrive as {@code spark.*} system properties and are kept (master
     * and a SQL setting); a second call reuses the running session (as a Databricks JAR task must) and does not own
     * it; a {@code spark_master} that cannot apply to the running session is refused, naming the key.
     */
    @Test
    void jobSessionKeepsSubmitSettingsAndReusesARunningSession() {
        List<String> log = new ArrayList<>();
        System.setProperty("spark.master", "local[1]");
        System.setProperty("spark.sql.shuffle.partitions", "3");
        System.setProperty("spark.hadoop.fs.s3a.retry.limit", "5");
        SparkSessions.JobSession first = null;
        try {
            first = SparkSessions.forJob(Optional.empty(), CFG, "sessions-test", log::add);
            SparkSession s = first.session();
            assertTrue(first.started());
            assertEquals("local[1]", s.sparkContext().master());
            assertEquals("3", s.conf().get("spark.sql.shuffle.partitions"));
            assertEquals("false", s.conf().get("spark.ui.enabled"), "local and unset by the platform: no UI");
            // (the test JVM already has spark.driver.host/bindAddress as system properties, so they are not filled in)
            assertEquals(List.of("master local[1] (spark.master from spark-submit or the cluster's spark-defaults); unset, "
                    + "so filled in: {spark.sql.session.timeZone=UTC, spark.ui.enabled=false}",
                    "S3A fast-fail defaults (unset, so filled in; set spark.hadoop.fs.s3a.* to override): "
                    + "{spark.hadoop.fs.s3a.attempts.maximum=1, spark.hadoop.fs.s3a.audit.enabled=true, "
                    + "spark.hadoop.fs.s3a.audit.request.handlers=io.tracedistill.spark.S3aRetryLog, "
                    + "spark.hadoop.fs.s3a.audit.service.classname=org.apache.hadoop.fs.s3a.audit.impl.NoopAuditor, "
                    + "spark.hadoop.fs.s3a.connection.establish.timeout=5000, "
                    + "spark.hadoop.fs.s3a.connection.request.timeout=30s, spark.hadoop.fs.s3a.connection.timeout=8000, "
                    + "spark.hadoop.fs.s3a.retry.interval=500ms}"), log);
            // The S3A defaults reach the file systems' Hadoop configuration; the user's --conf value stays.
            assertEquals("8000", s.sparkContext().hadoopConfiguration().get("fs.s3a.connection.timeout"));
            assertEquals("5", s.sparkContext().hadoopConfiguration().get("fs.s3a.retry.limit"));

            SparkSessions.JobSession again = SparkSessions.forJob(Optional.empty(), CFG, "sessions-test", log::add);
            assertSame(s, again.session());
            assertFalse(again.started(), "a running session belongs to whoever started it");
            assertEquals("master local[1] (the Spark session already running in this JVM, used as it is)", log.get(2));
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> SparkSessions.forJob(Optional.of("local[3]"), CFG, "sessions-test", log::add));
            assertEquals("spark_master: local[3] in conf/x.yaml cannot apply: this JVM already runs a Spark session on "
                    + "master local[1] (a Databricks JAR task or a notebook); remove spark_master or set it to null",
                    e.getMessage());
        } finally {
            System.clearProperty("spark.master");
            System.clearProperty("spark.sql.shuffle.partitions");
            System.clearProperty("spark.hadoop.fs.s3a.retry.limit");
            if (first != null) {
                first.session().stop();
            }
        }
        // Stopped: the next job starts its own session instead of reusing the dead one.
        SparkSessions.JobSession next = SparkSessions.forJob(Optional.of("local[1]"), CFG, "sessions-test", log::add);
        try {
            assertTrue(next.started());
        } finally {
            next.session().stop();
        }
    }
}
