package io.tracedistill.train;

import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.CombinedDomainXYPlot;
import org.jfree.chart.plot.ValueMarker;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

import java.awt.Color;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * A PNG of the loss (top) and learning-rate (bottom) curves of both phases against the global
 * optimizer step (phase 2 continues after phase 1's last step; a marker shows the boundary). Drawn
 * with JFreeChart, headless.
 */
public final class TrainingCurves {

    private static final Color PHASE1 = new Color(0xC0392B);
    private static final Color PHASE2 = new Color(0x2E59C7);

    /** File name inside {@code output_dir}. */

    private TrainingCurves() {
    }

    /** Writes the chart of {@code phase1} and {@code phase2} metrics to {@code png}. */
    public static Path write(List<MetricsLog.Entry> phase1, List<MetricsLog.Entry> phase2, int phase1Steps, Path png) throws IOException {
        System.setProperty("java.awt.headless", "true");
        XYSeries loss1 = new XYSeries("phase1 (train) loss");
        XYSeries loss2 = new XYSeries("phase2 (nudge) loss");
        XYSeries lr1 = new XYSeries("phase1 lr");
        XYSeries lr2 = new XYSeries("phase2 lr");
        for (MetricsLog.Entry e : phase1) {
            loss1.add(e.step(), e.loss());
            lr1.add(e.step(), e.lr());
        }
        for (MetricsLog.Entry e : phase2) {
            loss2.add(phase1Steps + e.step(), e.loss());
            lr2.add(phase1Steps + e.step(), e.lr());
        }
        XYSeriesCollection losses = new XYSeriesCollection();
        losses.addSeries(loss1);
        losses.addSeries(loss2);
        NumberAxis lossAxis = new NumberAxis("loss (token-weighted CE)");
        lossAxis.setAutoRangeIncludesZero(false);
        XYLineAndShapeRenderer lossRenderer = new XYLineAndShapeRenderer(true, true);
        lossRenderer.setSeriesPaint(0, PHASE1);
        lossRenderer.setSeriesPaint(1, PHASE2);
        XYPlot lossPlot = new XYPlot(losses, null, lossAxis, lossRenderer);
        // The nudge LR is typically ~40x below the train LR: each phase gets its own LR axis (left / right).
        XYLineAndShapeRenderer lr1Renderer = new XYLineAndShapeRenderer(true, false);
        lr1Renderer.setSeriesPaint(0, PHASE1);
        XYLineAndShapeRenderer lr2Renderer = new XYLineAndShapeRenderer(true, false);
        lr2Renderer.setSeriesPaint(0, PHASE2);
        XYPlot lrPlot = new XYPlot(new XYSeriesCollection(lr1), null, new NumberAxis("phase1 lr"), lr1Renderer);
        lrPlot.setRangeAxis(1, new NumberAxis("phase2 lr"));
        lrPlot.setDataset(1, new XYSeriesCollection(lr2));
        lrPlot.mapDatasetToRangeAxis(1, 1);
        lrPlot.setRenderer(1, lr2Renderer);
        CombinedDomainXYPlot plot = new CombinedDomainXYPlot(new NumberAxis("optimizer step (phase 2 continues after phase 1)"));
        plot.add(lossPlot, 2);
        plot.add(lrPlot, 1);
        ValueMarker boundary = new ValueMarker(phase1Steps + 0.5);
        lossPlot.addDomainMarker(boundary);
        lrPlot.addDomainMarker(boundary);
        JFreeChart chart = new JFreeChart("Train -> Nudge: loss and learning rate", JFreeChart.DEFAULT_TITLE_FONT, plot, true);
        ChartUtils.saveChartAsPNG(png.toFile(), chart, 1000, 700);
        return png;
    }

    /**
     * A PNG of the held-out loss per type (one line per type, hard types drawn thicker, plus the overall loss dashed)
     * against the global optimizer step (phase 2 continues after phase 1's {@code phase1Steps}; a marker at the phase
     * boundary), from the held-out records of metrics.jsonl.
     */
    public static Path writeHeldOut(List<MetricsLog.HeldOutEntry> records, java.util.Collection<String> hardTypes, int phase1Steps,
                                    Path png) throws IOException {
        System.setProperty("java.awt.headless", "true");
        java.util.Map<String, XYSeries> byType = new java.util.LinkedHashMap<>();
        XYSeries overall = new XYSeries("overall");
        for (MetricsLog.HeldOutEntry e : records) {
            int x = e.phase() == io.tracedistill.run.Phase.PHASE2 ? phase1Steps + e.step() : e.step();
            overall.add(x, e.loss().loss());
            e.loss().byType().forEach((t, l) -> byType.computeIfAbsent(t,
                    k -> new XYSeries(hardTypes.contains(k) ? k + " (hard)" : k)).add(x, l.loss()));
        }
        XYSeriesCollection data = new XYSeriesCollection();
        byType.values().forEach(data::addSeries);
        data.addSeries(overall);
        XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, true);
        int i = 0;
        for (String t : byType.keySet()) {
            renderer.setSeriesStroke(i++, new java.awt.BasicStroke(hardTypes.contains(t) ? 3.0f : 1.2f));
        }
        renderer.setSeriesPaint(i, Color.BLACK);
        renderer.setSeriesStroke(i, new java.awt.BasicStroke(2.0f, java.awt.BasicStroke.CAP_BUTT, java.awt.BasicStroke.JOIN_MITER,
                10f, new float[] {6f, 4f}, 0f));
        NumberAxis lossAxis = new NumberAxis("held-out loss (token-weighted CE)");
        lossAxis.setAutoRangeIncludesZero(false);
        XYPlot plot = new XYPlot(data, new NumberAxis("optimizer step (phase 2 continues after phase 1)"), lossAxis, renderer);
        ValueMarker boundary = new ValueMarker(phase1Steps + 0.5);
        boundary.setLabel("phase 1 | phase 2");
        plot.addDomainMarker(boundary);
        JFreeChart chart = new JFreeChart("Held-out loss per type: Train -> Nudge", JFreeChart.DEFAULT_TITLE_FONT, plot, true);
        ChartUtils.saveChartAsPNG(png.toFile(), chart, 1000, 600);
        return png;
    }
}
