package io.tracedistill.train;

import io.tracedistill.run.Phase;

import io.tracedistill.config.MetricForBest;
import io.tracedistill.run.OutputLayout;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code output_dir/report.md}: the resolved config, the data counts (from the prepare and tokenize
 * manifests, passed in as maps), per phase the steps, tokens, wall time and final loss, the peak
 * memory and precision, and the loss/LR chart ({@link TrainingCurves}) next to it; with a held-out slice, the
 * held-out loss per type across both phases ({@link HeldOutReport}, chart {@code heldout_loss.png}).
 */
public final class TrainReport {

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private TrainReport() {
    }

    /**
     * Writes report.md and the chart into {@code outputDir}.
     *
     * @param resolvedConfigYaml the resolved config as YAML text (shown verbatim)
     * @param preparedManifest   prepared/manifest.json as a map (may be empty)
     * @param tokensManifest     tokens/manifest.json as a map (may be empty)
     */
    public static Path write(Path outputDir, TrainResult result, String resolvedConfigYaml, Map<String, ?> preparedManifest,
                             Map<String, ?> tokensManifest) throws IOException {
        return write(outputDir, result, resolvedConfigYaml, preparedManifest, tokensManifest, MetricForBest.LOSS);
    }

    /** As {@link #write(Path, TrainResult, String, Map, Map)}, naming {@code metric} as what best_adapter/ keeps. */
    public static Path write(Path outputDir, TrainResult result, String resolvedConfigYaml, Map<String, ?> preparedManifest,
                             Map<String, ?> tokensManifest, MetricForBest metric) throws IOException {
        OutputLayout layout = OutputLayout.ofLocal(outputDir);
        Path chart = TrainingCurves.write(result.phase1().logged(), result.phase2().logged(), result.phase1().totalSteps(),
                layout.trainingCurves().toLocalPath());
        StringBuilder md = new StringBuilder();
        md.append("# tracedistill training report\n\n");
        md.append("## Phases\n\n");
        md.append("| phase | examples | steps | tokens | wall time | tokens/s | final loss | truncated | over max_position_embeddings |\n");
        md.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (PhaseResult p : new PhaseResult[] {result.phase1(), result.phase2()}) {
            md.append(String.format(Locale.ROOT, "| %s | %d | %d | %d | %.1f s | %.0f | %s | %d | %d |\n",
                    p.phase() == Phase.PHASE1 ? "1 (train)" : "2 (nudge)", p.numExamples(), p.totalSteps(), p.tokens(), p.wallSeconds(),
                    p.wallSeconds() > 0 ? p.tokens() / p.wallSeconds() : 0.0,
                    Double.isNaN(p.finalLoss()) ? "n/a" : String.format(Locale.ROOT, "%.6f", p.finalLoss()),
                    p.truncated(), p.overMaxPosition()));
        }
        md.append('\n');
        md.append(String.format(Locale.ROOT, "- precision: %s%n", result.precision()));
        md.append(String.format(Locale.ROOT, "- peak resident memory: %s%n",
                result.peakRssBytes() < 0 ? "unknown" : String.format(Locale.ROOT, "%.1f MiB", result.peakRssBytes() / 1048576.0)));
        md.append(String.format(Locale.ROOT, "- resumed from: %s%n", result.resumedFrom().map(Path::toString).orElse("(fresh run)")));
        md.append("- adapters: `" + OutputLayout.PHASE1_ADAPTER + "/` (after phase 1), `" + OutputLayout.ADAPTER
                + "/` (final)\n");
        md.append("\n![loss and learning rate](").append(OutputLayout.TRAINING_CURVES).append(")\n\n");
        // The held-out loss per type across both phases (holdout_fraction > 0).
        List<MetricsLog.HeldOutEntry> heldOut = MetricsLog.readHeldOut(result.metrics());
        if (!heldOut.isEmpty()) {
            List<String> hard = HeldOutReport.hardTypes(preparedManifest);
            // Phase 2's curve continues after the step phase 1 ended at (earlier than planned when it stopped early).
            int phase1Steps = heldOut.stream().filter(e -> e.phase() == io.tracedistill.run.Phase.PHASE1 && e.stoppedEarly())
                    .mapToInt(MetricsLog.HeldOutEntry::step).findFirst().orElse(result.phase1().totalSteps());
            TrainingCurves.writeHeldOut(heldOut, hard, phase1Steps, layout.heldOutCurves().toLocalPath());
            md.append(HeldOutReport.markdown(heldOut, hard, metric));
        }
        md.append("## Data\n\n");
        md.append("### prepared/manifest.json\n\n```json\n").append(json(preparedManifest)).append("\n```\n\n");
        md.append("### tokens/manifest.json\n\n```json\n").append(json(tokensManifest)).append("\n```\n\n");
        md.append("## Resolved config\n\n```yaml\n").append(resolvedConfigYaml == null ? "" : resolvedConfigYaml.strip()).append("\n```\n");
        Path report = layout.report().toLocalPath();
        Files.writeString(report, md.toString(), StandardCharsets.UTF_8);
        return report;
    }

    /**
     * One line on the held-out slice for the console: what phase 2 did to the hard and easy types, and where
     * {@code best_adapter/} is from; empty without held-out records.
     */
    public static java.util.Optional<String> heldOutSummary(TrainResult result, Map<String, ?> preparedManifest, MetricForBest metric)
            throws IOException {
        List<MetricsLog.HeldOutEntry> records = MetricsLog.readHeldOut(result.metrics());
        HeldOutReport.Points p = HeldOutReport.points(records);
        if (p == null) {
            return java.util.Optional.empty();
        }
        MetricsLog.HeldOutEntry best = records.stream().filter(MetricsLog.HeldOutEntry::best).reduce((a, b) -> b).orElseThrow();
        String accuracy = p.start().accuracy().isEmpty() ? "" : String.format(Locale.ROOT,
                " Greedy accuracy %s -> %s -> %s (parse rate %s -> %s -> %s) on %d rows.", acc(p.start(), true),
                acc(p.phase1End(), true), acc(p.phase2End(), true), acc(p.start(), false), acc(p.phase1End(), false),
                acc(p.phase2End(), false), p.start().accuracy().get().overall().rows());
        StringBuilder stops = new StringBuilder();
        records.stream().filter(MetricsLog.HeldOutEntry::stoppedEarly).forEach(e -> stops.append(' ').append(
                HeldOutTracker.earlyStopReason(e, metric)).append('.'));
        return java.util.Optional.of(String.format(Locale.ROOT, "loss %.4f (phase 1 start) -> %.4f (phase 1 end) -> %.4f (phase 2 end). %s"
                        + "%s%s %s/ = %s step %d (loss %.4f)", p.start().loss().loss(), p.phase1End().loss().loss(), p.phase2End().loss().loss(),
                HeldOutReport.nudgeSentence(p, HeldOutReport.hardTypes(preparedManifest)), accuracy, stops, OutputLayout.BEST_ADAPTER,
                best.phase(), best.step(), best.loss().loss()));
    }

    /** A record's greedy accuracy ({@code true}) or parse rate, to 3 decimals ({@code -} when not measured). */
    private static String acc(MetricsLog.HeldOutEntry e, boolean accuracy) {
        return e.accuracy().map(a -> String.format(Locale.ROOT, "%.3f", accuracy ? a.overall().accuracy()
                : a.overall().parseRate())).orElse("-");
    }

    private static String json(Map<String, ?> m) throws IOException {
        return m == null || m.isEmpty() ? "{}" : JSON.writeValueAsString(m);
    }
}
