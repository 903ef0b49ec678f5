package io.tracedistill.spark;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.tracedistill.run.RunPath;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;

/**
 * Reading and writing stage manifests ({@code manifest.json}) on any Hadoop file system. A manifest is written
 * last by its stage and is the "complete" marker: {@link #writeAtomically} writes a hidden temporary file and
 * renames it into place, so a reader sees either no manifest or a whole one.
 */
public final class Manifests {
    private Manifests() {}

    /** Pretty-printed, key order as built. */
    public static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /**
     * Writes {@code json} (a {@link JsonNode} or a map of plain values) to {@code path} atomically, as
     * {@link RunFiles#write} writes every run file (temporary sibling and rename; directly on an object store, where
     * an object appears only whole). No {@code .crc} side file is left, so a person who edits the (small,
     * human-readable) manifest gets no checksum error on the next read.
     */
    public static void writeAtomically(Configuration conf, String path, Object json) {
        try {
            new RunFiles(conf).write(new RunPath(path), out -> JSON.writeValue(out, json));
        } catch (UncheckedIOException e) {
            throw new UncheckedIOException("Cannot write manifest " + path + ": " + e.getCause().getMessage(), e.getCause());
        }
    }

    /** Reads a manifest. @throws UncheckedIOException naming the path if it is missing or not JSON */
    public static JsonNode read(Configuration conf, String path) {
        Path p = new Path(path);
        try (InputStream in = p.getFileSystem(conf).open(p)) {
            return JSON.readTree(in);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read manifest " + path + " (is the stage that writes it complete?): "
                    + e.getMessage(), e);
        }
    }

    /** Deletes a manifest if present (done first by a stage, so a failed rerun never looks complete). */
    public static void delete(Configuration conf, String path) {
        new RunFiles(conf).delete(new RunPath(path));
    }
}
