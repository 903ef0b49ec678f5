package io.tracedistill.eval;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tracedistill.python.PyText;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalDouble;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The side-by-side eval report: accuracy, parse rate and per-type accuracy for every arm, computed from the
 * predictions table only (so anyone can recompute it from {@code eval/predictions/}).
 *
 * <p>Counting rules: every eval row counts in every arm. A row that was not decoded (prompt too long, template error)
 * is unparsed and incorrect, and is also listed under its reason. Accuracy = correct / rows, parse rate = rows whose
 * output holds a gradable {@code \boxed{}} / rows. Types are ordered by code point, like the reference's labels.
 *
 * <p>{@code eval_report.json} holds {@code meta}, {@code types}, one object per arm (overall and {@code by_type}
 * counts, rates, decoding counts) and {@code accuracy_table} ({@code rows} = types + overall, {@code columns} = arms,
 * {@code accuracy[row][column]}).
 *
 * @param meta    run facts shown at the top (scorer, eval path, max_new_tokens, context rule...), in order
 * @param types   every type label, code-point order
 * @param arms    per arm, in arm order
 */
public record EvalReport(Map<String, Object> meta, List<String> types, List<ArmSummary> arms) {
    /** The row label of the all-types line. */
    public static final String OVERALL = "overall";

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    public EvalReport {
        meta = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(meta));
        types = List.copyOf(types);
        arms = List.copyOf(arms);
    }

    /**
     * Builds the report.
     *
     * @throws IllegalArgumentException if an arm's predictions do not cover exactly the same rows as the first arm's
     *     (every input row must be accounted for in every arm), or a prediction names an unknown arm
     */
    public static EvalReport build(List<Prediction> predictions, List<ArmSpec> arms, Map<String, Object> meta) {
        Map<String, List<Prediction>> byArm = new LinkedHashMap<>();
        for (ArmSpec a : arms) {
            byArm.put(a.name(), new ArrayList<>());
        }
        for (Prediction p : predictions) {
            List<Prediction> l = byArm.get(p.arm());
            if (l == null) {
                throw new IllegalArgumentException("prediction for row " + p.rowIndex() + " names arm '" + p.arm()
                        + "', which is not one of " + byArm.keySet());
            }
            l.add(p);
        }
        TreeSet<String> typeSet = new TreeSet<>(PyText::compareCodePoints);
        TreeSet<Long> firstRows = null;
        String firstArm = null;
        List<ArmSummary> summaries = new ArrayList<>();
        for (ArmSpec a : arms) {
            List<Prediction> ps = byArm.get(a.name());
            TreeSet<Long> rows = new TreeSet<>();
            for (Prediction p : ps) {
                if (!rows.add(p.rowIndex())) {
                    throw new IllegalArgumentException("arm '" + a.name() + "' has two predictions for row "
                            + p.rowIndex());
                }
                typeSet.add(p.type());
            }
            if (firstRows == null) {
                firstRows = rows;
                firstArm = a.name();
            } else if (!firstRows.equals(rows)) {
                TreeSet<Long> diff = new TreeSet<>(firstRows);
                diff.removeAll(rows);
                TreeSet<Long> extra = new TreeSet<>(rows);
                extra.removeAll(firstRows);
                throw new IllegalArgumentException("arm '" + a.name() + "' covers " + rows.size() + " rows but arm '"
                        + firstArm + "' covers " + firstRows.size() + " (missing e.g. " + head(diff) + ", extra e.g. "
                        + head(extra) + "): every eval row must have a prediction in every arm");
            }
            summaries.add(summarize(a, ps));
        }
        List<String> types = new ArrayList<>(typeSet);
        List<ArmSummary> ordered = new ArrayList<>();
        for (ArmSummary s : summaries) {
            Map<String, TypeCounts> bt = new LinkedHashMap<>();
            for (String t : types) {
                bt.put(t, s.byType().getOrDefault(t, TypeCounts.ZERO));
            }
            ordered.add(new ArmSummary(s.arm(), s.overall(), bt, s.decoded(), s.notDecoded(), s.hitMaxNewTokens(),
                    s.newTokens()));
        }
        return new EvalReport(meta, types, ordered);
    }

    private static String head(TreeSet<Long> s) {
        return s.isEmpty() ? "none" : s.first().toString();
    }

    private static ArmSummary summarize(ArmSpec arm, List<Prediction> ps) {
        TypeCounts overall = TypeCounts.ZERO;
        Map<String, TypeCounts> byType = new HashMap<>();
        Map<String, Long> notDecoded = new TreeMap<>();
        long decoded = 0;
        long hitMax = 0;
        long newTokens = 0;
        for (Prediction p : ps) {
            overall = overall.plus(p);
            byType.merge(p.type(), TypeCounts.ZERO.plus(p), (x, y) -> x.plus(p));
            if (p.reason().isPresent()) {
                notDecoded.merge(p.reason().get().code(), 1L, Long::sum);
            } else {
                decoded++;
                newTokens += p.newTokens();
                if (Prediction.FINISH_LENGTH.equals(p.finish())) {
                    hitMax++;
                }
            }
        }
        return new ArmSummary(arm, overall, byType, decoded, notDecoded, hitMax, newTokens);
    }

    /** The arm summary by name. */
    public ArmSummary arm(String name) {
        for (ArmSummary s : arms) {
            if (s.arm().name().equals(name)) {
                return s;
            }
        }
        throw new IllegalArgumentException("No arm '" + name + "' in the report; arms are " + armNames());
    }

    public List<String> armNames() {
        List<String> out = new ArrayList<>();
        for (ArmSummary s : arms) {
            out.add(s.arm().name());
        }
        return out;
    }

    /** {@code eval_report.json}: meta, types, then one object per arm with overall and per-type counts. */
    public ObjectNode toJson() {
        ObjectNode root = JSON.createObjectNode();
        ObjectNode m = root.putObject("meta");
        meta.forEach((k, v) -> m.set(k, JSON.valueToTree(v)));
        ArrayNode t = root.putArray("types");
        types.forEach(t::add);
        ArrayNode as = root.putArray("arms");
        for (ArmSummary s : arms) {
            ObjectNode a = as.addObject();
            a.put("name", s.arm().name());
            if (s.arm().adapterDir() == null) {
                a.putNull("adapter");
            } else {
                a.put("adapter", s.arm().adapterDir());
            }
            counts(a, s.overall());
            a.put("decoded", s.decoded());
            ObjectNode nd = a.putObject("not_decoded");
            s.notDecoded().forEach(nd::put);
            a.put("hit_max_new_tokens", s.hitMaxNewTokens());
            a.put("new_tokens", s.newTokens());
            ObjectNode bt = a.putObject("by_type");
            s.byType().forEach((type, c) -> counts(bt.putObject(type), c));
        }
        // The results table as in the Markdown: rows = types then overall, columns = arms.
        ObjectNode table = root.putObject("accuracy_table");
        ArrayNode rowNames = table.putArray("rows");
        types.forEach(rowNames::add);
        rowNames.add(OVERALL);
        ArrayNode cols = table.putArray("columns");
        arms.forEach(s -> cols.add(s.arm().name()));
        ArrayNode values = table.putArray("accuracy");
        for (int i = 0; i <= types.size(); i++) {
            ArrayNode row = values.addArray();
            for (ArmSummary s : arms) {
                TypeCounts c = i < types.size() ? s.byType().get(types.get(i)) : s.overall();
                if (c.accuracy().isPresent()) {
                    row.add(c.accuracy().getAsDouble());
                } else {
                    row.addNull();
                }
            }
        }
        return root;
    }

    private static void counts(ObjectNode n, TypeCounts c) {
        n.put("rows", c.rows());
        n.put("correct", c.correct());
        n.put("parsed", c.parsed());
        putRate(n, "accuracy", c.accuracy());
        putRate(n, "parse_rate", c.parseRate());
    }

    private static void putRate(ObjectNode n, String key, OptionalDouble v) {
        if (v.isPresent()) {
            n.put(key, v.getAsDouble());
        } else {
            n.putNull(key);
        }
    }

    /** The JSON as pretty-printed text. */
    public String toJsonString() {
        try {
            return JSON.writeValueAsString(toJson()) + "\n";
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("Cannot serialize the eval report: " + e.getMessage(), e);
        }
    }

    /** {@code eval_report.md}: results tables (rows = types + overall, columns = arms). */
    public String toMarkdown() {
        StringBuilder sb = new StringBuilder();
        sb.append("# Eval report\n\n");
        meta.forEach((k, v) -> sb.append("- ").append(k).append(": ").append(cell(String.valueOf(v))).append('\n'));
        sb.append('\n');
        sb.append("## Accuracy (correct / rows)\n\n");
        table(sb, true);
        sb.append("\n## Parse rate (outputs with a gradable `\\boxed{}` / rows)\n\n");
        table(sb, false);
        sb.append("\n## Decoding\n\n");
        sb.append("| arm | adapter | rows | decoded | not decoded | hit max_new_tokens | mean new tokens |\n");
        sb.append("|---|---|---:|---:|---|---:|---:|\n");
        for (ArmSummary s : arms) {
            String nd = s.notDecoded().isEmpty() ? "0" : s.notDecoded().entrySet().stream()
                    .map(e -> e.getKey() + ": " + e.getValue()).reduce((x, y) -> x + ", " + y).get();
            String mean = s.decoded() == 0 ? "n/a"
                    : String.format(Locale.ROOT, "%.1f", (double) s.newTokens() / s.decoded());
            sb.append("| ").append(cell(s.arm().name())).append(" | ")
                    .append(s.arm().adapterDir() == null ? "-" : cell(s.arm().adapterDir())).append(" | ")
                    .append(s.overall().rows()).append(" | ").append(s.decoded()).append(" | ").append(nd)
                    .append(" | ").append(s.hitMaxNewTokens()).append(" | ").append(mean).append(" |\n");
        }
        sb.append("\nEvery row counts in every arm: a row that was not decoded is unparsed and incorrect.\n");
        return sb.toString();
    }

    private void table(StringBuilder sb, boolean accuracy) {
        sb.append("| type | rows |");
        for (ArmSummary s : arms) {
            sb.append(' ').append(cell(s.arm().name())).append(" |");
        }
        sb.append("\n|---|---:|");
        sb.append("---:|".repeat(arms.size()));
        sb.append('\n');
        for (String t : types) {
            long rows = arms.isEmpty() ? 0 : arms.get(0).byType().get(t).rows();
            sb.append("| ").append(cell(t)).append(" | ").append(rows).append(" |");
            for (ArmSummary s : arms) {
                sb.append(' ').append(rate(s.byType().get(t), accuracy)).append(" |");
            }
            sb.append('\n');
        }
        sb.append("| **").append(OVERALL).append("** | ").append(arms.isEmpty() ? 0 : arms.get(0).overall().rows())
                .append(" |");
        for (ArmSummary s : arms) {
            sb.append(" **").append(rate(s.overall(), accuracy)).append("** |");
        }
        sb.append('\n');
    }

    private static String rate(TypeCounts c, boolean accuracy) {
        long num = accuracy ? c.correct() : c.parsed();
        OptionalDouble r = accuracy ? c.accuracy() : c.parseRate();
        if (r.isEmpty()) {
            return "n/a";
        }
        return String.format(Locale.ROOT, "%.1f%% (%d/%d)", 100 * r.getAsDouble(), num, c.rows());
    }

    /** A Markdown table cell: pipes escaped, newlines as spaces. */
    public static String cell(String s) {
        Objects.requireNonNull(s);
        return s.replace("\\", "\\\\").replace("|", "\\|").replace("\r", " ").replace("\n", " ");
    }
}
