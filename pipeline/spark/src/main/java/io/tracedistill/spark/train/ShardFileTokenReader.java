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
import org.apache.parquet.example.data.Group;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.hadoop.example.GroupReadSupport;

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
        Configuration c = new Configuration();
        hadoopConf.forEach(c::set);
        return c;
    }

    @Override
    public Iterator<TokenExample> open() {
        Configuration conf = conf();
        List<String> files = ShardFiles.list(conf, dir).stream().map(ShardFiles.Shard::name).toList();
        if (files.isEmpty()) {
            throw new IllegalArgumentException("token shard directory " + dir + " has no data files; run the tokenize stage first");
        }
        return new Iterator<>() {
            int nextFile = 0;
            Iterator<TokenExample> current = java.util.Collections.emptyIterator();
            long lastPosition = Long.MIN_VALUE;
            String currentFile;

            @Override
            public boolean hasNext() {
                while (!current.hasNext() && nextFile < files.size()) {
                    currentFile = files.get(nextFile++);
                    current = readFile(conf, new Path(dir, currentFile));
                }
                return current.hasNext();
            }

            @Override
            public TokenExample next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                TokenExample e = current.next();
                if (e.position() <= lastPosition) {
                    throw new IllegalArgumentException("token shard " + dir + "/" + currentFile + ": position " + e.position()
                            + " follows " + lastPosition + "; the shards must be in position order as the tokenize stage writes them");
                }
                lastPosition = e.position();
                return e;
            }
        };
    }

    /** One file's rows (a file holds one Spark partition: small enough to read at once). */
    private Iterator<TokenExample> readFile(Configuration conf, Path file) {
        List<TokenExample> rows = new ArrayList<>();
        try {
            if (format == ShardFormat.PARQUET) {
                try (ParquetReader<Group> r = ParquetReader.builder(new GroupReadSupport(), file).withConf(conf).build()) {
                    for (Group g; (g = r.read()) != null; ) {
                        rows.add(new TokenExample(g.getLong(Columns.POSITION, 0), g.getString(Columns.TYPE, 0),
                                ints(g, Columns.INPUT_IDS), ints(g, Columns.LABELS)));
                    }
                }
            } else {
                FileSystem fs = file.getFileSystem(conf);
                try (BufferedReader in = new BufferedReader(new InputStreamReader(fs.open(file), StandardCharsets.UTF_8))) {
                    int lineNo = 0;
                    for (String line; (line = in.readLine()) != null; ) {
                        lineNo++;
                        if (!line.isBlank()) {
                            rows.add(JsonlTokenShardReader.parseLine(line, file + " line " + lineNo));
                        }
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read token shard " + file + ": " + e.getMessage(), e);
        }
        return rows.iterator();
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
