package io.tracedistill.spark.train;

import io.tracedistill.spark.Columns;
import io.tracedistill.train.TokenExample;
import io.tracedistill.train.TokenShardReader;

import java.util.Iterator;
import java.util.List;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

import static org.apache.spark.sql.functions.col;

/**
 * Streams one phase's token shards ({@code output_dir/tokens/phaseN/}, Parquet or JSON Lines) to the
 * trainer in stored training order, without collecting the phase on the driver.
 *
 * <p>The shards are already written in {@code position} order; the {@code orderBy} only guards against
 * a reader that lists files differently, and Spark turns it into a range sort that
 * {@link Dataset#toLocalIterator()} then pulls one partition at a time.
 */
public final class SparkTokenShardReader implements TokenShardReader {
    private final SparkSession spark;
    private final String dir;
    private final String sparkFormat;

    /**
     * @param spark the session (its Hadoop configuration resolves {@code dir}, local or {@code s3a://})
     * @param dir a phase's token shard directory
     * @param sparkFormat {@code parquet} or {@code json}
     */
    public SparkTokenShardReader(SparkSession spark, String dir, String sparkFormat) {
        this.spark = spark;
        this.dir = dir;
        this.sparkFormat = sparkFormat;
    }

    private Dataset<Row> rows() {
        return spark.read().format(sparkFormat).load(dir)
                .select(col(Columns.POSITION), col(Columns.TYPE), col(Columns.INPUT_IDS), col(Columns.LABELS))
                .orderBy(col(Columns.POSITION));
    }

    @Override
    public Iterator<TokenExample> open() {
        Iterator<Row> it = rows().toLocalIterator();
        return new Iterator<>() {
            @Override
            public boolean hasNext() {
                return it.hasNext();
            }

            @Override
            public TokenExample next() {
                Row r = it.next();
                return new TokenExample(r.getLong(0), r.getString(1), ints(r.getList(2)), ints(r.getList(3)));
            }
        };
    }

    @Override
    public long count() {
        return spark.read().format(sparkFormat).load(dir).count();
    }

    private static int[] ints(List<Object> values) {
        int[] out = new int[values.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = ((Number) values.get(i)).intValue();
        }
        return out;
    }
}
