package io.tracedistill.tools;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * The table of {@code scripts/bench-model}: reads the JSON lines of its runs (one per process: a
 * {@link ModelBenchmark} or PyTorch-twin line, to which the script adds {@code config}, {@code round} and
 * {@code whole_process_ms}, the process timed from start to exit) and prints, per config, DJL beside the reference
 * for the three figures a user meets, each the best of the rounds and with the target beside it:
 * <ul>
 *   <li>cold: the median step right after the warm-up steps of a fresh process (the JIT compiler still at work);</li>
 *   <li>steady: the median step once the process's CPU per step has settled;</li>
 *   <li>whole process: a run of {@code run_steps} steps from process start to exit (JVM start and libtorch load, or
 *       the Python imports, included).</li>
 * </ul>
 * The ratio is DJL's throughput over the reference's (the reference's time over DJL's). Both sides must give the same
 * loss: a difference above {@link #LOSS_TOLERANCE} is reported as an error (exit status 1), since then the two sides
 * did not run the same step.
 *
 * <pre>
 * ModelBenchmarkReport RUNS.jsonl
 * </pre>
 */
public final class ModelBenchmarkReport {

    /** The target for the LoRA train step: DJL at least this fraction of the reference's tokens/s. */
    static final double TARGET = 0.9;
    /** Float32 on both sides, the same weights and ids: losses agree to ~1e-5 (printed with 5 decimals). */
    static final double LOSS_TOLERANCE = 1e-3;

    private ModelBenchmarkReport() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 1) {
            throw new IllegalArgumentException("usage: ModelBenchmarkReport RUNS.jsonl (the JSON lines of scripts/bench-model)");
        }
        Path file = Path.of(args[0]);
        boolean ok = print(read(file, Files.readAllLines(file)), System.out);
        if (!ok) {
            System.exit(1);
        }
    }

    /** One process's line. */
    record Run(String config, int round, boolean djl, JsonNode json) {
        double get(String field) {
            JsonNode v = json.get(field);
            if (v == null || !v.isNumber()) {
                throw new IllegalArgumentException("run of " + config + " round " + round + " (" + (djl ? "djl" : "reference")
                        + ") has no number '" + field + "': " + json);
            }
            return v.asDouble();
        }
    }

    /** Parses the lines of {@code file}; a malformed one is an error naming the file and line. */
    static List<Run> read(Path file, List<String> lines) {
        ObjectMapper mapper = new ObjectMapper();
        List<Run> runs = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty()) {
                continue;
            }
            String where = file + " line " + (i + 1);
            JsonNode n;
            try {
                n = mapper.readTree(line);
            } catch (JsonProcessingException e) {
                throw new IllegalArgumentException(where + " is not JSON (" + e.getOriginalMessage() + "): " + line, e);
            }
            for (String key : List.of("config", "round", "impl", "whole_process_ms")) {
                if (n == null || !n.hasNonNull(key)) {
                    throw new IllegalArgumentException(where + " lacks '" + key + "' (scripts/bench-model writes it): " + line);
                }
            }
            runs.add(new Run(n.get("config").asText(), n.get("round").asInt(), n.get("impl").asText().equals("djl"), n));
        }
        return runs;
    }

    /** One row of the table: a figure of both sides (the best of their rounds) and their ratio. */
    record Row(String measure, double djl, double djlCpu, double reference, double referenceCpu, String unit) {
        double ratio() {
            return reference / djl;
        }

        boolean met() {
            return ratio() >= TARGET;
        }
    }

    /** The three rows of a config (steady only when both sides ran past {@code steady_from}). */
    static List<Row> rows(List<Run> djl, List<Run> reference) {
        List<Row> rows = new ArrayList<>();
        Run d = best(djl, r -> r.get("ms_per_step_median"));
        Run t = best(reference, r -> r.get("ms_per_step_median"));
        rows.add(new Row(String.format(Locale.ROOT, "cold: steps %d-%d", (int) d.get("warmup"),
                (int) (d.get("warmup") + d.get("steps") - 1)), d.get("ms_per_step_median"), d.get("cpu_ms_per_step_median"),
                t.get("ms_per_step_median"), t.get("cpu_ms_per_step_median"), "ms/step"));
        if (djl.stream().allMatch(r -> r.get("steady_steps") > 0) && reference.stream().allMatch(r -> r.get("steady_steps") > 0)) {
            d = best(djl, r -> r.get("steady_ms_per_step_median"));
            t = best(reference, r -> r.get("steady_ms_per_step_median"));
            rows.add(new Row(String.format(Locale.ROOT, "steady: steps %d-%d", (int) d.get("steady_from"),
                    (int) d.get("run_steps") - 1), d.get("steady_ms_per_step_median"), d.get("steady_cpu_ms_per_step_median"),
                    t.get("steady_ms_per_step_median"), t.get("steady_cpu_ms_per_step_median"), "ms/step"));
        }
        d = best(djl, r -> r.get("whole_process_ms"));
        t = best(reference, r -> r.get("whole_process_ms"));
        rows.add(new Row(String.format(Locale.ROOT, "whole process, %d steps", (int) d.get("run_steps")),
                d.get("whole_process_ms") / 1000, d.get("process_cpu_ms") / 1000, t.get("whole_process_ms") / 1000,
                t.get("process_cpu_ms") / 1000, "s"));
        return rows;
    }

    private static Run best(List<Run> runs, ToDoubleFunction<Run> key) {
        Run best = runs.get(0);
        for (Run r : runs) {
            if (key.applyAsDouble(r) < key.applyAsDouble(best)) {
                best = r;
            }
        }
        return best;
    }

    /** Prints the table; false when a config lacks a side or the two sides' losses differ. */
    static boolean print(List<Run> runs, PrintStream out) {
        Map<String, List<Run>> byConfig = new LinkedHashMap<>();
        for (Run r : runs) {
            byConfig.computeIfAbsent(r.config(), k -> new ArrayList<>()).add(r);
        }
        boolean ok = true;
        out.printf(Locale.ROOT, "%-11s %-26s %24s %24s %7s  %s%n", "config", "figure (best of the rounds)", "DJL (CPU)",
                "reference (CPU)", "ratio", "target: DJL >= 0.9x the reference's tokens/s");
        for (Map.Entry<String, List<Run>> e : byConfig.entrySet()) {
            String config = e.getKey();
            List<Run> djl = e.getValue().stream().filter(Run::djl).toList();
            List<Run> reference = e.getValue().stream().filter(r -> !r.djl()).toList();
            if (djl.isEmpty() || reference.isEmpty()) {
                out.println(config + ": ERROR: no " + (djl.isEmpty() ? "DJL" : "reference") + " run to compare with");
                ok = false;
                continue;
            }
            for (Row row : rows(djl, reference)) {
                out.printf(Locale.ROOT, "%-11s %-26s %24s %24s %6.2fx  %s (by CPU %.2fx)%n", config, row.measure(),
                        figure(row.djl(), row.djlCpu(), row.unit()), figure(row.reference(), row.referenceCpu(), row.unit()),
                        row.ratio(), row.met() ? "met" : "NOT met", row.referenceCpu() / row.djlCpu());
            }
            out.printf(Locale.ROOT, "%-11s rounds (cold ms/step | steady ms/step | whole s): DJL %s; reference %s%n", config,
                    rounds(djl), rounds(reference));
            double dLoss = djl.get(0).get("loss");
            double tLoss = reference.get(0).get("loss");
            String rss = String.format(Locale.ROOT, "peak RSS %.0f / %.0f MB", djl.get(0).get("peak_rss_mb"),
                    reference.get(0).get("peak_rss_mb"));
            if (Math.abs(dLoss - tLoss) > LOSS_TOLERANCE) {
                out.printf(Locale.ROOT, "%-11s ERROR: the losses differ, DJL %.5f vs reference %.5f: the two sides did not run the"
                        + " same step; %s%n", config, dLoss, tLoss, rss);
                ok = false;
            } else {
                out.printf(Locale.ROOT, "%-11s same loss (DJL %.5f, reference %.5f); %s; %s%n", config, dLoss, tLoss, rss,
                        reference.get(0).json().get("impl").asText());
            }
        }
        return ok;
    }

    /** Every round's three figures, in round order: how much the best-of differs from the rest. */
    private static String rounds(List<Run> runs) {
        StringBuilder cold = new StringBuilder();
        StringBuilder steady = new StringBuilder();
        StringBuilder whole = new StringBuilder();
        for (Run r : runs) {
            String sep = cold.length() == 0 ? "" : " / ";
            cold.append(sep).append(String.format(Locale.ROOT, "%.1f", r.get("ms_per_step_median")));
            steady.append(sep).append(r.get("steady_steps") > 0
                    ? String.format(Locale.ROOT, "%.1f", r.get("steady_ms_per_step_median")) : "-");
            whole.append(sep).append(String.format(Locale.ROOT, "%.2f", r.get("whole_process_ms") / 1000));
        }
        return cold + " | " + steady + " | " + whole;
    }

    private static String figure(double v, double cpu, String unit) {
        return unit.equals("s") ? String.format(Locale.ROOT, "%.2f s (%.2f s)", v, cpu)
                : String.format(Locale.ROOT, "%.1f %s (%.0f)", v, unit, cpu);
    }
}
