package io.tracedistill.jobs;

import io.tracedistill.config.Redaction;
import io.tracedistill.run.OutputLayout;
import io.tracedistill.run.Phase;
import io.tracedistill.run.RunPath;
import io.tracedistill.spark.RunFiles;
import io.tracedistill.spark.train.SparkTokenShardReader;
import io.tracedistill.tokens.HfTokenizer;
import io.tracedistill.tokens.MaskedExample;
import io.tracedistill.tokens.MaskedSpanPrinter;
import io.tracedistill.train.TokenExample;
import io.tracedistill.train.TrainRun;

import java.io.PrintStream;
import java.util.Arrays;
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The {@code inspect-tokens} command: the first training examples of a token shard as the trainer sees them (stored
 * order), rendered back to text with the trained (supervised) spans marked, and the masked/trained token counts: the
 * CLI form of notebook 02, for spark-submit users (in the spirit of axolotl's {@code preprocess --debug}).
 *
 * <pre>
 * inspect-tokens --cfg FILE [--phase 1|2|heldout] [--n 5] [--type T] [--ids]
 * </pre>
 *
 * Trained spans are printed between {@code ⟦ ⟧}; {@code --ids} prints every token as {@code (id, "text")} instead,
 * masked ones in brackets ({@link MaskedSpanPrinter#render}).
 */
final class InspectTokensCommand {
    static final String USAGE = "usage: inspect-tokens --cfg FILE [--phase 1|2|heldout] [--n 5] [--type T] [--ids]";

    private InspectTokensCommand() {
    }

    static int run(CliArgs args, PrintStream out, PrintStream err) throws Exception {
        CliArgs.Options o;
        String slice;
        int n;
        try {
            o = args.options(Set.of("--phase", "--n", "--type"), Set.of("--ids"));
            args.requireCfg();
            String phase = o.value("--phase").orElse("1");
            slice = switch (phase) {
                case "1", "2" -> Phase.of(Integer.parseInt(phase)).folderName();
                case OutputLayout.HELD_OUT -> OutputLayout.HELD_OUT;
                default -> throw new CliArgs.UsageException("Invalid value '" + phase + "' for --phase: must be 1, 2 or heldout");
            };
            n = o.integer("--n", 1).orElse(5);
        } catch (CliArgs.UsageException e) {
            err.println("inspect-tokens: " + e.getMessage());
            err.println(USAGE);
            return 2;
        }
        Optional<String> type = o.value("--type");
        try (JobContext ctx = JobContext.open(args, out)) {
            OutputLayout layout = ctx.layout();
            // Through output_dir's file system (local, hdfs://, s3a://, dbfs:/), as the steps that wrote the shards.
            RunFiles files = ctx.files();
            RunPath dir = slice.equals(OutputLayout.HELD_OUT) ? layout.tokensHeldOut()
                    : layout.tokens(Phase.ofFolderName(slice));
            String shownDir = Redaction.text(dir.uri());
            if (!files.isDirectory(dir) || !files.isFile(layout.tokensManifest())) {
                throw new IllegalStateException("No token shards at " + shownDir + (slice.equals(OutputLayout.HELD_OUT)
                        ? " (the held-out slice exists only with holdout_fraction > 0)" : "")
                        + ": run tokenize first (tracedistill tokenize --cfg " + ctx.cfgPath() + ")");
            }
            Map<String, Object> manifest = TrainStep.readManifest(files, layout.tokensManifest());
            SparkTokenShardReader reader = new SparkTokenShardReader(ctx.spark(), files.qualify(dir).uri(),
                    ctx.cfg().output().shardFormat().sparkSource());
            long shown = 0;
            long masked = 0;
            long trained = 0;
            try (HfTokenizer tok = HfTokenizer.load(ctx.baseModelDir())) {
                for (Iterator<TokenExample> it = reader.open(); it.hasNext() && shown < n; ) {
                    TokenExample e = it.next();
                    if (type.isPresent() && !type.get().equals(e.type())) {
                        continue;
                    }
                    int[] mask = new int[e.length()];
                    Arrays.fill(mask, 1);
                    MaskedExample m = new MaskedExample(e.inputIds(), mask, e.labels());
                    shown++;
                    masked += m.numTokens() - m.numLossTokens();
                    trained += m.numLossTokens();
                    out.printf(Locale.ROOT, "=== %s position %d, type %s: %d tokens, %d masked, %d trained%s%n", slice, e.position(),
                            e.type(), m.numTokens(), m.numTokens() - m.numLossTokens(), m.numLossTokens(),
                            e.length() > ctx.cfg().model().maxLength() ? " (longer than max_length " + ctx.cfg().model().maxLength()
                                    + ": training keeps the first " + ctx.cfg().model().maxLength() + ")" : "");
                    out.println(o.flag("--ids") ? MaskedSpanPrinter.render(tok, m)
                            : MaskedSpanPrinter.renderText(tok, m) + "\n");
                }
            }
            out.printf(Locale.ROOT, "shown: %d example(s)%s of %s (%s), %,d masked + %,d trained tokens%s%n", shown,
                    type.map(t -> " of type " + t).orElse(""), slice, shownDir, masked, trained,
                    o.flag("--ids") ? "" : "; trained spans are between " + MaskedSpanPrinter.TRAINED_OPEN + " "
                            + MaskedSpanPrinter.TRAINED_CLOSE);
            Object whole = slice.equals(OutputLayout.HELD_OUT) ? manifest.get(OutputLayout.HELD_OUT)
                    : manifest.get("phases") instanceof Map<?, ?> p ? p.get(slice) : null;
            if (whole instanceof Map<?, ?> w && w.get("total_tokens") instanceof Number total
                    && w.get("total_loss_tokens") instanceof Number loss) {
                out.printf(Locale.ROOT, "whole %s (tokens/manifest.json): %s examples, %,d masked + %,d trained tokens (%.1f%% trained)%n",
                        slice, w.get("kept"), total.longValue() - loss.longValue(), loss.longValue(),
                        100.0 * loss.longValue() / Math.max(1, total.longValue()));
            }
            if (shown == 0) {
                throw new IllegalArgumentException("No example" + type.map(t -> " of type '" + t + "'").orElse("") + " in " + shownDir
                        + (type.isPresent() ? ": check the type label (the manifest's per_type lists them)" : ""));
            }
        }
        return 0;
    }
}
