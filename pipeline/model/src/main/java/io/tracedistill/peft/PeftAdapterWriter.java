package io.tracedistill.peft;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tracedistill.model.ModelLoadException;
import io.tracedistill.model.SafeTensors;
import io.tracedistill.model.SafeTensors.HostTensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Writes a PEFT LoRA adapter directory: {@link PeftAdapter#CONFIG_FILE} (the given config, verbatim,
 * indented) and {@link PeftAdapter#WEIGHTS_FILE} (float32, PEFT's saved key names, names sorted,
 * {@code __metadata__ = {"format":"pt"}}). The one adapter writer: {@link PeftAdapter#save} and the
 * trainer both write through it.
 *
 * <p>Reference: PEFT {@code PeftModel.save_pretrained}. The config normally comes from
 * {@link PeftAdapter#configJson} (the LoRA settings of the run) or from an existing adapter
 * ({@link #copyingConfigOf}).
 */
public final class PeftAdapterWriter {

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private final ObjectNode adapterConfig;

    public PeftAdapterWriter(ObjectNode adapterConfig) {
        this.adapterConfig = adapterConfig.deepCopy();
    }

    /** Reads {@code adapter_config.json} of an existing adapter directory to reuse it. */
    public static PeftAdapterWriter copyingConfigOf(Path adapterDir) throws IOException {
        Path f = adapterDir.resolve(PeftAdapter.CONFIG_FILE);
        if (!Files.isRegularFile(f)) {
            throw new IOException("adapter directory " + adapterDir + " has no " + PeftAdapter.CONFIG_FILE);
        }
        return new PeftAdapterWriter((ObjectNode) JSON.readTree(f.toFile()));
    }

    /**
     * Writes the config and {@code loraTensors} (PEFT saved names → float32 tensors) into
     * {@code directory} (created if needed).
     */
    public void write(Path directory, Map<String, HostTensor> loraTensors) throws IOException {
        Files.createDirectories(directory);
        JSON.writeValue(directory.resolve(PeftAdapter.CONFIG_FILE).toFile(), adapterConfig);
        try {
            SafeTensors.write(directory.resolve(PeftAdapter.WEIGHTS_FILE), loraTensors, Map.of("format", "pt"));
        } catch (ModelLoadException e) {
            throw new IOException(e.getMessage(), e);
        }
    }
}
