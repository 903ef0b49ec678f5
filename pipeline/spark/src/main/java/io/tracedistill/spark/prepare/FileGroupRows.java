package io.tracedistill.spark.prepare;

import io.tracedistill.config.Redaction;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.io.compress.CompressionCodec;
import org.apache.hadoop.io.compress.CompressionCodecFactory;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.Function;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.util.CollectionAccumulator;

/**
 * The rows of one partition's input files, read whole file by file in path order, for the record readers that account
 * for every physical line ({@link CsvInput}, {@link JsonLinesInput}). This class keeps what they share: packing files
 * into partitions, opening a file through Hadoop (compressed or not), walking the group (open the next file, read
 * records until it runs out, close it, record its {@link FileLines}, go on) and naming the file when a read fails.
 * A format supplies only how to start a file, how to read its next row and what its line counts are.
 */
abstract class FileGroupRows implements Iterator<Row> {
    /** One file to read: its path, size (for packing) and where each of its columns goes (CSV; empty otherwise). */
    record FileTask(String path, long size, int[] slot) implements Serializable {}

    private final Iterator<FileTask> files;
    private final Configuration conf;
    private final CollectionAccumulator<FileLines> lines;
    private final String formatName;
    private FileTask file;
    private BufferedReader in;
    private Row next;

    /** @param formatName the format as a read error names it, e.g. {@code "CSV"} */
    protected FileGroupRows(FileGroup group, CollectionAccumulator<FileLines> lines, String formatName) {
        this.files = group.files().iterator();
        this.conf = new Configuration(false);
        group.hadoop().forEach(conf::set);
        this.lines = lines;
        this.formatName = formatName;
    }

    /** Opens {@code in} (a fresh file) for reading; any per-file counters start again here. */
    protected abstract void startFile(FileTask file, BufferedReader in) throws IOException;

    /** The file's next row, or {@code null} when it has run out. */
    protected abstract Row nextRow() throws IOException;

    /** The line counts of the file just read to its end, for the manifest. */
    protected abstract FileLines finishedFile();

    /** The file being read. */
    protected final FileTask file() {
        return file;
    }

    /**
     * Packs the files into at most {@code defaultParallelism × 4} groups and reads each group in one task with the
     * iterator {@code rows} makes for it.
     */
    static JavaRDD<Row> read(SparkSession spark, List<FileTask> tasks,
            Function<FileGroup, Iterator<Row>> rows) {
        Map<String, String> hadoop = new HashMap<>();
        spark.sparkContext().hadoopConfiguration().forEach(e -> hadoop.put(e.getKey(), e.getValue()));
        List<List<FileTask>> groups = pack(tasks, Math.max(1, spark.sparkContext().defaultParallelism() * 4));
        return JavaSparkContext.fromSparkContext(spark.sparkContext()).parallelize(groups, groups.size())
                .flatMap(g -> rows.call(new FileGroup(g, hadoop)));
    }

    /**
     * What a task needs to make its iterator: its files and the driver's Hadoop settings (a {@link Configuration}
     * does not serialize).
     */
    record FileGroup(List<FileTask> files, Map<String, String> hadoop) implements Serializable {}

    /** Largest first onto the least-loaded of at most {@code max} groups (a file is never split). */
    static List<List<FileTask>> pack(List<FileTask> tasks, int max) {
        int n = Math.max(1, Math.min(max, tasks.size()));
        List<List<FileTask>> groups = new ArrayList<>();
        long[] load = new long[n];
        for (int i = 0; i < n; i++) {
            groups.add(new ArrayList<>());
        }
        List<FileTask> bySize = new ArrayList<>(tasks);
        bySize.sort((a, b) -> Long.compare(b.size(), a.size()) != 0 ? Long.compare(b.size(), a.size())
                : a.path().compareTo(b.path()));
        for (FileTask t : bySize) {
            int best = 0;
            for (int i = 1; i < n; i++) {
                if (load[i] < load[best]) {
                    best = i;
                }
            }
            groups.get(best).add(t);
            load[best] += t.size() + 4096; // a file costs something to open, as Spark's openCostInBytes says
        }
        for (List<FileTask> g : groups) {
            g.sort((a, b) -> a.path().compareTo(b.path()));
        }
        return groups;
    }

    /** Opens a (possibly compressed) file as UTF-8 text; invalid bytes decode to U+FFFD, as in Spark. */
    static BufferedReader open(Configuration conf, String file) throws IOException {
        Path p = new Path(file);
        FileSystem fs = p.getFileSystem(conf);
        CompressionCodec codec = new CompressionCodecFactory(conf).getCodec(p);
        InputStream raw = fs.open(p);
        return new BufferedReader(new InputStreamReader(codec == null ? raw : codec.createInputStream(raw),
                StandardCharsets.UTF_8), 1 << 16);
    }

    @Override
    public final boolean hasNext() {
        try {
            while (next == null) {
                if (in == null) {
                    if (!files.hasNext()) {
                        return false;
                    }
                    file = files.next();
                    in = open(conf, file.path());
                    startFile(file, in);
                }
                next = nextRow();
                if (next == null) {
                    in.close();
                    in = null;
                    lines.add(finishedFile());
                }
            }
            return true;
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read " + formatName + " file '" + Redaction.text(file.path())
                    + "': " + e.getMessage(), e);
        }
    }

    @Override
    public final Row next() {
        if (!hasNext()) {
            throw new NoSuchElementException();
        }
        Row r = next;
        next = null;
        return r;
    }
}
