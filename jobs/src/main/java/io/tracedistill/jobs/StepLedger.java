package io.tracedistill.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tracedistill.config.Canonical;
import io.tracedistill.run.RunPath;
import io.tracedistill.spark.RunFiles;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Remembers which steps of a run finished, and with which inputs, so that a re-run skips them.
 *
 * <p>Each finished step leaves {@code output_dir/.steps/<step>.json} holding the fingerprint of its
 * inputs: the canonical form of the settings record it passes to its stage, and the hashes of the
 * upstream outputs and input files it reads. A step is skipped when its recorded fingerprint equals the current one <em>and</em> its
 * completion marker (a manifest or adapter file, written last) still exists. {@code --force} ignores
 * the ledger. The record is written after the step's own outputs, so a step that died half-way is
 * never taken as done.
 */
public final class StepLedger {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final RunFiles files;
    private final RunPath dir;

    /**
     * @param files the run's file system (any Hadoop URI: the ledger lives beside the outputs it vouches for)
     * @param dir   the ledger directory, {@code output_dir/.steps} ({@code OutputLayout#stepLedger})
     */
    public StepLedger(RunFiles files, RunPath dir) {
        this.files = files;
        this.dir = dir;
    }

    /** True when {@code step} finished before with exactly {@code fingerprint} and {@code marker} exists. */
    public boolean isDone(String step, String fingerprint, RunPath marker) {
        RunPath f = dir.resolve(step + ".json");
        if (!files.isFile(f) || !files.exists(marker)) {
            return false;
        }
        try {
            JsonNode n = JSON.readTree(files.read(f));
            return fingerprint.equals(n.path("fingerprint").asText());
        } catch (IOException | UncheckedIOException e) {
            return false; // an unreadable record means "not done": the step simply runs again
        }
    }

    /** Records that {@code step} finished with {@code fingerprint}; atomic ({@link RunFiles#write}). */
    public void markDone(String step, String fingerprint) {
        ObjectNode n = JSON.createObjectNode();
        n.put("step", step);
        n.put("fingerprint", fingerprint);
        n.put("finished_at", Instant.now().toString());
        try {
            files.writeAtomically(dir.resolve(step + ".json"), JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(n));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the step ledger under " + dir, e);
        }
    }

    /** Forgets {@code step} (its outputs are about to be rewritten). */
    public void forget(String step) {
        files.delete(dir.resolve(step + ".json"));
    }

    /**
     * The fingerprint of a step: SHA-256 over {@code {"settings": canonical form of settings, "inputs": ...}}
     * (see {@link Canonical}).
     */
    public static String fingerprint(Object settings, Map<String, String> inputFiles) {
        Map<String, Object> parts = new TreeMap<>();
        parts.put("settings", Canonical.of(settings));
        parts.put("inputs", new TreeMap<>(inputFiles));
        return fingerprint(parts);
    }

    /** SHA-256 over a canonical (key-sorted) rendering of {@code parts}. */
    public static String fingerprint(Map<String, ?> parts) {
        try {
            return RunFiles.sha256Hex(JSON.writeValueAsString(new TreeMap<>(parts)).getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Every file a step reads from a Hugging Face model directory, by name: the small JSON/template files
     * by content hash, the {@code *.safetensors} weights by name, size and modification time (hashing
     * gigabytes on every run would cost minutes). Eval and train read the weights, the config, the
     * tokenizer and the chat template ({@code tokenizer_config.json} or {@code chat_template.jinja}), so a
     * change to any of them re-runs the step.
     */
    public static Map<String, String> modelFiles(Path modelDir) {
        Map<String, String> out = new TreeMap<>();
        for (String f : MODEL_TEXT_FILES) {
            out.put("model/" + f, fileHash(modelDir.resolve(f)));
        }
        try (var files = Files.list(modelDir)) {
            files.filter(p -> p.getFileName().toString().endsWith(".safetensors")).sorted().forEach(p -> {
                try {
                    out.put("model/" + p.getFileName(), Files.size(p) + " bytes, modified "
                            + Files.getLastModifiedTime(p).toMillis());
                } catch (IOException e) {
                    out.put("model/" + p.getFileName(), "unreadable");
                }
            });
        } catch (IOException e) {
            out.put("model/*.safetensors", "unlistable");
        }
        return out;
    }

    /** The model-directory files other than weights that loading a model, its tokenizer or its template reads. */
    private static final List<String> MODEL_TEXT_FILES = List.of("config.json", "generation_config.json",
            "tokenizer.json", "tokenizer_config.json", "chat_template.jinja", "special_tokens_map.json",
            "model.safetensors.index.json");

    /** SHA-256 of a file's bytes, or "absent". */
    public static String fileHash(Path file) {
        if (!Files.isRegularFile(file)) {
            return "absent";
        }
        try (var in = Files.newInputStream(file)) {
            return RunFiles.sha256(in);
        } catch (IOException e) {
            throw new IllegalStateException("cannot hash " + file, e);
        }
    }
}
