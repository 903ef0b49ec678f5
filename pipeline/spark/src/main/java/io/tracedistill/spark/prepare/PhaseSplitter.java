package io.tracedistill.spark.prepare;

import static io.tracedistill.spark.prepare.FormatContractTransform.BOXED;
import static io.tracedistill.spark.prepare.FormatContractTransform.COT_LEN;
import static io.tracedistill.spark.prepare.FormatContractTransform.PID;
import static io.tracedistill.spark.prepare.FormatContractTransform.POS;
import static io.tracedistill.spark.prepare.FormatContractTransform.PROMPT_LEN;
import static io.tracedistill.spark.prepare.FormatContractTransform.STAGED_REASON;
import static io.tracedistill.spark.prepare.FormatContractTransform.STAGED_TYPE;

import io.tracedistill.order.StratifiedOrder;
import io.tracedistill.run.Phase;
import io.tracedistill.spark.Columns;
import io.tracedistill.split.TwoPhaseSplit;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;

/**
 * Step 4 of prepare: the two-phase split and the per-phase stratified order, computed on the driver exactly
 * as the core computes them, then handed back to the executors as a {@link RowAssignment}.
 *
 * <p>Steps (reference {@code tracedistill/training.py::train_two_phase} and {@code _run_phase}):
 * <ol>
 *   <li>Bring one small summary per staged row (partition id, position, file, type, reason, lengths) to the
 *       driver, packed per partition ({@link SummaryPacker}): as a by-product of the staged write
 *       ({@link #fromStagingBlobs}) or, if that is incomplete, by a scan of the staged copy
 *       ({@link #collectWithIdentity}). Order the rows by (file path, partition id, position): this is the input
 *       row index, i.e. the frame order of {@code pd.read_csv} over the files in path order.</li>
 *   <li>{@link TwoPhaseSplit#split} over <em>all</em> input rows (the reference splits the raw frame before
 *       {@code build_records} drops rows, so dropped rows still count towards the hard quota and the shuffle).
 *       A row without a type is never hard and never sampled, as in the reference.</li>
 *   <li>Per phase, keep the rows the contract kept (phase order): their index in that list is
 *       {@code phase_index}; {@link StratifiedOrder#indexOrder}(types, effective batch, seed) gives the training
 *       order, and {@code position} is a row's place in it.</li>
 * </ol>
 */
public final class PhaseSplitter {
    private PhaseSplitter() {}

    /** Split/order parameters. {@code effectiveBatch1/2} = per-device batch × grad accumulation × world size. */
    public record Params(Collection<String> hardTypes, long splitSeed, BigInteger orderSeed, boolean shuffle,
            int effectiveBatch1, int effectiveBatch2) {}

    /** The driver-side summary of every input row, in input row order. */
    public record InputSummary(List<String> files, int[] fileOfRow, int[] sourceRow, String[] type, String[] reason,
            int[] cotLen, int[] promptLen, byte[] boxed) {
        public int rows() {
            return type.length;
        }
    }

    /** What the split produced: the assignment plus, per phase, the input rows in training order. */
    public record Result(InputSummary summary, RowAssignment assignment, int[] phase1InputRowsByPosition,
            int[] phase2InputRowsByPosition, TwoPhaseSplit.SplitResult split) {}

    /**
     * Runs steps 1–3 over the staged rows.
     *
     * @throws IllegalArgumentException with the core's message (no rows, no hard rows, bad seed), or when a phase
     *     has no usable record (the reference's {@code Phase 'phase1' produced 0 usable records.})
     */
    public static Result split(Dataset<Row> staged, Params params) {
        InputSummary summary = collect(staged);
        return split(summary, params);
    }

    /** Steps 2–3 on an already collected summary (pure Java; unit-testable without Spark). */
    public static Result split(InputSummary s, Params params) {
        int n = s.rows();
        List<String> typesForSplit = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            typesForSplit.add(QuarantineReason.MISSING_TYPE.equals(s.reason()[i]) ? null : s.type()[i]);
        }
        TwoPhaseSplit.SplitResult split =
                TwoPhaseSplit.split(typesForSplit, params.hardTypes(), params.splitSeed(), params.shuffle());
        int[][] position = new int[2][n];
        int[][] phaseIndex = new int[2][n];
        int[][] byPosition = new int[2][];
        for (int p = 0; p < 2; p++) {
            Arrays.fill(position[p], RowAssignment.NONE);
            Arrays.fill(phaseIndex[p], RowAssignment.NONE);
            int[] rows = p == 0 ? split.phase1Rows() : split.phase2Rows();
            int[] kept = Arrays.stream(rows).filter(r -> s.reason()[r] == null).toArray();
            if (kept.length == 0) {
                throw new IllegalArgumentException("Phase '" + Phase.values()[p] + "' produced 0 usable records ("
                        + rows.length + " rows were split into it, all quarantined); check the quarantine reasons "
                        + "in prepared/quarantine and the hard_types");
            }
            List<String> labels = new ArrayList<>(kept.length);
            for (int i = 0; i < kept.length; i++) {
                phaseIndex[p][kept[i]] = i;
                labels.add(s.type()[kept[i]]);
            }
            int batch = p == 0 ? params.effectiveBatch1() : params.effectiveBatch2();
            int[] order = StratifiedOrder.indexOrder(labels, batch, params.orderSeed());
            byPosition[p] = new int[order.length];
            for (int k = 0; k < order.length; k++) {
                int row = kept[order[k]];
                position[p][row] = k;
                byPosition[p][k] = row;
            }
        }
        RowAssignment a = new RowAssignment(null, s.sourceRow(), position, phaseIndex);
        return new Result(s, a, byPosition[0], byPosition[1], split);
    }

    /**
     * Step 1: collects the staged summary columns to the driver (one packed blob per partition) and orders the
     * rows. Memory: the summary arrays plus the blobs while decoding (measured: see the README's benchmark).
     */
    public static InputSummary collect(Dataset<Row> staged) {
        return collectWithIdentity(staged).summary();
    }

    /** The summary plus the (pid, pos) → input row map the executors need. */
    public record Collected(InputSummary summary, int[][] inputRowByPidPos) {}

    /** Step 1 with the read-identity map. */
    public static Collected collectWithIdentity(Dataset<Row> staged) {
        Dataset<Row> proj = staged.select(PID, POS, Columns.SOURCE_FILE, STAGED_TYPE, STAGED_REASON, COT_LEN, PROMPT_LEN, BOXED);
        // Each partition packs its rows into one compact blob (dictionary-coded strings, ~22 bytes per row), so the
        // driver receives a handful of byte arrays instead of a million Row objects.
        return decode(proj.mapPartitions(new PackFn(), Encoders.BINARY()).collectAsList());
    }

    /**
     * Step 1 from the blobs the staged write already produced ({@link FormatContractTransform} packs each
     * partition's summary into an accumulator as it stages it), or empty when they are not exactly one per read
     * partition (then the caller scans the staged copy with {@link #collectWithIdentity(Dataset)}).
     */
    public static java.util.Optional<Collected> fromStagingBlobs(List<byte[]> blobs) {
        java.util.TreeMap<Integer, byte[]> byPid = new java.util.TreeMap<>();
        int partitions = -1;
        for (byte[] b : blobs) {
            java.nio.ByteBuffer head = java.nio.ByteBuffer.wrap(b);
            int pid = head.getInt();
            int n = head.getInt();
            if (partitions >= 0 && n != partitions) {
                return java.util.Optional.empty();
            }
            partitions = n;
            byPid.putIfAbsent(pid, b); // a partition's blob is deterministic: a duplicate is identical
        }
        // Distinct sorted pids: exactly 0..partitions-1 when there are that many and they span that range.
        if (partitions < 1 || byPid.size() != partitions || byPid.firstKey() != 0
                || byPid.lastKey() != partitions - 1) {
            return java.util.Optional.empty();
        }
        return java.util.Optional.of(decode(new ArrayList<>(byPid.values()), STAGING_HEADER));
    }

    /** Bytes in front of a staging blob's summary: pid and partition count ({@link SummaryPacker#toStagingBlob}). */
    static final int STAGING_HEADER = 8;

    /** Decodes per-partition summary blobs ({@link SummaryPacker}) and orders the rows. */
    static Collected decode(List<byte[]> blobs) {
        return decode(blobs, 0);
    }

    /** {@link #decode(List)} of blobs whose summary starts {@code offset} bytes in. */
    private static Collected decode(List<byte[]> blobs, int offset) {
        Map<String, Integer> fileIds = new HashMap<>();
        List<String> files = new ArrayList<>();
        Map<String, String> interned = new HashMap<>();
        IntList pid = new IntList();
        IntList pos = new IntList();
        IntList file = new IntList();
        IntList cot = new IntList();
        IntList prompt = new IntList();
        IntList boxed = new IntList();
        List<String> type = new ArrayList<>();
        List<String> reason = new ArrayList<>();
        for (byte[] blob : blobs) {
            try (DataInputStream in = new DataInputStream(
                    new ByteArrayInputStream(blob, offset, blob.length - offset))) {
                String[] fdict = readDict(in, interned);
                int[] fmap = new int[fdict.length];
                for (int i = 0; i < fdict.length; i++) {
                    Integer fid = fileIds.get(fdict[i]);
                    if (fid == null) {
                        fid = files.size();
                        fileIds.put(fdict[i], fid);
                        files.add(fdict[i]);
                    }
                    fmap[i] = fid;
                }
                String[] tdict = readDict(in, interned);
                String[] rdict = readDict(in, interned);
                int rows = in.readInt();
                for (int k = 0; k < rows; k++) {
                    pid.add(in.readInt());
                    long p = in.readLong();
                    if (p > Integer.MAX_VALUE) {
                        throw new IllegalStateException("A read partition holds more than 2^31 rows; split the input");
                    }
                    pos.add((int) p);
                    file.add(fmap[in.readInt()]);
                    int t = in.readInt();
                    type.add(t < 0 ? null : tdict[t]);
                    int rr = in.readInt();
                    reason.add(rr < 0 ? null : rdict[rr]);
                    cot.add(in.readInt());
                    prompt.add(in.readInt());
                    boxed.add(in.readByte());
                }
            } catch (IOException e) {
                throw new UncheckedIOException("Cannot decode the staged summary", e);
            }
        }
        int n = pid.size();
        // Order: file path, then partition id, then position (see the class comment).
        Integer[] fileRankOf = new Integer[files.size()];
        Integer[] byPath = new Integer[files.size()];
        for (int i = 0; i < byPath.length; i++) {
            byPath[i] = i;
        }
        Arrays.sort(byPath, Comparator.comparing(files::get));
        List<String> sortedFiles = new ArrayList<>();
        for (int rank = 0; rank < byPath.length; rank++) {
            fileRankOf[byPath[rank]] = rank;
            sortedFiles.add(files.get(byPath[rank]));
        }
        final int[] fileA = file.toArray();
        final int[] pidA = pid.toArray();
        final int[] posA = pos.toArray();
        int[] idx = inputOrder(fileA, pidA, posA, fileRankOf);
        int maxPid = 0;
        for (int p : pidA) {
            maxPid = Math.max(maxPid, p);
        }
        int[] perPid = new int[maxPid + 1];
        for (int i = 0; i < n; i++) {
            perPid[pidA[i]] = Math.max(perPid[pidA[i]], posA[i] + 1);
        }
        int[][] byPidPos = new int[maxPid + 1][];
        for (int p = 0; p <= maxPid; p++) {
            byPidPos[p] = new int[perPid[p]];
        }
        int[] fileOfRow = new int[n];
        int[] sourceRow = new int[n];
        String[] typeOut = new String[n];
        String[] reasonOut = new String[n];
        int[] cotOut = new int[n];
        int[] promptOut = new int[n];
        byte[] boxedOut = new byte[n];
        int[] cotA = cot.toArray();
        int[] promptA = prompt.toArray();
        int[] boxedA = boxed.toArray();
        int prevFile = -1;
        int rowInFile = 0;
        for (int g = 0; g < n; g++) {
            int i = idx[g];
            int f = fileRankOf[fileA[i]];
            rowInFile = f == prevFile ? rowInFile + 1 : 0;
            prevFile = f;
            fileOfRow[g] = f;
            sourceRow[g] = rowInFile;
            typeOut[g] = type.get(i);
            reasonOut[g] = reason.get(i);
            cotOut[g] = cotA[i];
            promptOut[g] = promptA[i];
            boxedOut[g] = (byte) boxedA[i];
            byPidPos[pidA[i]][posA[i]] = g;
        }
        InputSummary s = new InputSummary(List.copyOf(sortedFiles), fileOfRow, sourceRow, typeOut, reasonOut, cotOut,
                promptOut, boxedOut);
        return new Collected(s, byPidPos);
    }

    /**
     * The collected rows (by collect index) in input row order: file rank, then partition id, then position. The
     * rows arrive as runs (same file and partition, consecutive positions: a partition's rows of one file), so
     * sorting the runs by their first key orders every row, in O(runs log runs) instead of a million-row sort.
     */
    static int[] inputOrder(int[] file, int[] pid, int[] pos, Integer[] fileRankOf) {
        int n = pid.length;
        IntList runStart = new IntList();
        for (int i = 0; i < n; i++) {
            if (i == 0 || file[i] != file[i - 1] || pid[i] != pid[i - 1] || pos[i] != pos[i - 1] + 1) {
                runStart.add(i);
            }
        }
        int runs = runStart.size();
        int[] starts = runStart.toArray();
        Integer[] byKey = new Integer[runs];
        for (int r = 0; r < runs; r++) {
            byKey[r] = r;
        }
        Arrays.sort(byKey, (x, y) -> {
            int a = starts[x];
            int b = starts[y];
            int c = Integer.compare(fileRankOf[file[a]], fileRankOf[file[b]]);
            if (c != 0) {
                return c;
            }
            c = Integer.compare(pid[a], pid[b]);
            return c != 0 ? c : Integer.compare(pos[a], pos[b]);
        });
        int[] idx = new int[n];
        int g = 0;
        for (Integer r : byKey) {
            int end = r + 1 < runs ? starts[r + 1] : n;
            for (int i = starts[r]; i < end; i++) {
                idx[g++] = i;
            }
        }
        return idx;
    }

    /** {@link #split(InputSummary, Params)} plus the executor-side identity map. */
    public static Result split(Collected c, Params params) {
        Result r = split(c.summary(), params);
        RowAssignment a = r.assignment();
        RowAssignment withIdentity = new RowAssignment(c.inputRowByPidPos(), c.summary().sourceRow(),
                a.positionArrays(), a.phaseIndexArrays());
        return new Result(r.summary(), withIdentity, r.phase1InputRowsByPosition(), r.phase2InputRowsByPosition(),
                r.split());
    }

    private static String[] readDict(DataInputStream in, Map<String, String> interned) throws IOException {
        String[] d = new String[in.readInt()];
        for (int i = 0; i < d.length; i++) {
            d[i] = intern(interned, in.readUTF());
        }
        return d;
    }

    /** Packs one partition of the summary projection into a blob (see {@link #collectWithIdentity}). */
    private static final class PackFn implements MapPartitionsFunction<Row, byte[]> {
        private static final long serialVersionUID = 1L;

        @Override
        public Iterator<byte[]> call(Iterator<Row> rows) {
            SummaryPacker p = new SummaryPacker();
            while (rows.hasNext()) {
                Row r = rows.next();
                p.add(r.getInt(0), r.getLong(1), r.getString(2), r.isNullAt(3) ? null : r.getString(3),
                        r.isNullAt(4) ? null : r.getString(4), r.getInt(5), r.getInt(6), r.getByte(7));
            }
            return List.of(p.toBlob()).iterator();
        }
    }

    /**
     * One partition's summary rows as a compact blob: three string dictionaries (files, types, reasons), the row
     * count, then per row pid, position, file/type/reason codes (-1 = null), cot and prompt lengths, boxed flag.
     */
    static final class SummaryPacker {
        private final Map<String, Integer> files = new LinkedHashMap<>();
        private final Map<String, Integer> types = new LinkedHashMap<>();
        private final Map<String, Integer> reasons = new LinkedHashMap<>();
        private final ByteArrayOutputStream body = new ByteArrayOutputStream(1 << 16);
        private final DataOutputStream out = new DataOutputStream(body);
        private int n;

        void add(int pid, long pos, String file, String type, String reason, int cotLen, int promptLen, byte boxed) {
            try {
                out.writeInt(pid);
                out.writeLong(pos);
                out.writeInt(files.computeIfAbsent(file, k -> files.size()));
                out.writeInt(type == null ? -1 : types.computeIfAbsent(type, k -> types.size()));
                out.writeInt(reason == null ? -1 : reasons.computeIfAbsent(reason, k -> reasons.size()));
                out.writeInt(cotLen);
                out.writeInt(promptLen);
                out.writeByte(boxed);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            n++;
        }

        /** The blob; {@code prefix} bytes are reserved in front (zeros) for the caller's header. */
        byte[] toBlob(int prefix) {
            try {
                out.flush();
                ByteArrayOutputStream all = new ByteArrayOutputStream(prefix + body.size() + 1024);
                DataOutputStream head = new DataOutputStream(all);
                head.write(new byte[prefix]);
                for (Map<String, Integer> dict : List.of(files, types, reasons)) {
                    head.writeInt(dict.size());
                    for (String k : dict.keySet()) {
                        head.writeUTF(k);
                    }
                }
                head.writeInt(n);
                head.flush();
                body.writeTo(all);
                return all.toByteArray();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        byte[] toBlob() {
            return toBlob(0);
        }

        /** A staging blob: {@code pid} and the stage's partition count, then {@link #toBlob()}. */
        byte[] toStagingBlob(int pid, int partitions) {
            byte[] b = toBlob(STAGING_HEADER);
            java.nio.ByteBuffer.wrap(b).putInt(pid).putInt(partitions);
            return b;
        }
    }

    private static String intern(Map<String, String> pool, String s) {
        if (s == null) {
            return null;
        }
        String prev = pool.putIfAbsent(s, s);
        return prev == null ? s : prev;
    }

    /** A growable int array (avoids boxing a million Integers). */
    static final class IntList {
        private int[] a = new int[1024];
        private int n;

        void add(int v) {
            if (n == a.length) {
                a = Arrays.copyOf(a, a.length * 2);
            }
            a[n++] = v;
        }

        int size() {
            return n;
        }

        int[] toArray() {
            return Arrays.copyOf(a, n);
        }
    }
}
