package io.tracedistill.spark.prepare;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tracedistill.config.HeldOutSource;
import io.tracedistill.config.Redaction;
import io.tracedistill.python.PyText;
import io.tracedistill.run.OutputLayout;
import io.tracedistill.run.Phase;
import io.tracedistill.spark.Manifests;
import io.tracedistill.spark.ShardFiles;
import io.tracedistill.spark.ShardSchemas;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Map;
import java.util.TreeMap;

/**
 * Step 6 of prepare: {@code prepared/manifest.json}. It accounts for every input row (per type:
 * {@code input = kept + quarantined}, or {@code input = kept + quarantined + heldout} with a held-out slice), lists the phases' shards in order, fingerprints the input, records the
 * resolved config and the schema version, and measures data quality per type.
 *
 * <p>Input fingerprint: SHA-256 over each input file's fully qualified path, size and modification time (one
 * {@code path\tsize\tmtime\n} line per file, in path order). It is cheap on S3 (a listing, no read) and changes
 * when any file is replaced; it does not detect an in-place rewrite that keeps size and mtime.
 *
 * <p>Data quality is measured over the <em>kept</em> rows of each type: how often the teacher trace's own last
 * balanced {@code \boxed{}} disagrees with {@code str(answer)} (both stripped) or is absent, and percentiles
 * (nearest rank) of the trace and prompt lengths in code points.
 */
public final class PrepareManifest {
    private PrepareManifest() {}

    /** Manifest kind tag. */
    public static final String KIND = "tracedistill.prepared";

    /** Everything the manifest reports. */
    public record Inputs(PrepareSettings settings, InputTable table, CheckedSchema schema,
            PhaseSplitter.Result split, List<ShardFiles.Shard> phase1Shards, List<ShardFiles.Shard> phase2Shards,
            List<ShardFiles.Shard> quarantineShards, List<ShardFiles.Shard> heldOutShards, String configPath) {}

    /** Builds the manifest JSON (no eval_path held-out slice). */
    public static ObjectNode build(Inputs in) {
        return build(in, Optional.empty(), List.of());
    }

    /**
     * Builds the manifest JSON; with {@code heldout_source: eval_path}, {@code evalHeld} and the shards of
     * {@code prepared/heldout_quarantine/} give its {@code heldout} section (the training counts are then unchanged:
     * {@code input = kept + quarantined}, and the eval rows add up on their own: {@code heldout.input = heldout.rows +
     * heldout.quarantined}).
     */
    static ObjectNode build(Inputs in, Optional<EvalPathHeldOut.Written> evalHeld, List<ShardFiles.Shard> evalQuarantine) {
        JsonNodeFactory f = JsonNodeFactory.instance;
        PrepareSettings s = in.settings();
        StagedSummaryCodec.InputSummary sum = in.split().summary();
        int n = sum.rows();
        RowAssignment a = in.split().assignment();

        ObjectNode root = f.objectNode();
        root.put("kind", KIND);
        root.put("schema_version", ShardSchemas.SCHEMA_VERSION);
        root.put("complete", true);
        root.put("config_path", in.configPath());

        ObjectNode input = root.putObject("input");
        input.put("data_path", Redaction.text(s.dataPath()));
        input.put("format", in.table().format().name().toLowerCase(java.util.Locale.ROOT));
        input.put("rows", n);
        ArrayNode files = input.putArray("files");
        List<FileLines> lines = in.table().fileLines();
        long physical = 0;
        long header = 0;
        long records = 0;
        long blank = 0;
        for (int i = 0; i < in.table().files().size(); i++) {
            InputFile file = in.table().files().get(i);
            ObjectNode fo = files.addObject().put("path", Redaction.text(file.path())).put("size_bytes", file.sizeBytes())
                    .put("modified_millis", file.modifiedMillis());
            if (!lines.isEmpty()) {
                FileLines l = lines.get(i);
                if (!l.accountedFor()) {
                    throw new IllegalStateException("Input file '" + Redaction.text(file.path()) + "' has " + l.lines()
                            + " physical lines but the read accounts for " + (l.headerLines() + l.recordLines()
                            + l.blankLines()) + " (header " + l.headerLines() + ", records " + l.recordLines()
                            + ", blank " + l.blankLines() + "); please report this with the file");
                }
                fo.put("physical_lines", l.lines()).put("header_lines", l.headerLines())
                        .put("record_lines", l.recordLines()).put("blank_lines", l.blankLines())
                        .put("rows", l.records()).put("malformed_rows", l.malformed());
                physical += l.lines();
                header += l.headerLines();
                records += l.recordLines();
                blank += l.blankLines();
            }
        }
        if (!lines.isEmpty()) {
            // Every physical line is in a header, a row (kept or quarantined; a malformed row is one line) or a blank
            // line, and every row is counted below: physical_lines = header_lines + record_lines + blank_lines.
            input.put("physical_lines", physical);
            input.put("header_lines", header);
            input.put("record_lines", records);
            input.put("blank_lines", blank);
        }
        input.put("fingerprint", fingerprint(in.table().files()));
        input.put("fingerprint_method", "sha256 over 'path\\tsize\\tmtime\\n' per file, in path order");

        ObjectNode cols = root.putObject("columns");
        cols.put("prompt", s.columns().prompt());
        cols.put("cot", s.columns().cot());
        cols.put("answer", s.columns().answer());
        cols.put("type", s.columns().type());
        ArrayNode pass = root.putArray("passthrough_columns");
        for (String c : in.schema().passthrough().fieldNames()) {
            pass.add(c);
        }
        root.put("shard_format", s.shardFormat().yamlName());

        // Counts, overall and per type.
        Map<String, Long> reasons = new TreeMap<>();
        Map<String, TypeCounts> perType = new TreeMap<>(PyText::compareCodePoints);
        TypeCounts missingType = new TypeCounts();
        long kept = 0;
        for (int g = 0; g < n; g++) {
            String t = sum.type()[g];
            TypeCounts tc = t == null ? missingType : perType.computeIfAbsent(t, k -> new TypeCounts());
            tc.input++;
            String r = sum.reason()[g];
            if (r == null && a.heldOutPosition(g) != RowAssignment.NONE) {
                tc.heldOut++;
            } else if (r == null) {
                kept++;
                tc.kept++;
                tc.cot.add(sum.cotLen()[g]);
                tc.prompt.add(sum.promptLen()[g]);
                tc.boxed[sum.boxed()[g]]++;
                int issues = sum.targetIssues()[g];
                for (TargetIssue issue : TargetIssue.in(issues)) {
                    tc.targetIssues.merge(issue.code(), 1L, Long::sum);
                }
            } else {
                tc.quarantined++;
                tc.reasons.merge(r, 1L, Long::sum);
                reasons.merge(r, 1L, Long::sum);
            }
            if (a.position(Phase.PHASE1, g) != RowAssignment.NONE) {
                tc.phase1++;
            }
            if (a.position(Phase.PHASE2, g) != RowAssignment.NONE) {
                tc.phase2++;
            }
        }
        int p1 = in.split().phase1InputRowsByPosition().length;
        int p2 = in.split().phase2InputRowsByPosition().length;
        int held = in.split().heldOutInputRows().length;
        boolean withHeldOut = s.holdoutFraction() > 0;
        ObjectNode counts = root.putObject("counts");
        counts.put("input", n);
        counts.put("kept", kept);
        counts.put("quarantined", n - kept - held);
        if (withHeldOut) {
            counts.put(OutputLayout.HELD_OUT, held); // input = kept + quarantined + heldout
        }
        counts.put(Phase.PHASE1.folderName(), p1);
        counts.put(Phase.PHASE2.folderName(), p2);
        ObjectNode dr = counts.putObject("drop_reasons");
        reasons.forEach(dr::put);

        ArrayNode types = root.putArray("per_type");
        for (Map.Entry<String, TypeCounts> e : perType.entrySet()) {
            e.getValue().toJson(types.addObject().put("type", e.getKey()), withHeldOut);
        }
        if (missingType.input > 0) {
            missingType.toJson(types.addObject().putNull("type"), withHeldOut);
        }

        ObjectNode split = root.putObject("split");
        ArrayNode hard = split.putArray("hard_types");
        s.hardTypes().forEach(hard::add);
        split.put("seed", s.seed());
        split.put("shuffle", s.shuffle());
        split.put("hard_quota_n", in.split().split().quota());

        ObjectNode phases = root.putObject("phases");
        phase(phases, Phase.PHASE1, p1, s.effectiveBatch1(), in.phase1Shards());
        phase(phases, Phase.PHASE2, p2, s.effectiveBatch2(), in.phase2Shards());
        ObjectNode q = root.putObject(OutputLayout.QUARANTINE);
        q.put("dir", OutputLayout.QUARANTINE);
        q.put("rows", n - kept);
        shards(q.putArray("shards"), in.quarantineShards());
        if (withHeldOut) {
            ObjectNode h = root.putObject(OutputLayout.HELD_OUT);
            h.put("dir", OutputLayout.HELD_OUT);
            h.put("rows", held);
            h.put("source", HeldOutSource.HOLDOUT_FRACTION.yamlName());
            h.put("fraction", s.holdoutFraction());
            h.put("seed", s.splitSeed() + 2);
            h.put("rule", "per type (code-point order): random.Random(seed + 2).sample(usable rows of the type,"
                    + " min(n - 1, max(1, round(fraction * n)))) when n >= 2, before the two-phase split");
            h.put("order", "ascending input row");
            shards(h.putArray("shards"), in.heldOutShards());
        }
        if (evalHeld.isPresent()) {
            EvalPathHeldOut.Written e = evalHeld.get();
            ObjectNode h = root.putObject(OutputLayout.HELD_OUT);
            h.put("dir", OutputLayout.HELD_OUT);
            h.put("source", HeldOutSource.EVAL_PATH.yamlName());
            h.put("eval_path", Redaction.text(e.source().evalPath()));
            h.put("format", e.source().table().format().name().toLowerCase(java.util.Locale.ROOT));
            h.put("fingerprint", EvalPathHeldOut.fingerprint(e.source()));
            h.put("input", e.inputRows()); // = rows + quarantined
            h.put("rows", e.keptRows());
            h.put("quarantined", e.quarantinedRows());
            e.dropReasons().forEach(h.putObject("drop_reasons")::put);
            ObjectNode byType = h.putObject("rows_per_type");
            e.keptByType().forEach(byType::put);
            h.put("order", "ascending eval_path input row");
            shards(h.putArray("shards"), in.heldOutShards());
            h.put("quarantine_dir", OutputLayout.HELD_OUT_QUARANTINE);
            shards(h.putArray("quarantine_shards"), evalQuarantine);
        }

        ObjectNode dq = root.putObject("data_quality");
        dq.put("scope", "kept rows");
        dq.put("boxed_rule", "last balanced \\boxed{} of the trace vs str(answer), both stripped");
        // Labels the split treats as different types although they differ only by case, space or control chars.
        ArrayNode near = dq.putArray("near_duplicate_type_labels");
        for (List<String> group : HardTypeCheck.nearDuplicateLabels(perType.keySet())) {
            ArrayNode g = near.addArray();
            group.forEach(g::add);
        }
        targetIssues(dq.putObject("target_issues"), sum, s.strictData());
        ArrayNode dqt = dq.putArray("per_type");
        for (Map.Entry<String, TypeCounts> e : perType.entrySet()) {
            e.getValue().qualityJson(dqt.addObject().put("type", e.getKey()));
        }

        ObjectNode contract = root.putObject("contract");
        contract.put("prompt_suffix", s.promptSuffix());
        contract.put("min_cot_len", s.minCotLen());
        root.set("resolved_config", Manifests.JSON.valueToTree(s.resolvedConfig()));
        return root;
    }

    /** Examples of each target issue kind in the manifest and the warning. */
    static final int TARGET_ISSUE_EXAMPLES = 3;

    /**
     * {@code data_quality.target_issues}: per {@link TargetIssue} kind, how many kept rows have it (all kinds listed,
     * zeros too), with up to {@link #TARGET_ISSUE_EXAMPLES} examples (file and 0-based row); under {@code strict_data}
     * such rows are quarantined instead, so they are counted under {@code counts.drop_reasons}.
     */
    private static void targetIssues(ObjectNode o, StagedSummaryCodec.InputSummary sum, boolean strict) {
        o.put("scope", "kept rows");
        o.put("strict_data", strict);
        Map<TargetIssue, Long> counts = targetIssueCounts(sum);
        ObjectNode c = o.putObject("counts");
        counts.forEach((k, v) -> c.put(k.code(), v));
        ObjectNode ex = o.putObject("examples");
        targetIssueExamples(sum).forEach((k, list) -> {
            ArrayNode a = ex.putArray(k.code());
            for (int g : list) {
                a.addObject().put("file", Redaction.text(sum.files().get(sum.fileOfRow()[g])))
                        .put("row", sum.sourceRow()[g]);
            }
        });
    }

    /** Kept rows per target issue kind, every kind in declaration order. */
    static Map<TargetIssue, Long> targetIssueCounts(StagedSummaryCodec.InputSummary sum) {
        Map<TargetIssue, Long> out = new java.util.EnumMap<>(TargetIssue.class);
        for (TargetIssue t : TargetIssue.values()) {
            out.put(t, 0L);
        }
        for (int g = 0; g < sum.rows(); g++) {
            if (sum.reason()[g] == null) {
                for (TargetIssue t : TargetIssue.in(sum.targetIssues()[g])) {
                    out.merge(t, 1L, Long::sum);
                }
            }
        }
        return out;
    }

    /** Up to {@link #TARGET_ISSUE_EXAMPLES} kept input rows per kind that has any, in input row order. */
    static Map<TargetIssue, List<Integer>> targetIssueExamples(StagedSummaryCodec.InputSummary sum) {
        Map<TargetIssue, List<Integer>> out = new java.util.EnumMap<>(TargetIssue.class);
        for (int g = 0; g < sum.rows(); g++) {
            if (sum.reason()[g] == null) {
                for (TargetIssue t : TargetIssue.in(sum.targetIssues()[g])) {
                    List<Integer> l = out.computeIfAbsent(t, k -> new ArrayList<>());
                    if (l.size() < TARGET_ISSUE_EXAMPLES) {
                        l.add(g);
                    }
                }
            }
        }
        return out;
    }

    /**
     * The warning for kept rows with malformed targets, or null when there are none: counts per kind, examples
     * (file and row) and the fix.
     */
    static String targetIssueWarning(StagedSummaryCodec.InputSummary sum) {
        Map<TargetIssue, List<Integer>> ex = targetIssueExamples(sum);
        if (ex.isEmpty()) {
            return null;
        }
        StringBuilder sb = new StringBuilder("rows kept with a malformed training target (the reference keeps them"
                + " too): ");
        boolean first = true;
        for (Map.Entry<TargetIssue, Long> e : targetIssueCounts(sum).entrySet()) {
            if (e.getValue() == 0) {
                continue;
            }
            sb.append(first ? "" : "; ").append(e.getKey().code()).append(' ').append(e.getValue()).append(" (e.g.");
            first = false;
            for (int g : ex.get(e.getKey())) {
                sb.append(' ').append(Redaction.text(sum.files().get(sum.fileOfRow()[g]))).append(" row ")
                        .append(sum.sourceRow()[g]);
            }
            sb.append(')');
        }
        return sb.append(". Fix those answers/texts in the input, or set strict_data: true to quarantine such rows")
                .toString();
    }

    /** Per-phase block: rows, effective batch, shard files in position order. */
    private static void phase(ObjectNode phases, Phase phase, int rows, int batch, List<ShardFiles.Shard> sh) {
        ObjectNode o = phases.putObject(phase.folderName());
        o.put("dir", phase.folderName());
        o.put("rows", rows);
        o.put("effective_batch", batch);
        shards(o.putArray("shards"), sh);
    }

    private static void shards(ArrayNode arr, List<ShardFiles.Shard> sh) {
        for (ShardFiles.Shard x : sh) {
            arr.addObject().put("file", x.name()).put("size_bytes", x.sizeBytes());
        }
    }

    /** SHA-256 hex over {@code path\tsize\tmtime\n} per file. */
    public static String fingerprint(List<InputFile> files) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            for (InputFile file : files) {
                md.update((Redaction.text(file.path()) + "\t" + file.sizeBytes() + "\t" + file.modifiedMillis() + "\n")
                        .getBytes(StandardCharsets.UTF_8));
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 unavailable", e);
        }
    }

    /** Nearest-rank percentile of sorted values ({@code p} in 0..100). */
    public static int percentile(int[] sorted, double p) {
        if (sorted.length == 0) {
            throw new IllegalArgumentException("percentile of no values");
        }
        int rank = (int) Math.ceil(p / 100.0 * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
    }

    private static final class TypeCounts {
        long input;
        long kept;
        long quarantined;
        long heldOut;
        long phase1;
        long phase2;
        final Map<String, Long> reasons = new TreeMap<>();
        final IntBag cot = new IntBag();
        final IntBag prompt = new IntBag();
        final long[] boxed = new long[3];
        final Map<String, Long> targetIssues = new TreeMap<>();

        void toJson(ObjectNode o, boolean withHeldOut) {
            o.put("input", input);
            o.put("kept", kept);
            o.put("quarantined", quarantined);
            if (withHeldOut) {
                o.put(OutputLayout.HELD_OUT, heldOut);
            }
            ObjectNode r = o.putObject("drop_reasons");
            reasons.forEach(r::put);
            o.put(Phase.PHASE1.folderName(), phase1);
            o.put(Phase.PHASE2.folderName(), phase2);
        }

        void qualityJson(ObjectNode o) {
            o.put("rows", kept);
            o.put("boxed_agrees", boxed[FormatContractTransform.BOXED_AGREES]);
            o.put("boxed_disagrees", boxed[FormatContractTransform.BOXED_DISAGREES]);
            o.put("boxed_absent", boxed[FormatContractTransform.BOXED_ABSENT]);
            o.put("disagree_rate", kept == 0 ? 0.0 : boxed[FormatContractTransform.BOXED_DISAGREES] / (double) kept);
            ObjectNode ti = o.putObject("target_issues");
            targetIssues.forEach(ti::put);
            lengths(o.putObject("trace_len_codepoints"), cot.sorted());
            lengths(o.putObject("prompt_len_codepoints"), prompt.sorted());
        }

        private static void lengths(ObjectNode o, int[] v) {
            if (v.length == 0) {
                return;
            }
            o.put("min", v[0]);
            o.put("p50", percentile(v, 50));
            o.put("p90", percentile(v, 90));
            o.put("p99", percentile(v, 99));
            o.put("max", v[v.length - 1]);
            o.put("mean", Arrays.stream(v).asDoubleStream().sum() / v.length);
        }
    }

    private static final class IntBag {
        private int[] a = new int[16];
        private int n;

        void add(int v) {
            if (n == a.length) {
                a = Arrays.copyOf(a, n * 2);
            }
            a[n++] = v;
        }

        int[] sorted() {
            int[] c = Arrays.copyOf(a, n);
            Arrays.sort(c);
            return c;
        }
    }

    static List<String> names(List<ShardFiles.Shard> shards) {
        List<String> out = new ArrayList<>();
        shards.forEach(x -> out.add(x.name()));
        return out;
    }
}
