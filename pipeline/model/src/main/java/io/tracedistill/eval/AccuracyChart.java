package io.tracedistill.eval;

import java.awt.Color;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.CategoryLabelPositions;
import org.jfree.chart.plot.CategoryPlot;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.data.category.DefaultCategoryDataset;

/**
 * {@code eval/accuracy_by_type.png}: grouped bars of per-type accuracy (and overall), one bar per arm, drawn with
 * JFreeChart in headless AWT. Reference: JFreeChart's {@code ChartFactory.createBarChart}.
 */
public final class AccuracyChart {
    /** Image size in pixels. */
    public static final int WIDTH = 1000;
    public static final int HEIGHT = 560;

    private AccuracyChart() {
    }

    /** The dataset: value = accuracy, row key = arm, column key = type (then {@link EvalReport#OVERALL}). */
    public static DefaultCategoryDataset dataset(EvalReport report) {
        DefaultCategoryDataset d = new DefaultCategoryDataset();
        for (ArmSummary s : report.arms()) {
            for (String t : report.types()) {
                d.addValue(s.byType().get(t).accuracy().orElse(0.0), s.arm().name(), t);
            }
            d.addValue(s.overall().accuracy().orElse(0.0), s.arm().name(), EvalReport.OVERALL);
        }
        return d;
    }

    /** The chart as PNG bytes. */
    public static byte[] png(EvalReport report) {
        if (System.getProperty("java.awt.headless") == null) {
            System.setProperty("java.awt.headless", "true"); // executors and CI have no display
        }
        JFreeChart chart = ChartFactory.createBarChart("Accuracy by type", "type", "accuracy (correct / rows)",
                dataset(report), PlotOrientation.VERTICAL, true, false, false);
        chart.setBackgroundPaint(Color.WHITE);
        CategoryPlot plot = chart.getCategoryPlot();
        plot.setBackgroundPaint(Color.WHITE);
        plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
        plot.getRangeAxis().setRange(0.0, 1.0);
        if (report.types().size() > 6) {
            plot.getDomainAxis().setCategoryLabelPositions(CategoryLabelPositions.UP_45);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            ChartUtils.writeChartAsPNG(out, chart, WIDTH, HEIGHT);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot render accuracy_by_type.png: " + e.getMessage(), e);
        }
        return out.toByteArray();
    }
}
