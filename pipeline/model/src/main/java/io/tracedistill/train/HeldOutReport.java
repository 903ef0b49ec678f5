package io.tracedistill.train;

import io.tracedistill.config.MetricForBest;
import io.tracedistill.run.OutputLayout;
import io.tracedistill.run.Phase;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The held-out section of {@code report.md}: per type, the teacher-forced held-out loss at phase 1's start, phase 1's
 * end and phase 2's end, and one sentence on what phase 2 (Nudge) did to the hard and the easy types, with the numbers
 * (each group's loss token-weighted over its types, like the overall loss). The curves are {@link TrainingCurves#writeHeldOut}.
 */
final class HeldOutReport {

    private HeldOutReport() {
    }

    /** The three points the table and the sentence compare. */
    record Points(MetricsLog.HeldOutEntry start, MetricsLog.HeldOutEntry phase1End, MetricsLog.HeldOutEntry phase2End) {
    }

    /** The points of the records, or null when phase 1's start or a phase's end is missing. */
    static Points points(List<MetricsLog.HeldOutEntry> records) {
        MetricsLog.HeldOutEntry start = null;
        MetricsLog.HeldOutEntry end1 = null;
        MetricsLog.HeldOutEntry end2 = null;
        for (MetricsLog.HeldOutEntry e : records) {
            if (e.phase() == Phase.PHASE1) {
                if (e.step() == 0) {
                    start = e;
                }
                end1 = e;
            } else if (e.phase() == Phase.PHASE2) {
                end2 = e;
            }
        }
        return start == null || end1 == null || end2 == null ? null : new Points(start, end1, end2);
    }

    /**
     * The start and end of a run that trained phase 1 only (the experiment's one-phase arms: no phase-2 record at all),
     * as {@link Points} without a phase-2 end; null when the records have a phase 2 or lack phase 1's start or end.
     */
    static Points onePhase(List<MetricsLog.HeldOutEntry> records) {
        MetricsLog.HeldOutEntry start = null;
        MetricsLog.HeldOutEntry end1 = null;
        for (MetricsLog.HeldOutEntry e : records) {
            if (e.phase() != Phase.PHASE1) {
                return null;
            }
            if (e.step() == 0) {
                start = e;
            }
            end1 = e;
        }
        return start == null || end1 == start ? null : new Points(start, end1, null);
    }

    /** Phase 1's start and end per type, for a run that trained one phase (there is no Nudge to report on). */
    private static void onePhaseTable(StringBuilder md, Points p, Collection<String> hardTypes, int examples) {
        md.append("This run trained phase 1 only (no Nudge phase), so there is no phase-2 change to report.\n\n");
        md.append("| type | examples | phase 1 start | phase 1 end | phase 1 change |\n|---|---:|---:|---:|---:|\n");
        for (Map.Entry<String, HeldOutLoss.TypeLoss> e : p.start().loss().byType().entrySet()) {
            String t = e.getKey();
            double a = loss(p.start(), t);
            double b = loss(p.phase1End(), t);
            md.append(String.format(Locale.ROOT, "| %s | %d | %.4f | %.4f | %+.4f |%n", hardTypes.contains(t) ? "**" + t + "** (hard)" : t,
                    e.getValue().examples(), a, b, b - a));
        }
        double a = p.start().loss().loss();
        double b = p.phase1End().loss().loss();
        md.append(String.format(Locale.ROOT, "| overall | %d | %.4f | %.4f | %+.4f |%n%n", examples, a, b, b - a));
    }

    /** The token-weighted loss of {@code types} in one record (NaN when none of them has a target). */
    static double groupLoss(MetricsLog.HeldOutEntry e, Collection<String> types) {
        double sum = 0;
        long n = 0;
        for (String t : types) {
            HeldOutLoss.TypeLoss l = e.loss().byType().get(t);
            if (l != null && l.targets() > 0) {
                sum += l.loss() * l.targets();
                n += l.targets();
            }
        }
        return n == 0 ? Double.NaN : sum / n;
    }

    /** The sentence on phase 2: the hard and the easy types' held-out loss at phase 1's end and phase 2's end. */
    static String nudgeSentence(Points p, Collection<String> hardTypes) {
        Set<String> hard = new LinkedHashSet<>();
        Set<String> easy = new LinkedHashSet<>();
        for (String t : p.phase1End().loss().byType().keySet()) {
            (hardTypes.contains(t) ? hard : easy).add(t);
        }
        double h1 = groupLoss(p.phase1End(), hard);
        double h2 = groupLoss(p.phase2End(), hard);
        double e1 = groupLoss(p.phase1End(), easy);
        double e2 = groupLoss(p.phase2End(), easy);
        return "Phase 2 (Nudge) " + change("the hard types' held-out loss (" + String.join(", ", hard) + ")", h1, h2)
                + " and " + change("the easy types' (" + String.join(", ", easy) + ")", e1, e2) + ".";
    }

    /** {@code lowered <what> from a to b (-d)}, {@code raised ...}, or {@code left <what> at a}. */
    private static String change(String what, double before, double after) {
        if (Double.isNaN(before) || Double.isNaN(after)) {
            return "could not measure " + what;
        }
        if (after == before) {
            return String.format(Locale.ROOT, "left %s at %.4f", what, before);
        }
        return String.format(Locale.ROOT, "%s %s from %.4f to %.4f (%+.4f)", after < before ? "lowered" : "raised", what,
                before, after, after - before);
    }

    /** The Markdown section (empty when there are no held-out records). */
    static String markdown(List<MetricsLog.HeldOutEntry> records, Collection<String> hardTypes, MetricForBest metric) {
        if (records.isEmpty()) {
            return "";
        }
        StringBuilder md = new StringBuilder("## Held-out loss per type\n\n");
        MetricsLog.HeldOutEntry first = records.get(0);
        int examples = first.loss().byType().values().stream().mapToInt(HeldOutLoss.TypeLoss::examples).sum();
        md.append(String.format(Locale.ROOT, "Teacher-forced cross-entropy on the held-out slice (`%s/`: %d examples, %d supervised"
                        + " tokens, never trained on), token-weighted like the training loss, measured %d times.%n%n",
                OutputLayout.HELD_OUT, examples, first.loss().targets(), records.size()));
        Points p = points(records);
        Points onePhase = p == null ? onePhase(records) : null;
        if (onePhase != null) {
            onePhaseTable(md, onePhase, hardTypes, examples);
        } else if (p == null) {
            md.append("The run has no held-out record at phase 1's start or at a phase's end.\n\n");
        } else {
            md.append("**").append(nudgeSentence(p, hardTypes)).append("**\n\n");
            md.append("| type | examples | phase 1 start | phase 1 end | phase 2 end | phase 1 change | phase 2 change |\n");
            md.append("|---|---:|---:|---:|---:|---:|---:|\n");
            for (Map.Entry<String, HeldOutLoss.TypeLoss> e : p.start().loss().byType().entrySet()) {
                String t = e.getKey();
                row(md, (hardTypes.contains(t) ? "**" + t + "** (hard)" : t), e.getValue().examples(),
                        loss(p.start(), t), loss(p.phase1End(), t), loss(p.phase2End(), t));
            }
            row(md, "overall", examples, p.start().loss().loss(), p.phase1End().loss().loss(), p.phase2End().loss().loss());
            md.append('\n');
        }
        MetricsLog.HeldOutEntry best = null;
        for (MetricsLog.HeldOutEntry e : records) {
            if (e.best()) {
                best = e;
            }
        }
        if (p != null && p.start().accuracy().isPresent()) {
            accuracyTable(md, p, hardTypes);
        }
        if (best != null) {
            md.append(String.format(Locale.ROOT, "- `%s/`: the weights of %s step %d, held-out loss %.6f%s (metric_for_best: %s)%n",
                    OutputLayout.BEST_ADAPTER, best.phase(), best.step(), best.loss().loss(), best.accuracy().map(a -> String.format(
                            Locale.ROOT, ", greedy accuracy %.4f", a.overall().accuracy())).orElse(""), metric.yamlName()));
        }
        for (MetricsLog.HeldOutEntry e : records) {
            if (e.stoppedEarly()) {
                md.append("- ").append(HeldOutTracker.earlyStopReason(e, metric)).append('\n');
            }
        }
        md.append("\n![held-out loss per type](").append(OutputLayout.HELD_OUT_CURVES).append(")\n\n");
        return md.toString();
    }

    /**
     * Greedy boxed accuracy and parse rate per type ({@code eval_generate_limit} rows) at the three points, as
     * {@code correct/rows} and {@code parsed/rows}.
     */
    private static void accuracyTable(StringBuilder md, Points p, Collection<String> hardTypes) {
        HeldOutAccuracy a0 = p.start().accuracy().orElseThrow();
        md.append(String.format(Locale.ROOT, "Greedy decoding of %d held-out prompts (eval_generate_limit, round-robin over"
                + " the types) with the adapter being trained, graded like the eval job: accuracy (parse rate).%n%n", a0.overall().rows()));
        md.append("| type | rows | phase 1 start | phase 1 end | phase 2 end |\n|---|---:|---:|---:|---:|\n");
        for (Map.Entry<String, HeldOutAccuracy.Counts> e : a0.byType().entrySet()) {
            String t = e.getKey();
            md.append(String.format(Locale.ROOT, "| %s | %d | %s | %s | %s |%n", hardTypes.contains(t) ? "**" + t + "** (hard)" : t,
                    e.getValue().rows(), counts(p.start(), t), counts(p.phase1End(), t), counts(p.phase2End(), t)));
        }
        md.append(String.format(Locale.ROOT, "| overall | %d | %s | %s | %s |%n%n", a0.overall().rows(), counts(p.start(), null),
                counts(p.phase1End(), null), counts(p.phase2End(), null)));
    }

    /** {@code accuracy (parse rate)} of one type ({@code null} = overall) in one record; {@code -} when not measured. */
    private static String counts(MetricsLog.HeldOutEntry e, String type) {
        HeldOutAccuracy.Counts c = e.accuracy().map(a -> type == null ? a.overall() : a.byType().get(type)).orElse(null);
        return c == null ? "-" : String.format(Locale.ROOT, "%.3f (%.3f)", c.accuracy(), c.parseRate());
    }

    private static double loss(MetricsLog.HeldOutEntry e, String type) {
        HeldOutLoss.TypeLoss l = e.loss().byType().get(type);
        return l == null ? Double.NaN : l.loss();
    }

    private static void row(StringBuilder md, String name, int examples, double a, double b, double c) {
        md.append(String.format(Locale.ROOT, "| %s | %d | %.4f | %.4f | %.4f | %+.4f | %+.4f |%n", name, examples, a, b, c, b - a, c - b));
    }

    /** The hard types a prepared manifest records ({@code split.hard_types}); empty when it has none. */
    static List<String> hardTypes(Map<String, ?> preparedManifest) {
        List<String> out = new ArrayList<>();
        if (preparedManifest != null && preparedManifest.get("split") instanceof Map<?, ?> split
                && split.get("hard_types") instanceof List<?> l) {
            l.forEach(x -> out.add(String.valueOf(x)));
        }
        return out;
    }
}
