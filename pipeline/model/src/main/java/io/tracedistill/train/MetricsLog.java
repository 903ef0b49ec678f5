package io.tracedistill.train;

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

/**
 * {@code output_dir/metrics.jsonl}: one JSON object per logged step,
 * {@code {"phase":"phase1"|"phase2","step":1-based,"loss","lr","grad_norm" (pre-clip),"tokens","elapsed_s"}}
 * where {@code tokens} counts the non-pad tokens of the phase so far (TRL's {@code num_tokens}) and
 * {@code elapsed_s} the phase's wall time so far. With {@code logging_steps > 1}, {@code loss} is the mean
 * of the step losses since the previous record (as the HF Trainer logs it); {@code lr} and
 * {@code grad_norm} are those of the logged step.
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
        List<Entry> kept = new ArrayList<>();
        for (Entry e : read(f)) {
            Phase p = e.phase();
            if (p.compareTo(phase) < 0 || (p == phase && e.step() <= step)) {
                kept.add(e);
            }
        }
        List<String> lines = new ArrayList<>();
        for (Entry e : kept) {
            lines.add(JSON.writeValueAsString(e.toJson()));
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
        if (readOnly) {
            return;
        }
        try (BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.APPEND)) {
            w.write(JSON.writeValueAsString(e.toJson()));
            w.write('\n');
        }
    }

    /** Every record of a metrics file (empty when it does not exist). */
    public static List<Entry> read(Path file) throws IOException {
        List<Entry> out = new ArrayList<>();
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
                out.add(Entry.fromJson(JSON.readTree(line)));
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
