package io.tracedistill.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class ModelBenchmarkReportTest {

    private static final Path FILE = Path.of("runs.jsonl");

    private static String line(String config, int round, String impl, double cold, double steady, double wholeMs, double loss) {
        return String.format(java.util.Locale.ROOT, "{\"impl\":\"%s\",\"warmup\":3,\"steps\":20,\"ms_per_step_median\":%s,"
                + "\"cpu_ms_per_step_median\":%s,\"steady_from\":40,\"steady_steps\":60,\"steady_ms_per_step_median\":%s,"
                + "\"steady_cpu_ms_per_step_median\":%s,\"run_steps\":100,\"process_cpu_ms\":%s,\"loss\":%s,"
                + "\"peak_rss_mb\":300,\"config\":\"%s\",\"round\":%d,\"whole_process_ms\":%s}",
                impl, cold, 2 * cold, steady, 2 * steady, 1.5 * wholeMs, loss, config, round, wholeMs);
    }

    private static String report(List<String> lines, boolean expectOk) {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        boolean ok = ModelBenchmarkReport.print(ModelBenchmarkReport.read(FILE, lines), new PrintStream(buf, true, StandardCharsets.UTF_8));
        String text = buf.toString(StandardCharsets.UTF_8);
        assertEquals(expectOk, ok, text);
        return text;
    }

    @Test
    void eachFigureIsTheBestRoundOfEachSide() {
        List<ModelBenchmarkReport.Run> runs = ModelBenchmarkReport.read(FILE, List.of(
                line("nemotron-h", 1, "djl", 50, 33, 8000, 8.77784),
                line("nemotron-h", 1, "transformers-eager", 36, 35, 9500, 8.77784),
                line("nemotron-h", 2, "djl", 45, 31, 8200, 8.77784),
                line("nemotron-h", 2, "transformers-eager", 34, 36, 9000, 8.77784)));
        List<ModelBenchmarkReport.Row> rows = ModelBenchmarkReport.rows(
                runs.stream().filter(ModelBenchmarkReport.Run::djl).toList(),
                runs.stream().filter(r -> !r.djl()).toList());
        assertEquals(3, rows.size());
        assertEquals("cold: steps 3-22", rows.get(0).measure());
        assertEquals(34.0 / 45, rows.get(0).ratio(), 1e-12); // best cold: DJL round 2, reference round 2
        assertFalse(rows.get(0).met());
        assertEquals("steady: steps 40-99", rows.get(1).measure());
        assertEquals(35.0 / 31, rows.get(1).ratio(), 1e-12); // best steady: DJL round 2, reference round 1
        assertTrue(rows.get(1).met());
        assertEquals("whole process, 100 steps", rows.get(2).measure());
        assertEquals(9.0 / 8.0, rows.get(2).ratio(), 1e-12);
        assertEquals(12.0, rows.get(2).djlCpu(), 1e-12); // the CPU of the best run, in s
    }

    @Test
    void tablePrintsRatiosTargetsAndRounds() {
        String text = report(List.of(
                line("small", 1, "djl", 100, 90, 16000, 5.61407),
                line("small", 1, "torch 2.13.0+cpu", 95, 95, 15000, 5.61407)), true);
        assertTrue(text.contains("0.95x  met"), text);
        assertTrue(text.contains("1.06x  met"), text);
        assertTrue(text.contains("0.94x  met"), text);
        assertTrue(text.contains("DJL 100.0 | 90.0 | 16.00; reference 95.0 | 95.0 | 15.00"), text);
        assertTrue(text.contains("same loss"), text);
    }

    @Test
    void differentLossesOrAMissingSideFailTheReport() {
        String text = report(List.of(
                line("small", 1, "djl", 100, 90, 16000, 5.61407),
                line("small", 1, "torch", 95, 95, 15000, 5.7)), false);
        assertTrue(text.contains("ERROR: the losses differ"), text);
        text = report(List.of(line("large", 1, "djl", 100, 90, 16000, 5.6)), false);
        assertTrue(text.contains("large: ERROR: no reference run"), text);
    }

    @Test
    void aMalformedLineIsNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ModelBenchmarkReport.read(FILE, List.of("", "{\"impl\":\"djl\"")));
        assertTrue(e.getMessage().startsWith("runs.jsonl line 2 is not JSON"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> ModelBenchmarkReport.read(FILE, List.of("{\"impl\":\"djl\",\"config\":\"small\",\"round\":1}")));
        assertTrue(e.getMessage().contains("line 1 lacks 'whole_process_ms'"), e.getMessage());
    }
}
