package io.tracedistill.spark.train;

import io.tracedistill.contract.FormatContract;
import io.tracedistill.eval.EvalExample;
import io.tracedistill.spark.Columns;
import io.tracedistill.train.HeldOutGreedy;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

import java.util.ArrayList;
import java.util.List;

import static org.apache.spark.sql.functions.col;

/**
 * The held-out rows that {@code eval_generate_limit} decodes during training, read from the prepared slice
 * ({@code prepared/heldout/}) as eval rows: row index = the slice position, the type, the user turn (the prepared
 * {@code prompt}: {@code str(prompt) + prompt_suffix}) and {@code str(answer)} read back from the prepared assistant
 * turn ({@link FormatContract#answerOf}).
 *
 * <p>Only the selected rows' texts reach the driver: the (position, type) pairs are collected, {@link HeldOutGreedy#select}
 * picks up to {@code limit} round-robin over the types, and then only those rows' prompt and completion are read.
 */
public final class HeldOutRows {

    private HeldOutRows() {
    }

    /**
     * @param dir    {@code prepared/heldout/} (local or any Hadoop URI)
     * @param format the shards' Spark source ({@code parquet} or {@code json})
     * @param limit  {@code eval_generate_limit}
     * @throws IllegalStateException naming the folder and position of a row whose completion has no final boxed answer
     */
    public static List<EvalExample> read(SparkSession spark, String dir, String format, int limit) {
        Dataset<Row> slice = spark.read().format(format).load(dir);
        List<long[]> keys = new ArrayList<>();
        List<String> types = new ArrayList<>();
        for (Row r : slice.select(col(Columns.POSITION), col(Columns.TYPE)).orderBy(col(Columns.POSITION)).collectAsList()) {
            keys.add(new long[] {r.getLong(0), types.size()});
            types.add(r.getString(1));
        }
        List<long[]> chosen = HeldOutGreedy.select(keys, k -> types.get((int) k[1]), limit);
        Object[] positions = chosen.stream().map(k -> (Object) k[0]).toArray();
        List<EvalExample> out = new ArrayList<>(chosen.size());
        for (Row r : slice.filter(col(Columns.POSITION).isin(positions))
                .select(col(Columns.POSITION), col(Columns.TYPE), col(Columns.PROMPT), col(Columns.COMPLETION))
                .orderBy(col(Columns.POSITION)).collectAsList()) {
            long position = r.getLong(0);
            String answer = FormatContract.answerOf(r.getString(3)).orElseThrow(() -> new IllegalStateException(dir
                    + ": the held-out row at position " + position + " has a completion that does not end in"
                    + " \"\\n</think>\\n\\\\boxed{answer}\", so it cannot be graded; run prepare again (tracedistill prepare --force)"));
            out.add(new EvalExample(position, r.getString(1), answer, r.getString(2)));
        }
        return out;
    }
}
