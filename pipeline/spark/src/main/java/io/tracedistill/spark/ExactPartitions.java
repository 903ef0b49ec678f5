package io.tracedistill.spark;

import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.expressions.UserDefinedFunction;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.unsafe.hash.Murmur3_x86_32;

/**
 * Sends every row to the shuffle partition its int column names, through the DataFrame shuffle (binary rows,
 * no Java serialization). Spark's DataFrame API has no custom partitioner; {@code repartition(n, key)} puts a
 * row in partition {@code pmod(murmur3(key, 42), n)}. So each target partition {@code k} gets a routing key
 * whose hash lands in {@code k} ({@link #routingKeys}); a plan-level assertion ({@code spark_partition_id()}
 * after the shuffle) fails the job if a row ever lands elsewhere, so a change in Spark's hashing fails closed
 * instead of mixing shards. A {@code repartition} with an explicit count is never coalesced by AQE.
 */
public final class ExactPartitions {
    private ExactPartitions() {}

    /** Seed of Spark's {@code HashPartitioning} (Murmur3Hash's default). */
    static final int SPARK_HASH_SEED = 42;

    private static final String ROUTE = "__td_route";

    /** For each partition {@code k < n}, the smallest non-negative int whose Spark hash partition is {@code k}. */
    public static int[] routingKeys(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("partition count must be at least 1, got " + n);
        }
        int[] keys = new int[n];
        java.util.Arrays.fill(keys, -1);
        int found = 0;
        for (int v = 0; found < n; v++) {
            int k = Math.floorMod(Murmur3_x86_32.hashInt(v, SPARK_HASH_SEED), n);
            if (keys[k] < 0) {
                keys[k] = v;
                found++;
            }
        }
        return keys;
    }

    /**
     * {@code ds} shuffled so that partition {@code k} holds exactly the rows whose {@code partitionColumn} (int,
     * in {@code [0, n)}) is {@code k}, sorted within by {@code sortColumn}; {@code partitionColumn} is dropped.
     */
    public static Dataset<Row> shuffle(Dataset<Row> ds, String partitionColumn, int n, String sortColumn) {
        return shuffle(ds, partitionColumn, n, sortColumn, routingKeys(n));
    }

    /** {@link #shuffle} with given routing keys (package-private so a test can prove the check fires). */
    static Dataset<Row> shuffle(Dataset<Row> ds, String partitionColumn, int n, String sortColumn, int[] keys) {
        UserDefinedFunction route = functions.udf((UDF1<Integer, Integer>) p -> keys[p], DataTypes.IntegerType)
                .asNonNullable();
        Column part = functions.col(partitionColumn);
        Column landed = functions.assert_true(part.equalTo(functions.spark_partition_id()),
                functions.concat(functions.lit("ExactPartitions: a row meant for partition "), part.cast("string"),
                        functions.lit(" landed in partition "), functions.spark_partition_id().cast("string"),
                        functions.lit("; Spark's hash partitioning differs from Murmur3(seed 42), see ExactPartitions")));
        return ds.withColumn(ROUTE, route.apply(part))
                .repartition(n, functions.col(ROUTE))
                .sortWithinPartitions(sortColumn)
                .filter(landed.isNull())
                .drop(ROUTE, partitionColumn);
    }
}
