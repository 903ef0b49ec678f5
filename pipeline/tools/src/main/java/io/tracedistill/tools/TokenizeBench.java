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
import io.tracedistill.tokens.CompletionMasker;
import io.tracedistill.tokens.HfTokenizer;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import java.math.BigInteger;
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
 * <p>Usage: {@code TokenizeBench MODEL_DIR CSV ROWS [MAX_LENGTH] [REPEATS] [MASTERS]}: MODEL_DIR holds
 * {@code tokenizer.json} and a chat template; CSV has {@code prompt, generated_cot, answer, type} columns (the format
 * contract makes the turns); the records are cycled to ROWS rows. With MASTERS (e.g. {@code local[1],local[2]}) the
 * whole stage ({@link TokenizeStage#run}, Parquet, shard write included) is also timed on the CSV prepared by
 * {@link PrepareStage} (prepare itself not timed), once per master.
 */
public final class TokenizeBench {

    /** Qwen3 chat-template renders/s measured on 2026-12-04 on an idle machine (README, bench-tokenize row). */
    static final double RENDER_BASELINE_PER_S = 89_200;

    /** Rows/s of the one-thread raw encode measured in this run: the per-core limit the whole stage is held to. */
    private static double rawRowsPerSecond;

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
            double[] mask = new double[repeats];
            double[] render = new double[repeats];
            double[] both = new double[repeats];
            long sink = 0;
            for (int rep = -1; rep < repeats; rep++) { // rep -1 = warm-up
                long t0 = System.nanoTime();
                for (String f : fulls) {
                    sink += tokenizer.encodeIds(f).length;
                }
                long t1 = System.nanoTime();
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
                    mask[rep] = (t2 - t1) / 1e9;
                    render[rep] = (t3 - t2) / 1e9;
                    both[rep] = (t4 - t3) / 1e9;
                }
            }
            double rawS = median(raw);
            rawRowsPerSecond = rows / rawS;
            double maskS = median(mask);
            System.out.printf(Locale.ROOT, "model %s, %d rows (%d distinct records), %.1f tokens/row, max_length %d,"
                    + " %d timed repeats (median)%n", modelDir, rows, turns.size(), tokens / (double) rows, maxLength,
                    repeats);
            line("raw encode (DJL)", rows, tokens, rawS);
            line("tokenize+mask", rows, tokens, maskS);
            line("chat render", rows, tokens, median(render));
            line("render+tokenize+mask", rows, tokens, median(both));
            System.out.printf(Locale.ROOT, "ratio tokenize+mask / raw encode = %.3f (target >= 0.8: %s)  [sink %d]%n",
                    rawS / maskS, rawS / maskS >= 0.8 ? "met" : "NOT met", sink & 0xF);
        }
        benchChatTemplate(modelDir);
        List<String> table = new ArrayList<>();
        for (String master : masters.isBlank() ? new String[0] : masters.split(",(?=local)")) {
            table.add(benchStage(master.trim(), modelDir, csv, maxLength));
        }
        if (!table.isEmpty()) {
            System.out.printf(Locale.ROOT, "%n== tokenize stage vs N cores x raw encode (same run) ==%n%-34s %10s %s%n",
                    "side", "rows/s", "ratio");
            System.out.printf(Locale.ROOT, "%-34s %10.0f%n", "raw encode, 1 thread (DJL)", rawRowsPerSecond);
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
     * Prepare (untimed) then the timed tokenize stage on {@code master}, with the Spark jobs, stages and tasks it
     * launched. Returns the table line: stage rows/s against {@code N x} the raw encode's rows/s, N = the master's
     * cores (target >= 0.6). The stage's driver heap is measured by {@link DriverHeapBench}, with the executors in
     * JVMs of their own ({@code local} masters run them in the driver's).
     */
    private static String benchStage(String master, Path modelDir, String csv, int maxLength) throws Exception {
        SparkSession spark = SparkSessions.local(master, 4);
        Path out = Files.createTempDirectory("td-bench-tokenize");
        try {
            prepare(spark, csv, out);
            TokenizeSettings settings = stageSettings(modelDir, maxLength);
            TokenizeStage.run(spark, settings, out.toString(), ChatTemplateTurnRenderer.FACTORY); // warm-up
            TokenizeResult r;
            double s;
            try (JobCounter jobs = JobCounter.attach(spark.sparkContext())) {
                long t0 = System.nanoTime();
                r = TokenizeStage.run(spark, settings, out.toString(), ChatTemplateTurnRenderer.FACTORY);
                s = (System.nanoTime() - t0) / 1e9;
                System.out.printf(Locale.ROOT, "tokenize stage %-10s Spark work: %s; jobs: %s%n", master, jobs,
                        jobs.callSites());
            }
            long rows = inputRows(r);
            System.out.printf(Locale.ROOT, "tokenize stage %-10s %8d rows %8.0f rows/s  (%.2f s, Parquet write "
                    + "included)%n", master, rows, rows / s, s);
            int cores = cores(master);
            return String.format(Locale.ROOT, "%-34s %10.0f %.2fx of %d x raw encode (target >= 0.6)",
                    "tokenize stage " + master + ", whole", rows / s, rows / s / (cores * rawRowsPerSecond), cores);
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

    /** {@code csv}'s records {@code copies} times over (one header) in {@code to}: a larger input of the same rows. */
    static Path repeatRecords(String csv, int copies, Path to) throws java.io.IOException {
        List<String> lines = Files.readAllLines(Path.of(csv));
        List<String> body = lines.subList(1, lines.size());
        List<String> all = new ArrayList<>(lines);
        for (int k = 1; k < copies; k++) {
            all.addAll(body);
        }
        return Files.write(to, all);
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

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }

    private static PyValue cell(Row r, String col) {
        String v = r.getString(r.fieldIndex(col));
        return v == null ? new PyValue.Float(Double.NaN) : new PyValue.Str(v);
    }
}
