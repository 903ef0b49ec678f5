package io.tracedistill.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tracedistill.peft.PeftAdapter;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Packs an adapter directory into {@code submission.zip}: exactly two entries with plain names,
 * {@code adapter_config.json} and {@code adapter_model.safetensors}. The config is patched the way the
 * reference's {@code package_submission} does: {@code base_model_name_or_path} =
 * {@code base_model_name_for_submission} (when given), {@code inference_mode = true},
 * {@code lora_dropout = 0.0}. The weights are copied byte for byte.
 */
public final class SubmissionPackager {

    /**
     * Every entry's modification time, 1980-01-01 00:00, the earliest a zip's DOS time can hold. Written
     * as DOS local time (no time zone, no extended timestamp field), so identical adapters give
     * identical zip bytes on any machine.
     */
    static final LocalDateTime ENTRY_TIME = LocalDateTime.of(1980, 1, 1, 0, 0);
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private SubmissionPackager() {
    }

    /**
     * Writes {@code zipFile} from {@code adapterDir}; {@code baseModelName} may be null (keep the
     * config's value). Written to a temporary file and renamed, so a reader never sees half a zip.
     */
    public static Path pack(Path adapterDir, String baseModelName, Path zipFile) throws IOException {
        Path config = adapterDir.resolve(PeftAdapter.CONFIG_FILE);
        Path weights = adapterDir.resolve(PeftAdapter.WEIGHTS_FILE);
        for (Path p : new Path[] {config, weights}) {
            if (!Files.isRegularFile(p)) {
                throw new IOException("cannot package " + adapterDir + ": " + p.getFileName() + " is missing; train first");
            }
        }
        ObjectNode cfg;
        try {
            cfg = (ObjectNode) JSON.readTree(config.toFile());
        } catch (IOException | ClassCastException e) {
            throw new IOException(config + " is not a JSON object: " + e.getMessage(), e);
        }
        if (baseModelName != null) {
            cfg.put("base_model_name_or_path", baseModelName);
        }
        cfg.put("inference_mode", true);
        cfg.put("lora_dropout", 0.0);
        Path parent = zipFile.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        Path tmp = Files.createTempFile(parent, "." + zipFile.getFileName(), ".tmp");
        try (OutputStream os = Files.newOutputStream(tmp); ZipOutputStream zip = new ZipOutputStream(os)) {
            zip.putNextEntry(entry(PeftAdapter.CONFIG_FILE));
            zip.write(JSON.writeValueAsBytes(cfg));
            zip.closeEntry();
            zip.putNextEntry(entry(PeftAdapter.WEIGHTS_FILE));
            Files.copy(weights, zip);
            zip.closeEntry();
        }
        Checkpoints.moveAtomically(tmp, zipFile);
        return zipFile;
    }

    private static ZipEntry entry(String name) {
        ZipEntry e = new ZipEntry(name);
        e.setTimeLocal(ENTRY_TIME);
        return e;
    }
}
