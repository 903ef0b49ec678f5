package io.tracedistill.tools;

import io.tracedistill.chat.ChatTemplate;
import io.tracedistill.config.ShardFormat;
import io.tracedistill.contract.FormatContract;
import io.tracedistill.contract.RecordOutcome;
import io.tracedistill.python.PyValue;
import io.tracedistill.spark.JobCounter;
import io.tracedistill.spark.SparkSessions;
import io.tracedistill.spark.prepare.PrepareSettings;
import io.tracedistill.spark.prepare.PrepareStage;
import io.tracedistill.spark.tokenize.ChatTemplateTurnRenderer;
import io.tracedistill.spark.tokenize.RowTokenizer;
import io.tracedistill.spark.tokenize.TokenizeResult;
import io.tracedistill.spark.tokenize.TokenizeSettings;
import io.tracedistill.spark.tokenize.TokenizeStage;
import io.tracedistill.spark.tokenize.TurnRenderer;
import io.tracedistill.testdata.SampleDataGenerator;
import io.tracedistill.tokens.CompletionMasker;
import io.tracedistill.tokens.HfTokenizer;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import java.io.BufferedWriter;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Benchmark of the tokenize stage's per-row work against a plain tokenizer call, on the same texts, in one JVM and one
 * thread: (a) raw {@code encode(prompt + completion)} through DJL, (b) {@link CompletionMasker#mask} (encode with
 * offsets + boundary search + truncation + labels), (c) chat render alone, (d) render + mask = what an executor does per
 * row. Prints rows/s and tokens/s and the ratio (b)/(a) (target &gt;= 0.8), then the chat template's renders/s on a
 * fixed record beside its recorded baseline. Run by {@code scripts/bench-tokenize}.
 *
 * <p>Usage: {@code TokenizeBench MODEL_DIR CSV ROWS [MAX_LENGTH] [REPEATS] [MASTERS] [COPIES]}: MODEL_DIR holds
 * {@code tokenizer.json} and a chat template; CSV has {@code prompt, generated_cot, answer, type} columns (the format
 * contract makes the turns); the records are cycled to ROWS rows. With MASTERS (e.g. {@code local[1],local[2]}) the
 * whole stage ({@link TokenizeStage#run}, Parquet, shard write included) is also timed on the CSV prepared by
 * {@link PrepareStage} (prepare itself not timed), once per master, and with COPIES &gt; 1 also on the CSV's records
 * COPIES times over with distinct ids (so the stage's fixed cost per job and its cost per row both show).
 */
public final class TokenizeBench {

    /** Qwen3 chat-template renders/s measured on 2026-12-04 on an idle machine (README, bench-tokenize row). */
    static final double RENDER_BASELINE_PER_S = 89_200;

    /** Rows/s of the one-thread raw encode measured in this run: the per-core limit the whole stage is held to. */
    private static double rawRowsPerSecond;
    /** CPU ms per row of the one-thread raw encode (its thread's CPU time: what a busy machine does not inflate). */
    private static double rawCpuMillisPerRow;
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    private TokenizeBench() {}

    public static void main(String[] args) throws Exception {
        if (args.length < 3) {
            System.err.println("usage: TokenizeBench MODEL_DIR CSV ROWS [MAX_LENGTH=8192] [REPEATS=5]");
            System.exit(2);
        }
        Path modelDir = Path.of(args[0]);
        String csv = args[1];
        int rows = Integer.parseInt(args[2]);
        int maxLength = args.length > 3 ? Integer.parseInt(args[3]) : 8192;
        int repeats = args.length > 4 ? Integer.parseInt(args[4]) : 5;
        String masters = args.length > 5 ? args[5] : "";
        int copies = args.length > 6 ? Integer.parseInt(args[6]) : 1;

        // 1. Turns from the CSV through the format contract (Spark only to parse RFC 4180 CSV).
        List<String[]> turns = new ArrayList<>();
        SparkSession spark = SparkSessions.local("local[1]", 1);
        try {
            for (Row r : spark.read().option("header", true).option("multiLine", true).option("escape", "\"")
                    .csv(csv).collectAsList()) {
                RecordOutcome o = FormatContract.build(cell(r, "prompt"), cell(r, "generated_cot"), cell(r, "answer"));
                if (o.isKept()) {
                    turns.add(new String[] {o.chatRecord().user(), o.chatRecord().assistant()});
                }
            }
        } finally {
            spark.stop();
        }
        if (turns.isEmpty()) {
            throw new IllegalArgumentException("No usable record in " + csv);
        }

        try (HfTokenizer tokenizer = HfTokenizer.load(modelDir)) {
            TurnRenderer renderer = ChatTemplateTurnRenderer.load(modelDir, true, LocalDate.of(2025, 1, 1));
            String[] users = new String[rows];
            String[] assistants = new String[rows];
            for (int i = 0; i < rows; i++) {
                String[] t = turns.get(i % turns.size());
                users[i] = t[0];
                assistants[i] = t[1];
            }
            String[] prompts = new String[rows];
            String[] completions = new String[rows];
            String[] fulls = new String[rows];
            for (int i = 0; i < rows; i++) {
                TurnRenderer.Rendered rr = renderer.render(users[i], assistants[i]);
                prompts[i] = rr.prompt();
                completions[i] = rr.completion();
                fulls[i] = rr.prompt() + rr.completion();
            }
            long tokens = 0;
            for (String f : fulls) {
                tokens += tokenizer.encodeIds(f).length;
            }

            // 2. Interleaved timing, best-of-N medians (the machine is shared; interleaving spreads the noise).
            double[] raw = new double[repeats];
            double[] rawCpu = new double[repeats];
            double[] mask = new double[repeats];
            double[] render = new double[repeats];
            double[] both = new double[repeats];
            long sink = 0;
            for (int rep = -1; rep < repeats; rep++) { // rep -1 = warm-up
                long c0 = THREADS.getCurrentThreadCpuTime();
                long t0 = System.nanoTime();
                for (String f : fulls) {
                    sink += tokenizer.encodeIds(f).length;
                }
                long t1 = System.nanoTime();
                long c1 = THREADS.getCurrentThreadCpuTime();
                for (int i = 0; i < rows; i++) {
                    sink += CompletionMasker.mask(tokenizer, prompts[i], completions[i], maxLength)
                            .map(e -> e.numTokens()).orElse(0);
                }
                long t2 = System.nanoTime();
                for (int i = 0; i < rows; i++) {
                    sink += renderer.render(users[i], assistants[i]).prompt().length();
                }
                long t3 = System.nanoTime();
                RowTokenizer rowTokenizer = new RowTokenizer(tokenizer, renderer, maxLength);
                for (int i = 0; i < rows; i++) {
                    sink += rowTokenizer.tokenize(users[i], assistants[i]).hashCode() & 1;
                }
                long t4 = System.nanoTime();
                if (rep >= 0) {
                    raw[rep] = (t1 - t0) / 1e9;
                    rawCpu[rep] = (c1 - c0) / 1e9;
                    mask[rep] = (t2 - t1) / 1e9;
                    render[rep] = (t3 - t2) / 1e9;
                    both[rep] = (t4 - t3) / 1e9;
                }
            }
            double rawS = Median.of(raw);
            rawCpuMillisPerRow = Median.of(rawCpu) * 1e3 / rows;
            rawRowsPerSecond = rows / rawS;
            double maskS = Median.of(mask);
            System.out.printf(Locale.ROOT, "model %s, %d rows (%d distinct records), %.1f tokens/row, max_length %d,"
                    + " %d timed repeats (median)%n", modelDir, rows, turns.size(), tokens / (double) rows, maxLength,
                    repeats);
            line("raw encode (DJL)", rows, tokens, rawS);
            line("tokenize+mask", rows, tokens, maskS);
            line("chat render", rows, tokens, Median.of(render));
            line("render+tokenize+mask", rows, tokens, Median.of(both));
            System.out.printf(Locale.ROOT, "ratio tokenize+mask / raw encode = %.3f (target >= 0.8: %s)  [sink %d]%n",
                    rawS / maskS, rawS / maskS >= 0.8 ? "met" : "NOT met", sink & 0xF);
        }
        benchChatTemplate(modelDir);
        List<String> table = new ArrayList<>();
        for (String master : masters.isBlank() ? new String[0] : masters.split(",(?=local)")) {
            table.addAll(benchStage(master.trim(), modelDir, csv, maxLength, copies));
        }
        if (!table.isEmpty()) {
            System.out.printf(Locale.ROOT, "%n== tokenize stage vs N cores x raw encode (same run) ==%n%-34s %10s %s%n",
                    "side", "rows/s", "ratio");
            System.out.printf(Locale.ROOT, "%-34s %10.0f  (CPU %.3f ms/row)%n", "raw encode, 1 thread (DJL)",
                    rawRowsPerSecond, rawCpuMillisPerRow);
            table.forEach(System.out::println);
        }
    }

    /**
     * Renders/s of the model's chat template on one typical two-message training record (user prompt with the format
     * suffix, assistant reasoning + boxed answer), after 10,000 warm-up renders; printed beside
     * {@link #RENDER_BASELINE_PER_S}. (This was a unit test with a 1,000 renders/s floor; a timing is a benchmark.)
     */
    private static void benchChatTemplate(Path modelDir) {
        ChatTemplate t = ChatTemplate.fromTokenizerConfig(modelDir);
        List<Map<String, Object>> messages = List.of(
                Map.of("role", "user", "content", "What is 6 times 7?\nPlease put your final answer inside `\\boxed{}`. "
                        + "For example: `\\boxed{your answer}`"),
                Map.of("role", "assistant", "content", "6 times 7 means adding 6 seven times: 6+6+6+6+6+6+6 = 42. "
                        + "Check: 7 times 6 is also 42.\n</think>\n\\boxed{42}"));
        Map<String, Object> extra = Map.of("enable_thinking", true);
        int length = t.render(messages, false, extra).length();
        for (int i = 0; i < 10_000; i++) {
            t.render(messages, false, extra);
        }
        int n = 30_000;
        long chars = 0;
        long start = System.nanoTime();
        for (int i = 0; i < n; i++) {
            chars += t.render(messages, false, extra).length();
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        if (chars != (long) n * length) {
            throw new IllegalStateException("chat template rendered " + chars + " chars in " + n + " renders, expected "
                    + n + " x " + length + ": the rendering is not deterministic");
        }
        double rate = n / seconds;
        System.out.printf(Locale.ROOT, "chat template, 2-message record: %.0f renders/s (%.1f us/render, %d renders)"
                + "  [baseline %.0f renders/s: Qwen3 template, README of 2026-12-04, idle machine]%n",
                rate, 1e6 / rate, n, RENDER_BASELINE_PER_S);
    }

    /**
     * On {@code master}: prepare (untimed) the CSV and, with {@code copies > 1}, its records {@code copies} times over
     * ({@link #repeatRecords}); one untimed warm-up run of the stage, then the timed stage on each input, with the
     * Spark jobs, stages and tasks it launched and where their time went ({@link JobCounter#profile}). Returns one
     * table line per input: stage rows/s against {@code N x} the raw encode's rows/s, N = the master's cores (target
     * >= 0.6), and its CPU per row (tasks + the driver thread) against the raw encode's. The stage's driver heap is
     * measured by {@link DriverHeapBench}, with the executors in JVMs of their own ({@code local} masters run them in
     * the driver's).
     */
    private static List<String> benchStage(String master, Path modelDir, String csv, int maxLength, int copies)
            throws Exception {
        SparkSession spark = SparkSessions.local(master, 4);
        Path out = Files.createTempDirectory("td-bench-tokenize");
        try {
            TokenizeSettings settings = stageSettings(modelDir, maxLength);
            List<String> inputs = new ArrayList<>(List.of(csv));
            if (copies > 1) {
                inputs.add(repeatRecords(spark, csv, copies, out.resolve("x" + copies + ".csv")).toString());
            }
            List<String> lines = new ArrayList<>();
            for (int i = 0; i < inputs.size(); i++) {
                Path prepared = out.resolve("run" + i);
                prepare(spark, inputs.get(i), prepared);
                if (i == 0) {
                    TokenizeStage.run(spark, settings, prepared.toString(), ChatTemplateTurnRenderer.FACTORY); // warm-up
                }
                String label = master + (i == 0 ? "" : " x" + copies);
                TokenizeResult r;
                double s;
                double cpuMillis;
                try (JobCounter jobs = JobCounter.attach(spark.sparkContext())) {
                    long c0 = THREADS.getCurrentThreadCpuTime();
                    long t0 = System.nanoTime();
                    r = TokenizeStage.run(spark, settings, prepared.toString(), ChatTemplateTurnRenderer.FACTORY);
                    s = (System.nanoTime() - t0) / 1e9;
                    cpuMillis = jobs.taskCpuMillis() + (THREADS.getCurrentThreadCpuTime() - c0) / 1e6;
                    System.out.printf(Locale.ROOT, "tokenize stage %-14s Spark work: %s; jobs: %s%n", label, jobs,
                            jobs.callSites());
                    jobs.profile().forEach(l -> System.out.printf(Locale.ROOT, "tokenize stage %-14s   %s%n", label, l));
                }
                long rows = inputRows(r);
                System.out.printf(Locale.ROOT, "tokenize stage %-14s %8d rows %8.0f rows/s  (%.2f s, Parquet write "
                        + "included)%n", label, rows, rows / s, s);
                int cores = cores(master);
                lines.add(String.format(Locale.ROOT, "%-34s %10.0f %.2fx of %d x raw encode (target >= 0.6); CPU %.3f"
                        + " ms/row (tasks + driver thread) = %.2fx the raw encode's per row",
                        "tokenize stage " + label + ", " + rows + " rows", rows / s,
                        rows / s / (cores * rawRowsPerSecond), cores, cpuMillis / rows,
                        rawCpuMillisPerRow / (cpuMillis / rows)));
            }
            return lines;
        } finally {
            spark.stop();
            try (var walk = Files.walk(out)) {
                walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /** Prepares {@code csv} into the run folder {@code out} (seed 42; hard type = the first type seen). */
    static void prepare(SparkSession spark, String csv, Path out) {
        String hard = spark.read().option("header", true).option("multiLine", true).option("escape", "\"")
                .csv(csv).select("type").first().getString(0);
        PrepareStage.run(spark, PrepareSettings.defaults(csv, out.toString(), List.of(hard), 42), null);
    }

    /** The stage settings of the benchmarks: seed 42, thinking on, chat date 2025-01-01, Parquet, batch 8. */
    static TokenizeSettings stageSettings(Path modelDir, int maxLength) {
        return new TokenizeSettings(modelDir.toString(), maxLength, BigInteger.valueOf(42), true,
                Optional.of(LocalDate.of(2025, 1, 1)), ShardFormat.PARQUET, 8, 8);
    }

    /**
     * {@code csv}'s records {@code copies} times over as one CSV in {@code to}: a larger input of the same rows. Copy
     * k of a record has the id {@code "<id>-<k>"} (copy 0 keeps its id), so every row is distinct; the other cells
     * are as read ({@code spark} only parses the RFC 4180 CSV).
     */
    static Path repeatRecords(SparkSession spark, String csv, int copies, Path to) throws IOException {
        Dataset<Row> df = spark.read().option("header", true).option("multiLine", true).option("escape", "\"")
                .csv(csv);
        String[] columns = df.columns();
        int id = Arrays.asList(columns).indexOf("id");
        List<Row> records = df.collectAsList();
        try (BufferedWriter w = Files.newBufferedWriter(to, StandardCharsets.UTF_8)) {
            w.write(String.join(",", columns));
            w.write('\n');
            for (int k = 0; k < copies; k++) {
                for (Row r : records) {
                    for (int c = 0; c < columns.length; c++) {
                        if (c > 0) {
                            w.write(',');
                        }
                        String v = r.getString(c);
                        w.write(SampleDataGenerator.csvField(c == id && k > 0 && v != null ? v + "-" + k : v));
                    }
                    w.write('\n');
                }
            }
        }
        return to;
    }

    static long inputRows(TokenizeResult r) {
        return r.phases().values().stream().mapToLong(TokenizeResult.PhaseResult::inputRows).sum();
    }
    /** Cores of a {@code local[N]} / {@code local[*]} master. */
    private static int cores(String master) {
        String n = master.replaceAll("^local\\[(.*)\\]$", "$1");
        return n.equals("*") || !n.matches("\\d+") ? Runtime.getRuntime().availableProcessors() : Integer.parseInt(n);
    }

    private static void line(String what, int rows, long tokens, double seconds) {
        System.out.printf(Locale.ROOT, "%-22s %10.0f rows/s %12.0f tokens/s  (%.3f s)%n", what, rows / seconds,
                tokens / seconds, seconds);
    }

    private static PyValue cell(Row r, String col) {
        String v = r.getString(r.fieldIndex(col));
        return v == null ? new PyValue.Float(Double.NaN) : new PyValue.Str(v);
    }
}
