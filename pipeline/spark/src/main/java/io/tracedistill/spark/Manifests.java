package io.tracedistill.spark;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
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
     * Writes {@code json} (a {@link JsonNode} or a map of plain values) to {@code path} via a temporary sibling
     * {@code _<name>.tmp} and a rename. Hadoop's local file system leaves a {@code .<name>.crc} checksum beside it;
     * that side file is deleted, so a person who edits the (small, human-readable) manifest gets no checksum error on
     * the next read.
     */
    public static void writeAtomically(Configuration conf, String path, Object json) {
        Path dst = new Path(path);
        Path tmp = new Path(dst.getParent(), "_" + dst.getName() + ".tmp");
        try {
            FileSystem fs = dst.getFileSystem(conf);
            try (FSDataOutputStream out = fs.create(tmp, true)) {
                JSON.writeValue((OutputStream) out, json);
            }
            if (fs.exists(dst)) {
                fs.delete(dst, false);
            }
            if (!fs.rename(tmp, dst)) {
                throw new IOException("rename " + tmp + " -> " + dst + " failed");
            }
            Path crc = new Path(dst.getParent(), "." + dst.getName() + ".crc");
            if (fs.exists(crc)) {
                fs.delete(crc, false);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot write manifest " + path + ": " + e.getMessage(), e);
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
        Path p = new Path(path);
        try {
            FileSystem fs = p.getFileSystem(conf);
            if (fs.exists(p)) {
                fs.delete(p, false);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot delete manifest " + path + ": " + e.getMessage(), e);
        }
    }
}
