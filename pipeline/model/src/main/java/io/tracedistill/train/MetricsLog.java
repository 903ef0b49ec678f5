package io.tracedistill.train;

import io.tracedistill.config.MetricForBest;
import io.tracedistill.run.Phase;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * {@code output_dir/metrics.jsonl}: one JSON object per logged step,
 * {@code {"phase":"phase1"|"phase2","step":1-based,"loss","lr","grad_norm" (pre-clip),"tokens","elapsed_s"}}
 * where {@code tokens} counts the non-pad tokens of the phase so far (TRL's {@code num_tokens}) and
 * {@code elapsed_s} the phase's wall time so far. With {@code logging_steps > 1}, {@code loss} is the mean
 * of the step losses since the previous record (as the HF Trainer logs it); {@code lr} and
 * {@code grad_norm} are those of the logged step.
 *
 * <p>With a held-out slice, held-out evaluations are records of their own ({@link HeldOutEntry}, told apart by
 * {@code "eval":"heldout"}): {@code {"phase","step" (0 = before the phase's first step),"eval":"heldout",
 * "heldout_loss","heldout_targets","heldout_loss_by_type":{type: loss},"heldout_targets_by_type":{type: n},
 * "best":true|false}}; with {@code eval_generate_limit} also {@code "heldout_accuracy","heldout_parse_rate",
 * "heldout_decoded","heldout_accuracy_by_type","heldout_parse_rate_by_type","heldout_decoded_by_type":{type:
 * [rows, parsed, correct]}}; with {@code early_stopping_patience}, {@code "evals_without_improvement"} when the
 * evaluation did not improve the phase's best, and {@code "early_stop":true} on the evaluation that ended its phase.
 */
public final class MetricsLog {

    /** File name inside {@code output_dir}. */
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One line of metrics.jsonl. */
    public record Entry(Phase phase, int step, double loss, double lr, double gradNorm, long tokens, double elapsedS) {

        ObjectNode toJson() {
            ObjectNode n = JSON.createObjectNode();
            n.put("phase", phase.folderName());
            n.put("step", step);
            n.put("loss", loss);
            n.put("lr", lr);
            n.put("grad_norm", gradNorm);
            n.put("tokens", tokens);
            n.put("elapsed_s", elapsedS);
            return n;
        }

        static Entry fromJson(JsonNode n) {
            return new Entry(Phase.ofFolderName(n.get("phase").asText()), n.get("step").asInt(), n.get("loss").asDouble(), n.get("lr").asDouble(),
                    n.get("grad_norm").asDouble(), n.get("tokens").asLong(), n.get("elapsed_s").asDouble());
        }
    }

    /**
     * One held-out evaluation (see the class comment). {@code best}: it was the best {@code metric_for_best} so far.
     *
     * @param accuracy      the greedy evaluation ({@code eval_generate_limit}); empty when not measured
     * @param sinceBest     evaluations in a row (this one included) that did not improve the phase's best
     *                      {@code metric_for_best}; 0 when this one did
     * @param stoppedEarly  {@code early_stopping_patience} ended the phase after this evaluation
     */
    public record HeldOutEntry(Phase phase, int step, HeldOutLoss loss, boolean best, Optional<HeldOutAccuracy> accuracy,
                               int sinceBest, boolean stoppedEarly) {

        public HeldOutEntry {
            Objects.requireNonNull(accuracy, "accuracy");
        }

        /** A loss-only record (no greedy evaluation, no early stopping). */
        public HeldOutEntry(Phase phase, int step, HeldOutLoss loss, boolean best) {
            this(phase, step, loss, best, Optional.empty(), 0, false);
        }

        /** The value of {@code metric} in this record (NaN when not measured). */
        public double metric(MetricForBest metric) {
            return metric == MetricForBest.LOSS ? loss.loss()
                    : accuracy.map(a -> a.overall().accuracy()).orElse(Double.NaN);
        }

        ObjectNode toJson() {
            ObjectNode n = JSON.createObjectNode();
            n.put("phase", phase.folderName());
            n.put("step", step);
            n.put("eval", HELD_OUT_EVAL);
            putFinite(n, "heldout_loss", loss.loss());
            n.put("heldout_targets", loss.targets());
            ObjectNode byType = n.putObject("heldout_loss_by_type");
            ObjectNode targets = n.putObject("heldout_targets_by_type");
            ObjectNode examples = n.putObject("heldout_examples_by_type");
            loss.byType().forEach((t, l) -> {
                putFinite(byType, t, l.loss());
                targets.put(t, l.targets());
                examples.put(t, l.examples());
            });
            // The greedy fields only when measured, so a loss-only run's records are as before.
            accuracy.ifPresent(a -> {
                putFinite(n, "heldout_accuracy", a.overall().accuracy());
                putFinite(n, "heldout_parse_rate", a.overall().parseRate());
                n.put("heldout_decoded", a.overall().rows());
                ObjectNode acc = n.putObject("heldout_accuracy_by_type");
                ObjectNode parse = n.putObject("heldout_parse_rate_by_type");
                ObjectNode counts = n.putObject("heldout_decoded_by_type");
                a.byType().forEach((t, c) -> {
                    putFinite(acc, t, c.accuracy());
                    putFinite(parse, t, c.parseRate());
                    counts.putArray(t).add(c.rows()).add(c.parsed()).add(c.correct());
                });
            });
            n.put("best", best);
            if (sinceBest > 0 || stoppedEarly) {
                n.put("evals_without_improvement", sinceBest);
            }
            if (stoppedEarly) {
                n.put("early_stop", true);
            }
            return n;
        }

        static HeldOutEntry fromJson(JsonNode n) {
            java.util.Map<String, HeldOutLoss.TypeLoss> byType = new java.util.LinkedHashMap<>();
            n.get("heldout_loss_by_type").fields().forEachRemaining(f -> byType.put(f.getKey(), new HeldOutLoss.TypeLoss(
                    finite(f.getValue()), n.get("heldout_targets_by_type").get(f.getKey()).asLong(),
                    n.path("heldout_examples_by_type").path(f.getKey()).asInt(0))));
            Optional<HeldOutAccuracy> accuracy = Optional.empty();
            if (n.has("heldout_decoded_by_type")) {
                // [rows, parsed, correct] per type; the overall counts are their sums.
                java.util.Map<String, HeldOutAccuracy.Counts> counts = new java.util.LinkedHashMap<>();
                int[] all = new int[3];
                n.get("heldout_decoded_by_type").fields().forEachRemaining(f -> {
                    HeldOutAccuracy.Counts c = new HeldOutAccuracy.Counts(f.getValue().get(0).asInt(),
                            f.getValue().get(1).asInt(), f.getValue().get(2).asInt());
                    counts.put(f.getKey(), c);
                    all[0] += c.rows();
                    all[1] += c.parsed();
                    all[2] += c.correct();
                });
                accuracy = Optional.of(new HeldOutAccuracy(new HeldOutAccuracy.Counts(all[0], all[1], all[2]), counts));
            }
            return new HeldOutEntry(Phase.ofFolderName(n.get("phase").asText()), n.get("step").asInt(),
                    new HeldOutLoss(finite(n.get("heldout_loss")), n.get("heldout_targets").asLong(), byType),
                    n.path("best").asBoolean(false), accuracy, n.path("evals_without_improvement").asInt(0),
                    n.path("early_stop").asBoolean(false));
        }
    }

    /** A loss as JSON: {@code null} for NaN (a slice or type without supervised targets), which JSON cannot hold. */
    private static void putFinite(ObjectNode n, String key, double v) {
        if (Double.isNaN(v)) {
            n.putNull(key);
        } else {
            n.put(key, v);
        }
    }

    private static double finite(JsonNode v) {
        return v == null || v.isNull() ? Double.NaN : v.asDouble();
    }

    /** The {@code eval} value of held-out records. */
    static final String HELD_OUT_EVAL = "heldout";

    private final Path file;
    private boolean readOnly;

    private MetricsLog(Path file) {
        this.file = file;
    }

    /** Starts an empty metrics file {@code f} (a fresh run; {@code output_dir/metrics.jsonl}). */
    public static MetricsLog create(Path f) throws IOException {
        Files.createDirectories(f.toAbsolutePath().getParent());
        Files.write(f, new byte[0]);
        return new MetricsLog(f);
    }

    /**
     * Reopens the metrics of a resumed run, dropping every record written after the checkpoint
     * (phase {@code phase}, step {@code step}): those steps are trained again.
     */
    public static MetricsLog resume(Path f, Phase phase, int step) throws IOException {
        List<String> lines = new ArrayList<>();
        for (JsonNode n : records(f)) {
            Phase p = Phase.ofFolderName(n.get("phase").asText());
            int s = n.get("step").asInt();
            if (p.compareTo(phase) < 0 || (p == phase && s <= step)) {
                lines.add(JSON.writeValueAsString(n)); // training and held-out records alike
            }
        }
        Files.createDirectories(f.toAbsolutePath().getParent());
        Files.write(f, lines, StandardCharsets.UTF_8);
        return new MetricsLog(f);
    }

    /**
     * The metrics of a run another process writes (ranks other than 0 of a multi-process run): its
     * {@link #file()} is rank 0's file, and {@link #append} does nothing.
     */
    public static MetricsLog readOnly(Path f) {
        MetricsLog log = new MetricsLog(f);
        log.readOnly = true;
        return log;
    }

    /** Appends one record and flushes it to disk (nothing for a {@link #readOnly} log). */
    public void append(Entry e) throws IOException {
        appendLine(e.toJson());
    }

    /** Appends one held-out evaluation (nothing for a {@link #readOnly} log). */
    public void append(HeldOutEntry e) throws IOException {
        appendLine(e.toJson());
    }

    private void appendLine(ObjectNode n) throws IOException {
        if (readOnly) {
            return;
        }
        try (BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.APPEND)) {
            w.write(JSON.writeValueAsString(n));
            w.write('\n');
        }
    }

    /** Every training record of a metrics file (empty when it does not exist); held-out records are skipped. */
    public static List<Entry> read(Path file) throws IOException {
        List<Entry> out = new ArrayList<>();
        for (JsonNode n : records(file)) {
            if (!isHeldOut(n)) {
                out.add(Entry.fromJson(n));
            }
        }
        return out;
    }

    /** Every held-out record of a metrics file, in file order (empty when there is none). */
    public static List<HeldOutEntry> readHeldOut(Path file) throws IOException {
        List<HeldOutEntry> out = new ArrayList<>();
        for (JsonNode n : records(file)) {
            if (isHeldOut(n)) {
                out.add(HeldOutEntry.fromJson(n));
            }
        }
        return out;
    }

    private static boolean isHeldOut(JsonNode n) {
        return HELD_OUT_EVAL.equals(n.path("eval").asText(null));
    }

    /** Every JSON record of the file, checked to be one of the two kinds. */
    private static List<JsonNode> records(Path file) throws IOException {
        List<JsonNode> out = new ArrayList<>();
        if (!Files.exists(file)) {
            return out;
        }
        int lineNo = 0;
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            lineNo++;
            if (line.isBlank()) {
                continue;
            }
            try {
                JsonNode n = JSON.readTree(line);
                if (isHeldOut(n)) {
                    HeldOutEntry.fromJson(n);
                } else {
                    Entry.fromJson(n);
                }
                out.add(n);
            } catch (IOException | RuntimeException ex) {
                throw new IOException(file + " line " + lineNo + " is not a metrics record: " + ex.getMessage(), ex);
            }
        }
        return out;
    }

    public Path file() {
        return file;
    }
}
