package io.tracedistill.spark.eval;

import io.tracedistill.eval.BatchPlan;
import io.tracedistill.spark.Columns;
import io.tracedistill.spark.InputRowOrder;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * Eval step 2, on the driver, from a few numbers per row: the input row index of every staged row (order: file path,
 * then read partition, then position — the order prepare uses, which is the input's row order), the
 * {@code eval_limit} cut (the first N rows in that order), the decode batches ({@link BatchPlan}, over the whole
 * eval set) and the Spark partition of every batch (round-robin over the length-sorted batches, for balance).
 *
 * @param inputRows      rows read from {@code eval_path}
 * @param evalRows       rows evaluated (after {@code eval_limit})
 * @param decodable      evaluated rows that will be decoded
 * @param batches        number of decode batches
 * @param partitions     number of decode partitions
 * @param assignment     {@code (pid << 32 | pos)} → {@code {rowIndex, batchId (-1: not decoded), partition}};
 *                       rows cut by {@code eval_limit} are absent
 */
record EvalPlan(long inputRows, long evalRows, long decodable, int batches, int partitions,
        HashMap<Long, long[]> assignment) implements Serializable {

    static long key(int pid, long pos) {
        return ((long) pid << 32) | pos;
    }

    /** Builds the plan from the staged rows (reads only pid, pos, source_file, prompt_tokens, skip). */
    static EvalPlan build(Dataset<Row> staged, Integer limit, int batchSize, int parallelism) {
        Dataset<Row> proj = staged.select(EncodePartition.PID, EncodePartition.POS, Columns.SOURCE_FILE,
                EncodePartition.NTOK, EncodePartition.SKIP);
        List<int[]> idPos = new ArrayList<>(); // {pid, pos, fileId, promptTokens, decodable}
        Map<String, Integer> fileIds = new HashMap<>();
        List<String> files = new ArrayList<>();
        Iterator<Row> it = proj.toLocalIterator();
        while (it.hasNext()) {
            Row r = it.next();
            long pos = r.getLong(1);
            if (pos > Integer.MAX_VALUE) {
                throw new IllegalStateException("A read partition of eval_path holds more than 2^31 rows");
            }
            String f = r.getString(2);
            Integer fid = fileIds.computeIfAbsent(f, k -> {
                files.add(k);
                return files.size() - 1;
            });
            idPos.add(new int[] {r.getInt(0), (int) pos, fid, r.getInt(3), r.isNullAt(4) ? 1 : 0});
        }
        // Input row order, as prepare orders data_path: file path, then read partition, then position.
        int[] fileCol = new int[idPos.size()];
        int[] pidCol = new int[idPos.size()];
        int[] posCol = new int[idPos.size()];
        for (int i = 0; i < fileCol.length; i++) {
            fileCol[i] = idPos.get(i)[2];
            pidCol[i] = idPos.get(i)[0];
            posCol[i] = idPos.get(i)[1];
        }
        int[] order = InputRowOrder.order(fileCol, pidCol, posCol, InputRowOrder.fileRanks(files));
        List<int[]> ordered = new ArrayList<>(order.length);
        for (int i : order) {
            ordered.add(idPos.get(i));
        }
        idPos = ordered;
        long inputRows = idPos.size();
        int n = limit == null ? idPos.size() : (int) Math.min(idPos.size(), Math.max(0, limit));
        List<int[]> kept = idPos.subList(0, n);
        // Decode batches over the decodable kept rows.
        List<Integer> dec = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            if (kept.get(i)[4] == 1) {
                dec.add(i);
            }
        }
        long[] rowIdx = new long[dec.size()];
        int[] lens = new int[dec.size()];
        for (int j = 0; j < dec.size(); j++) {
            rowIdx[j] = dec.get(j);
            lens[j] = kept.get(dec.get(j))[3];
        }
        int[] batchOf = BatchPlan.assign(rowIdx, lens, batchSize);
        int batches = dec.isEmpty() ? 0 : Arrays.stream(batchOf).max().getAsInt() + 1;
        int partitions = Math.max(1, Math.min(Math.max(1, batches), Math.max(1, parallelism)));
        HashMap<Long, long[]> assignment = new HashMap<>();
        for (int i = 0; i < n; i++) {
            int[] a = kept.get(i);
            assignment.put(key(a[0], a[1]), new long[] {i, -1, i % partitions});
        }
        for (int j = 0; j < dec.size(); j++) {
            int[] a = kept.get(dec.get(j));
            assignment.put(key(a[0], a[1]), new long[] {dec.get(j), batchOf[j], batchOf[j] % partitions});
        }
        return new EvalPlan(inputRows, n, dec.size(), batches, partitions, assignment);
    }
}
