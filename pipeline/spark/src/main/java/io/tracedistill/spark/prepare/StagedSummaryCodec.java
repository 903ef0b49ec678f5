package io.tracedistill.spark.prepare;

import static io.tracedistill.spark.prepare.FormatContractTransform.BOXED;
import static io.tracedistill.spark.prepare.FormatContractTransform.COT_LEN;
import static io.tracedistill.spark.prepare.FormatContractTransform.ISSUES;
import static io.tracedistill.spark.prepare.FormatContractTransform.PID;
import static io.tracedistill.spark.prepare.FormatContractTransform.POS;
import static io.tracedistill.spark.prepare.FormatContractTransform.PROMPT_LEN;
import static io.tracedistill.spark.prepare.FormatContractTransform.STAGED_REASON;
import static io.tracedistill.spark.prepare.FormatContractTransform.STAGED_TYPE;

import io.tracedistill.spark.Columns;
import io.tracedistill.spark.InputRowOrder;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
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
 * Step 1 of the split ({@link PhaseSplitter}): brings one small summary per staged row (partition id, position, file,
 * type, reason, lengths, boxed flag) to the driver and puts the rows in input row order ({@link InputRowOrder}).
 *
 * <p>Each read partition packs its rows into one compact blob ({@link SummaryPacker}: three string dictionaries, then
 * ~34 bytes per row), so the driver receives a handful of byte arrays instead of a million {@code Row} objects. The
 * blobs come either as a by-product of the staged write ({@link #fromStagingBlobs}: {@link FormatContractTransform}
 * adds them to an accumulator) or, when those are incomplete, from a scan of the staged copy
 * ({@link #collectWithIdentity}).
 */
public final class StagedSummaryCodec {
    private StagedSummaryCodec() {}

    /** The driver-side summary of every input row, in input row order. */
    public record InputSummary(List<String> files, int[] fileOfRow, int[] sourceRow, String[] type, String[] reason,
            int[] cotLen, int[] promptLen, byte[] boxed, byte[] targetIssues) {
        /** A summary without target issues (hand-made summaries in tests). */
        public InputSummary(List<String> files, int[] fileOfRow, int[] sourceRow, String[] type, String[] reason,
                int[] cotLen, int[] promptLen, byte[] boxed) {
            this(files, fileOfRow, sourceRow, type, reason, cotLen, promptLen, boxed, new byte[type.length]);
        }

        public int rows() {
            return type.length;
        }
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
        Dataset<Row> proj = staged.select(PID, POS, Columns.SOURCE_FILE, STAGED_TYPE, STAGED_REASON, COT_LEN, PROMPT_LEN, BOXED,
                ISSUES);
        // Each partition packs its rows into one compact blob (dictionary-coded strings, ~34 bytes per row), so the
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
        IntList issues = new IntList();
        List<String> type = new ArrayList<>();
        List<String> reason = new ArrayList<>();
        for (byte[] blob : blobs) {
            try (DataInputStream in = new DataInputStream(new UnsyncedBytes(blob, offset))) {
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
                    issues.add(in.readByte());
                }
            } catch (IOException e) {
                throw new UncheckedIOException("Cannot decode the staged summary", e);
            }
        }
        int n = pid.size();
        // Order: file path, then partition id, then position (InputRowOrder, shared with eval).
        int[] fileRankOf = InputRowOrder.fileRanks(files);
        String[] sortedFiles = new String[files.size()];
        for (int f = 0; f < fileRankOf.length; f++) {
            sortedFiles[fileRankOf[f]] = files.get(f);
        }
        final int[] fileA = file.toArray();
        final int[] pidA = pid.toArray();
        final int[] posA = pos.toArray();
        int[] idx = InputRowOrder.order(fileA, pidA, posA, fileRankOf);
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
        byte[] issuesOut = new byte[n];
        int[] issuesA = issues.toArray();
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
            issuesOut[g] = (byte) issuesA[i];
            byPidPos[pidA[i]][posA[i]] = g;
        }
        InputSummary s = new InputSummary(List.of(sortedFiles), fileOfRow, sourceRow, typeOut, reasonOut, cotOut,
                promptOut, boxedOut, issuesOut);
        return new Collected(s, byPidPos);
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
                        r.isNullAt(4) ? null : r.getString(4), r.getInt(5), r.getInt(6), r.getByte(7), r.getByte(8));
            }
            return List.of(p.toBlob()).iterator();
        }
    }

    /**
     * One partition's summary rows as a compact blob: three string dictionaries (files, types, reasons), the row
     * count, then per row pid, position, file/type/reason codes (-1 = null), cot and prompt lengths, boxed flag, target issue set ({@link TargetIssue}).
     */
    static final class SummaryPacker {
        private final Map<String, Integer> files = new LinkedHashMap<>();
        private final Map<String, Integer> types = new LinkedHashMap<>();
        private final Map<String, Integer> reasons = new LinkedHashMap<>();
        private final ByteArrayOutputStream body = new ByteArrayOutputStream(1 << 16);
        private final DataOutputStream out = new DataOutputStream(body);
        private int n;

        void add(int pid, long pos, String file, String type, String reason, int cotLen, int promptLen, byte boxed,
                byte issues) {
            try {
                out.writeInt(pid);
                out.writeLong(pos);
                out.writeInt(files.computeIfAbsent(file, k -> files.size()));
                out.writeInt(type == null ? -1 : types.computeIfAbsent(type, k -> types.size()));
                out.writeInt(reason == null ? -1 : reasons.computeIfAbsent(reason, k -> reasons.size()));
                out.writeInt(cotLen);
                out.writeInt(promptLen);
                out.writeByte(boxed);
                out.writeByte(issues);
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

    /**
     * A byte array as an input stream without {@link java.io.ByteArrayInputStream}'s lock per {@code read()}:
     * {@link DataInputStream} reads an int as four such calls, about 30 per summary row.
     */
    private static final class UnsyncedBytes extends java.io.InputStream {
        private final byte[] b;
        private int pos;

        UnsyncedBytes(byte[] b, int offset) {
            this.b = b;
            this.pos = offset;
        }

        @Override
        public int read() {
            return pos < b.length ? b[pos++] & 0xff : -1;
        }

        @Override
        public int read(byte[] dst, int off, int len) {
            if (len == 0) {
                return 0;
            }
            if (pos >= b.length) {
                return -1;
            }
            int n = Math.min(len, b.length - pos);
            System.arraycopy(b, pos, dst, off, n);
            pos += n;
            return n;
        }
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
