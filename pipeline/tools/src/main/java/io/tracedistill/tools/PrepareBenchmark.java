package io.tracedistill.tools;

import io.tracedistill.spark.Manifests;
import io.tracedistill.spark.SparkSessions;
import io.tracedistill.spark.prepare.CheckedSchema;
import io.tracedistill.spark.prepare.FormatContractTransform;
import io.tracedistill.spark.prepare.InputReader;
import io.tracedistill.spark.prepare.InputTable;
import io.tracedistill.spark.prepare.PhaseSplitter;
import io.tracedistill.spark.prepare.PrepareStage;
import io.tracedistill.spark.prepare.PrepareResult;
import io.tracedistill.spark.prepare.PrepareSettings;
import io.tracedistill.spark.prepare.SchemaCheck;
import io.tracedistill.spark.prepare.StagedSummaryCodec;
import io.tracedistill.spark.prepare.ShardWriter;
import io.tracedistill.testdata.SampleDataGenerator;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Prepare throughput benchmark ({@code scripts/bench-prepare}): generates {@code --rows} rows with
 * {@link SampleDataGenerator} as {@code --parts} CSV part files, runs the whole prepare (read, contract, split,
 * order, shard write, manifest) on each {@code --masters} entry, and prints rows/s and the speed-up over the first
 * master. It then measures the driver heap held by the split/order step for the largest input (after a GC), per
 * million rows. Every run's manifest is checked to add up ({@code input = kept + quarantined}).
 *
 * <p>All measured runs share one JVM, so the first run would pay the JIT warm-up (measured: about half of a cold
 * 1M-row run on 2 cores) and the later ones would not; an untimed warm-up run of {@code --warmup} rows on the
 * last master comes first (its cold time is printed for reference), so every measured master starts equally warm,
 * as the executors of a long batch job are.
 *
 * <p>Usage: {@code PrepareBenchmark [--rows 100000,1000000] [--masters local[1],local[2]] [--parts 8]
 * [--warmup 100000] [--driver-memory true] [--work /tmp/tracedistill-bench]}.
 */
public final class PrepareBenchmark {
    private PrepareBenchmark() {}

    /**
     * The Python reference's rate (pandas, one process, no output written), measured on this machine kind and
     * stated in the prepare issue: about 22 s per 100k rows. It cannot run here (no reference install), so it is a
     * constant; the in-run baseline is the first master.
     */
    static final double REFERENCE_ROWS_PER_S = 4_500;

    public static void main(String[] args) throws Exception {
        Map<String, String> opt = new LinkedHashMap<>();
        opt.put("--rows", "100000,1000000");
        opt.put("--masters", "local[1],local[2]");
        opt.put("--parts", "8");
        opt.put("--warmup", "100000");
        opt.put("--driver-memory", "true");
        opt.put("--work", System.getProperty("java.io.tmpdir") + "/tracedistill-bench");
        for (int i = 0; i + 1 < args.length; i += 2) {
            if (!opt.containsKey(args[i])) {
                throw new IllegalArgumentException("Unknown option " + args[i] + "; known: " + opt.keySet());
            }
            opt.put(args[i], args[i + 1]);
        }
        Path work = Path.of(opt.get("--work"));
        int parts = Integer.parseInt(opt.get("--parts"));
        List<String> masters = List.of(opt.get("--masters").split(","));
        List<String> results = new ArrayList<>();
        long largest = 0;
        Path largestInput = null;
        long warmup = Long.parseLong(opt.get("--warmup"));
        if (warmup > 0) {
            Path input = work.resolve("input-" + warmup);
            if (!Files.isDirectory(input)) {
                SampleDataGenerator.writeParts(1234, warmup, parts, input);
            }
            String master = masters.get(masters.size() - 1);
            SparkSession spark = SparkSessions.builder(master, "prepare-bench-warmup")
                    .config("spark.sql.shuffle.partitions", "8").getOrCreate();
            try {
                long t0 = System.nanoTime();
                PrepareStage.run(spark, PrepareSettings.defaults(input.toString(), work.resolve("out-warmup").toString(),
                        List.of("bit_manipulation", "cryptarithm_deduce"), 42), null);
                String line = String.format(Locale.ROOT, "warm-up (cold JVM, not compared): rows=%,d master=%s "
                        + "time=%.1fs", warmup, master, (System.nanoTime() - t0) / 1e9);
                System.out.println(line);
                results.add(line);
            } finally {
                spark.stop();
            }
        }
        for (String rs : opt.get("--rows").split(",")) {
            long rows = Long.parseLong(rs.trim());
            Path input = work.resolve("input-" + rows);
            if (!Files.isDirectory(input)) {
                long t0 = System.nanoTime();
                SampleDataGenerator.writeParts(1234, rows, parts, input);
                System.out.printf(Locale.ROOT, "generated %,d rows in %d parts in %.1f s%n", rows, parts,
                        (System.nanoTime() - t0) / 1e9);
            }
            double base = 0;
            for (String master : masters) {
                SparkSession spark = SparkSessions.builder(master, "prepare-bench")
                        .config("spark.sql.shuffle.partitions", "8").getOrCreate();
                try {
                    Path out = work.resolve("out-" + rows + "-" + master.replaceAll("[^0-9a-z]", ""));
                    PrepareSettings s = PrepareSettings.defaults(input.toString(), out.toString(),
                            List.of("bit_manipulation", "cryptarithm_deduce"), 42);
                    long t0 = System.nanoTime();
                    long cpu0 = processCpuNanos();
                    PrepareResult r = PrepareStage.run(spark, s, null);
                    double sec = (System.nanoTime() - t0) / 1e9;
                    double cpuSec = (processCpuNanos() - cpu0) / 1e9;
                    var m = Manifests.read(spark.sparkContext().hadoopConfiguration(), r.manifestPath());
                    long in = m.at("/counts/input").asLong();
                    if (in != rows || in != m.at("/counts/kept").asLong() + m.at("/counts/quarantined").asLong()) {
                        throw new IllegalStateException("manifest does not add up: " + m.get("counts"));
                    }
                    double rps = rows / sec;
                    if (base == 0) {
                        base = rps;
                    }
                    String line = String.format(Locale.ROOT,
                            "rows=%,d master=%s time=%.1fs rows/s=%,.0f speedup=%.2fx vs-reference=%.1fx cpu=%.1fs "
                                    + "rows/cpu-s=%,.0f kept=%,d quarantined=%,d phase1=%,d phase2=%,d shards1=%d",
                            rows, master, sec, rps, rps / base, rps / REFERENCE_ROWS_PER_S, cpuSec, rows / cpuSec,
                            r.keptRows(), r.quarantinedRows(), r.phase1Rows(), r.phase2Rows(), r.phase1Shards().size());
                    System.out.println(line);
                    results.add(line);
                } finally {
                    spark.stop();
                }
            }
            if (rows > largest) {
                largest = rows;
                largestInput = input;
            }
        }
        if (largestInput != null && Boolean.parseBoolean(opt.get("--driver-memory"))) {
            results.add(driverMemory(largestInput, work.resolve("mem"), masters.get(masters.size() - 1)));
            System.out.println(results.get(results.size() - 1));
        }
        System.out.println("== summary ==");
        results.forEach(System.out::println);
    }

    /** CPU time of this JVM (all threads), to report throughput independent of other load on the machine. */
    static long processCpuNanos() {
        var os = ManagementFactory.getOperatingSystemMXBean();
        if (os instanceof com.sun.management.OperatingSystemMXBean sun) {
            return sun.getProcessCpuTime();
        }
        return 0;
    }

    /** Heap retained by the driver-side summary + split + order for one input (after GC), per million rows. */
    static String driverMemory(Path input, Path work, String master) {
        SparkSession spark = SparkSessions.builder(master, "prepare-bench-mem")
                .config("spark.sql.shuffle.partitions", "8").getOrCreate();
        try {
            InputTable t = InputReader.read(spark, input.toString());
            CheckedSchema cs = SchemaCheck.check(t, io.tracedistill.contract.ColumnKeys.defaults(), null);
            String staged = work.resolve("staged").toString();
            io.tracedistill.spark.ShardFiles.deleteIfExists(spark.sparkContext().hadoopConfiguration(), staged);
            ShardWriter.writeStaged(FormatContractTransform.transform(t, cs, FormatContractTransform.Params.defaults()),
                    staged);
            Dataset<Row> back = spark.read().schema(FormatContractTransform.stagedSchema(cs.input())).parquet(staged);
            long before = DriverHeap.liveHeapBytes();
            long t0 = System.nanoTime();
            StagedSummaryCodec.Collected c = StagedSummaryCodec.collectWithIdentity(back);
            PhaseSplitter.Result r = PhaseSplitter.split(c, new PhaseSplitter.Params(
                    List.of("bit_manipulation", "cryptarithm_deduce"), 42, java.math.BigInteger.valueOf(42), true, 8, 8));
            double sec = (System.nanoTime() - t0) / 1e9;
            long after = DriverHeap.liveHeapBytes();
            int n = r.summary().rows();
            return String.format(Locale.ROOT, "driver: %,d rows, collect+split+order %.1f s, retained heap %.1f MB "
                    + "= %.1f MB per million rows", n, sec, (after - before) / 1e6, (after - before) / 1e6 / n * 1e6);
        } finally {
            spark.stop();
        }
    }
}
