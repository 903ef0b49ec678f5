package io.tracedistill.spark.train;

import io.tracedistill.config.ShardFormat;
import io.tracedistill.spark.Columns;
import io.tracedistill.spark.ShardFiles;
import io.tracedistill.train.JsonlTokenShardReader;
import io.tracedistill.train.TokenExample;
import io.tracedistill.train.TokenShardReader;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.column.ColumnReader;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.filter.RecordFilter;
import org.apache.parquet.filter.UnboundRecordFilter;
import org.apache.parquet.filter2.compat.FilterCompat;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.hadoop.example.GroupReadSupport;
import org.apache.parquet.hadoop.util.HadoopInputFile;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.function.LongPredicate;

/**
 * One phase's token shards read straight from their files, for a Spark task (an executor has no
 * {@code SparkSession}): the shard files in name order (= partition order), each file's rows in stored
 * order, through Hadoop's {@link FileSystem} (local, hdfs, s3a). Positions must increase across the
 * whole shard, as the tokenize stage writes them; anything else is an error naming the file.
 *
 * <p>Serializable: the Hadoop settings travel as a map and a {@link Configuration} is rebuilt in the task.
 */
public final class ShardFileTokenReader implements TokenShardReader, Serializable {

    private final String dir;
    private final ShardFormat format;
    private final Map<String, String> hadoopConf;

    /**
     * @param dir        a phase's token shard directory ({@code output_dir/tokens/phaseN})
     * @param format     the run's {@code shard_format}
     * @param hadoopConf the driver's Hadoop settings (credentials, endpoints) to use in the task
     */
    public ShardFileTokenReader(String dir, ShardFormat format, Map<String, String> hadoopConf) {
        this.dir = dir;
        this.format = format;
        this.hadoopConf = Map.copyOf(hadoopConf);
    }

    /** The entries of a Hadoop configuration as a serializable map. */
    public static Map<String, String> settingsOf(Configuration conf) {
        Map<String, String> out = new java.util.HashMap<>();
        conf.iterator().forEachRemaining(e -> out.put(e.getKey(), e.getValue()));
        return out;
    }

    private Configuration conf() {
        return configurationOf(hadoopConf);
    }

    /** A Hadoop configuration holding {@code settings} (as {@link #settingsOf} took them) and nothing else. */
    static Configuration configurationOf(Map<String, String> settings) {
        Configuration c = new Configuration();
        settings.forEach(c::set);
        return c;
    }

    @Override
    public Iterator<TokenExample> open() {
        Iterator<IndexedExample> rows = open(i -> true);
        return new Iterator<>() {
            @Override
            public boolean hasNext() {
                return rows.hasNext();
            }

            @Override
            public TokenExample next() {
                return rows.next().example();
            }
        };
    }

    /**
     * Only the rows whose index passes {@code keep} are decoded: a Parquet file whose rows all fail it is not
     * opened (its row count comes from the footer), and in the others parquet's record filter skips the other
     * rows' column values without assembling them; in JSON Lines the other lines are not parsed. This is how a
     * rank of {@code train_on: executors} reads its own micro-batches of a shard every rank shares.
     */
    @Override
    public Iterator<IndexedExample> open(LongPredicate keep) {
        Configuration conf = conf();
        List<String> files = files(conf);
        long[] parquetRows = format == ShardFormat.PARQUET ? parquetRowCounts(conf, files) : null;
        return new Iterator<>() {
            int nextFile = 0;
            long fileStart = 0;
            Iterator<IndexedExample> current = java.util.Collections.emptyIterator();
            long lastPosition = Long.MIN_VALUE;
            String currentFile;

            @Override
            public boolean hasNext() {
                while (!current.hasNext() && nextFile < files.size()) {
                    currentFile = files.get(nextFile);
                    Path file = new Path(dir, currentFile);
                    if (parquetRows != null) {
                        long n = parquetRows[nextFile];
                        current = anyKept(keep, fileStart, n) ? readParquet(conf, file, fileStart, keep) : java.util.Collections.emptyIterator();
                        fileStart += n;
                    } else {
                        List<IndexedExample> rows = new ArrayList<>();
                        fileStart = readJson(conf, file, fileStart, keep, rows);
                        current = rows.iterator();
                    }
                    nextFile++;
                }
                return current.hasNext();
            }

            @Override
            public IndexedExample next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                IndexedExample r = current.next();
                if (r.example().position() <= lastPosition) {
                    throw new IllegalArgumentException("token shard " + dir + "/" + currentFile + ": position " + r.example().position()
                            + " follows " + lastPosition + "; the shards must be in position order as the tokenize stage writes them");
                }
                lastPosition = r.example().position();
                return r;
            }
        };
    }

    /** Rows of the shard: Parquet footers' row counts (no row is read), or the non-blank lines of the JSON files. */
    @Override
    public long count() {
        Configuration conf = conf();
        List<String> files = files(conf);
        if (format == ShardFormat.PARQUET) {
            long n = 0;
            for (long c : parquetRowCounts(conf, files)) {
                n += c;
            }
            return n;
        }
        long n = 0;
        for (String f : files) {
            n = readJson(conf, new Path(dir, f), n, i -> false, new ArrayList<>());
        }
        return n;
    }

    private List<String> files(Configuration conf) {
        List<String> files = ShardFiles.list(conf, dir).stream().map(ShardFiles.Shard::name).toList();
        if (files.isEmpty()) {
            throw new IllegalArgumentException("token shard directory " + dir + " has no data files; run the tokenize stage first");
        }
        return files;
    }

    private static boolean anyKept(LongPredicate keep, long from, long n) {
        for (long i = from; i < from + n; i++) {
            if (keep.test(i)) {
                return true;
            }
        }
        return false;
    }

    private long[] parquetRowCounts(Configuration conf, List<String> files) {
        long[] out = new long[files.size()];
        for (int i = 0; i < out.length; i++) {
            Path file = new Path(dir, files.get(i));
            try (ParquetFileReader r = ParquetFileReader.open(HadoopInputFile.fromPath(file, conf))) {
                out[i] = r.getRecordCount();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read the footer of token shard " + file + ": " + e.getMessage(), e);
            }
        }
        return out;
    }

    /** The kept rows of one Parquet file (a file holds one Spark partition); its first row has index {@code firstIndex}. */
    private static Iterator<IndexedExample> readParquet(Configuration conf, Path file, long firstIndex, LongPredicate keep) {
        IndexFilter filter = new IndexFilter(firstIndex, keep);
        List<IndexedExample> rows = new ArrayList<>();
        try (ParquetReader<Group> r = ParquetReader.builder(new GroupReadSupport(), file).withConf(conf)
                .withFilter(FilterCompat.get(filter)).build()) {
            for (Group g; (g = r.read()) != null; ) {
                rows.add(new IndexedExample(filter.lastMatched, new TokenExample(g.getLong(Columns.POSITION, 0), g.getString(Columns.TYPE, 0),
                        ints(g, Columns.INPUT_IDS), ints(g, Columns.LABELS))));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read token shard " + file + ": " + e.getMessage(), e);
        }
        return rows.iterator();
    }

    /**
     * Parquet's record filter by row index: asked once per row, in order (parquet's filtered record reader asks
     * before it assembles or skips each record), across every row group of the file.
     */
    private static final class IndexFilter implements UnboundRecordFilter {
        private final LongPredicate keep;
        private long next;
        long lastMatched = -1;

        IndexFilter(long firstIndex, LongPredicate keep) {
            this.next = firstIndex;
            this.keep = keep;
        }

        @Override
        public RecordFilter bind(Iterable<ColumnReader> readers) {
            return () -> {
                long i = next++;
                if (keep.test(i)) {
                    lastMatched = i;
                    return true;
                }
                return false;
            };
        }
    }

    /** Adds the kept rows of one JSON Lines file to {@code out}; returns the index after its last row. */
    private static long readJson(Configuration conf, Path file, long firstIndex, LongPredicate keep, List<IndexedExample> out) {
        long index = firstIndex;
        try {
            FileSystem fs = file.getFileSystem(conf);
            try (BufferedReader in = new BufferedReader(new InputStreamReader(fs.open(file), StandardCharsets.UTF_8))) {
                int lineNo = 0;
                for (String line; (line = in.readLine()) != null; ) {
                    lineNo++;
                    if (!line.isBlank()) {
                        long i = index++;
                        if (keep.test(i)) {
                            out.add(new IndexedExample(i, JsonlTokenShardReader.parseLine(line, file + " line " + lineNo)));
                        }
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read token shard " + file + ": " + e.getMessage(), e);
        }
        return index;
    }

    /** A Spark-written list column: {@code group (LIST) { repeated group list { int32 element } }}. */
    private static int[] ints(Group row, String column) {
        Group list = row.getGroup(column, 0);
        int n = list.getFieldRepetitionCount(0);
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            out[i] = list.getGroup(0, i).getInteger(0, 0);
        }
        return out;
    }
}
