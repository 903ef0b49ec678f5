package io.tracedistill.spark.prepare;

import io.tracedistill.spark.SparkSessions;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * One local Spark session per test class: {@code local[2]}, 127.0.0.1, no UI, 4 shuffle partitions. A subclass
 * that needs task retries overrides {@link #master()} before the session starts.
 */
abstract class SparkTestBase {
    protected static SparkSession spark;

    @BeforeAll
    static void startSpark() {
        String master = System.getProperty("tracedistill.test.master", "local[2]");
        spark = SparkSessions.builder(master, "prepare-tests")
                .config("spark.sql.shuffle.partitions", "4")
                .config("spark.ui.enabled", "false")
                .getOrCreate();
    }

    @AfterAll
    static void stopSpark() {
        if (spark != null) {
            spark.stop();
            spark = null;
        }
    }
}
