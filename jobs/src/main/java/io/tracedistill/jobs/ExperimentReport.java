package io.tracedistill.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tracedistill.config.ExperimentArm;
import io.tracedistill.eval.ArmSpec;
import io.tracedistill.eval.EvalReport;
import io.tracedistill.python.PyText;
import io.tracedistill.run.OutputLayout;
import io.tracedistill.run.RunPath;
import io.tracedistill.spark.RunFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;

/**
 * The experiment's side-by-side table, the reference's results table ({@code | arm | boxed acc | parse rate |}, plus
 * the hard types' accuracy), with the held-out loss per type by arm when {@code holdout_fraction} &gt; 0:
 * {@code output_dir/experiment_report.md} and {@code experiment_report.json}, built from files the steps wrote.
 *
 * <p>Sources: accuracy and parse rate from {@code output_dir/eval/eval_report.json} (arm {@code base} is
 * {@code zero_shot}); a trained arm's held-out loss is the last held-out evaluation in its {@code metrics.jsonl} (the
 * end of its last phase); {@code zero_shot}'s is the evaluation before the first step of a trained arm, whose fresh
 * LoRA (B = 0) leaves the base model's output unchanged (not shown with {@code init_adapter}, which is not the base).
 */
final class ExperimentReport {
    static final String MD = "experiment_report.md";
    static final String JSON_FILE = "experiment_report.json";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final String HELD_OUT_EVAL = "heldout";

    private ExperimentReport() {
    }

    /** One arm's figures; absent ones are null. */
    record ArmRow(ExperimentArm arm, String folder, Long rows, Long correct, Long parsed, Long hardRows, Long hardCorrect,
                  Double heldOutLoss, Map<String, Double> heldOutByType, String heldOutFrom) {}

    /**
     * Reads what the steps wrote and writes the report.
     *
     * @param armFolder each arm's folder ({@code output_dir/arms/<arm>})
     * @return the Markdown, also printed by the command
     */
    static String write(RunFiles files, OutputLayout root, List<ExperimentArm> arms, Map<ExperimentArm, OutputLayout> armFolder,
            List<String> hardTypes, boolean freshLora) {
        JsonNode eval = files.isFile(root.evalReportJson()) ? readJson(files, root.evalReportJson()) : null;
        List<HeldOut> firstEvals = new ArrayList<>();
        Map<ExperimentArm, HeldOut> last = new LinkedHashMap<>();
        for (ExperimentArm a : arms) {
            if (!a.trains()) {
                continue;
            }
            List<HeldOut> h = heldOut(files, armFolder.get(a).metrics());
            if (!h.isEmpty()) {
                firstEvals.add(h.get(0));
                last.put(a, h.get(h.size() - 1));
            }
        }
        TreeSet<String> types = new TreeSet<>(PyText::compareCodePoints);
        List<ArmRow> rows = new ArrayList<>();
        for (ExperimentArm a : arms) {
            JsonNode e = eval == null ? null : evalArm(eval, a == ExperimentArm.ZERO_SHOT ? ArmSpec.BASE : a.yamlName());
            HeldOut h = a.trains() ? last.get(a) : (freshLora && !firstEvals.isEmpty() ? firstEvals.get(0) : null);
            if (h != null) {
                types.addAll(h.byType().keySet());
            }
            long hardRows = 0;
            long hardCorrect = 0;
            if (e != null) {
                for (String t : hardTypes) {
                    JsonNode bt = e.path("by_type").path(t);
                    hardRows += bt.path("rows").asLong(0);
                    hardCorrect += bt.path("correct").asLong(0);
                }
            }
            rows.add(new ArmRow(a, armFolder.get(a).root().uri(), e == null ? null : e.path("rows").asLong(),
                    e == null ? null : e.path("correct").asLong(), e == null ? null : e.path("parsed").asLong(),
                    e == null ? null : hardRows, e == null ? null : hardCorrect, h == null ? null : h.loss(),
                    h == null ? Map.of() : h.byType(), h == null ? null : h.where()));
        }
        String md = markdown(rows, new ArrayList<>(types), hardTypes, eval, !last.isEmpty());
        files.writeAtomically(root.root().resolve(MD), md.getBytes(StandardCharsets.UTF_8));
        files.writeAtomically(root.root().resolve(JSON_FILE), json(rows, new ArrayList<>(types), hardTypes, eval)
                .getBytes(StandardCharsets.UTF_8));
        return md;
    }

    /** A held-out evaluation: phase, step, token-weighted loss overall and per type. */
    record HeldOut(String where, Double loss, Map<String, Double> byType) {}

    /** The held-out evaluations of a metrics.jsonl, in file order (none when it does not exist). */
    static List<HeldOut> heldOut(RunFiles files, RunPath metrics) {
        List<HeldOut> out = new ArrayList<>();
        if (!files.isFile(metrics)) {
            return out;
        }
        String text = new String(files.read(metrics), StandardCharsets.UTF_8);
        int lineNo = 0;
        for (String line : text.split("\n")) {
            lineNo++;
            if (line.isBlank()) {
                continue;
            }
            JsonNode n;
            try {
                n = JSON.readTree(line);
            } catch (IOException ex) {
                throw new UncheckedIOException(metrics + " line " + lineNo + " is not JSON: " + ex.getMessage(), ex);
            }
            if (!HELD_OUT_EVAL.equals(n.path("eval").asText(null))) {
                continue;
            }
            Map<String, Double> byType = new LinkedHashMap<>();
            n.path("heldout_loss_by_type").fields().forEachRemaining(f -> byType.put(f.getKey(), number(f.getValue())));
            out.add(new HeldOut(n.path("phase").asText() + " step " + n.path("step").asInt(),
                    number(n.get("heldout_loss")), byType));
        }
        return out;
    }

    private static Double number(JsonNode n) {
        return n == null || !n.isNumber() ? null : n.asDouble();
    }

    private static JsonNode evalArm(JsonNode eval, String name) {
        for (JsonNode a : eval.path("arms")) {
            if (name.equals(a.path("name").asText())) {
                return a;
            }
        }
        return null;
    }

    private static JsonNode readJson(RunFiles files, RunPath p) {
        try {
            return JSON.readTree(files.read(p));
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read " + p + ": " + e.getMessage(), e);
        }
    }

    private static String markdown(List<ArmRow> rows, List<String> types, List<String> hardTypes, JsonNode eval,
            boolean heldOut) {
        StringBuilder sb = new StringBuilder("# Experiment: ").append(rows.size()).append(" arms side by side\n\n");
        if (eval != null) {
            JsonNode m = eval.path("meta");
            sb.append("- eval: ").append(m.path("eval_rows").asText()).append(" rows of ").append(m.path("eval_path").asText())
                    .append(", greedy, max_new_tokens ").append(m.path("max_new_tokens").asText()).append(", scorer ")
                    .append(m.path("scorer").asText()).append('\n');
        } else {
            sb.append("- eval: not run (set eval_path to decode and grade every arm)\n");
        }
        sb.append("- held-out: ").append(heldOut ? "teacher-forced loss on the shared held-out slice (trace format), token-weighted;"
                + " trained arms at the end of their last phase, zero-shot before the first step"
                : "off (set holdout_fraction > 0, or heldout_source: eval_path)").append("\n\n");
        String hard = String.join(", ", hardTypes);
        sb.append("| arm | boxed accuracy | parse rate | hard-type accuracy (").append(EvalReport.cell(hard))
                .append(") | held-out loss |\n|---|--:|--:|--:|--:|\n");
        for (ArmRow r : rows) {
            sb.append("| ").append(r.arm().label()).append(" | ").append(rate(r.correct(), r.rows())).append(" | ")
                    .append(rate(r.parsed(), r.rows())).append(" | ").append(rate(r.hardCorrect(), r.hardRows()))
                    .append(" | ").append(loss(r.heldOutLoss())).append(" |\n");
        }
        if (heldOut) {
            sb.append("\n## Held-out loss per type by arm\n\n| arm | overall |");
            types.forEach(t -> sb.append(' ').append(EvalReport.cell(t)).append(hardTypes.contains(t) ? " (hard)" : "").append(" |"));
            sb.append("\n|---|--:|").append("--:|".repeat(types.size())).append('\n');
            for (ArmRow r : rows) {
                sb.append("| ").append(r.arm().label()).append(" | ").append(loss(r.heldOutLoss())).append(" |");
                types.forEach(t -> sb.append(' ').append(loss(r.heldOutByType().get(t))).append(" |"));
                sb.append('\n');
            }
        }
        sb.append("\nFolders: ");
        for (int i = 0; i < rows.size(); i++) {
            sb.append(i == 0 ? "" : ", ").append(rows.get(i).arm().yamlName()).append(" = ").append(rows.get(i).folder());
        }
        return sb.append('\n').toString();
    }

    private static String rate(Long num, Long den) {
        if (num == null || den == null || den == 0) {
            return "n/a";
        }
        return String.format(Locale.ROOT, "%.1f%% (%d/%d)", 100.0 * num / den, num, den);
    }

    private static String loss(Double v) {
        return v == null ? "n/a" : String.format(Locale.ROOT, "%.4f", v);
    }

    private static String json(List<ArmRow> rows, List<String> types, List<String> hardTypes, JsonNode eval) {
        ObjectNode root = JSON.createObjectNode();
        root.putPOJO("hard_types", hardTypes);
        root.putPOJO("heldout_types", types);
        if (eval != null) {
            root.set("eval_meta", eval.path("meta"));
        }
        ArrayNode arms = root.putArray("arms");
        for (ArmRow r : rows) {
            ObjectNode a = arms.addObject();
            a.put("arm", r.arm().yamlName());
            a.put("label", r.arm().label());
            a.put("folder", r.folder());
            putRate(a, "accuracy", r.correct(), r.rows());
            putRate(a, "parse_rate", r.parsed(), r.rows());
            putRate(a, "hard_accuracy", r.hardCorrect(), r.hardRows());
            a.putPOJO("eval_rows", r.rows());
            if (r.heldOutLoss() == null) {
                a.putNull("heldout_loss");
            } else {
                a.put("heldout_loss", r.heldOutLoss());
            }
            a.putPOJO("heldout_loss_by_type", r.heldOutByType());
            a.put("heldout_from", r.heldOutFrom());
        }
        try {
            return JSON.writeValueAsString(root) + "\n";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void putRate(ObjectNode n, String key, Long num, Long den) {
        if (num == null || den == null || den == 0) {
            n.putNull(key);
        } else {
            n.put(key, (double) num / den);
        }
    }
}
