package io.tracedistill.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;

/**
 * Writes a PEFT LoRA adapter directory: {@code adapter_config.json} (the given config, verbatim) and
 * {@code adapter_model.safetensors} (float32, PEFT's saved key names, {@code __metadata__ = {"format":"pt"}}).
 *
 * <p>Reference: PEFT {@code PeftModel.save_pretrained}. The config normally comes from the
 * initial adapter ({@code init_adapter}) or from the LoRA settings of the run.
 */
public final class PeftAdapterWriter implements AdapterWriter {

    /** File names of a PEFT adapter directory. */
    public static final String CONFIG_FILE = "adapter_config.json";
    public static final String WEIGHTS_FILE = "adapter_model.safetensors";

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private final ObjectNode adapterConfig;

    public PeftAdapterWriter(ObjectNode adapterConfig) {
        this.adapterConfig = adapterConfig.deepCopy();
    }

    /** Reads {@code adapter_config.json} of an existing adapter directory to reuse it. */
    public static PeftAdapterWriter copyingConfigOf(Path adapterDir) throws IOException {
        Path f = adapterDir.resolve(CONFIG_FILE);
        if (!Files.isRegularFile(f)) {
            throw new IOException("adapter directory " + adapterDir + " has no " + CONFIG_FILE);
        }
        return new PeftAdapterWriter((ObjectNode) JSON.readTree(f.toFile()));
    }

    @Override
    public void write(Path directory, LinkedHashMap<String, TensorFiles.HostTensor> loraTensors) throws IOException {
        Files.createDirectories(directory);
        JSON.writeValue(directory.resolve(CONFIG_FILE).toFile(), adapterConfig);
        TensorFiles.write(directory.resolve(WEIGHTS_FILE), loraTensors);
    }
}
