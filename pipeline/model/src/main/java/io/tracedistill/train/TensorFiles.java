package io.tracedistill.train;

import io.tracedistill.model.ModelLoadException;
import io.tracedistill.model.SafeTensors;
import io.tracedistill.model.SafeTensors.HostTensor;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The trainer's tensor files (checkpointed LoRA weights and AdamW moments, and the PEFT adapters it writes) as
 * host float arrays ({@link HostTensor}), through {@link SafeTensors}: float32, names sorted,
 * {@code __metadata__ = {"format": "pt"}};
 * reading widens F16/BF16 to float32.
 */
public final class TensorFiles {

    private TensorFiles() {
    }

    /**
     * Writes {@code tensors} as float32 safetensors to {@code file} with {@code __metadata__ = {"format": "pt"}}, like
     * {@code safetensors.torch.save_file}: names sorted, contiguous offsets ({@link SafeTensors#write}).
     */
    public static void write(Path file, Map<String, HostTensor> tensors) throws IOException {
        try {
            SafeTensors.write(file, tensors, Map.of("format", "pt"));
        } catch (ModelLoadException e) {
            throw new IOException(e.getMessage(), e);
        }
    }

    /** Reads every tensor of a safetensors file as float32 (F16/BF16 widened), in header order. */
    public static LinkedHashMap<String, HostTensor> read(Path file) throws IOException {
        try {
            SafeTensors.Reader r = SafeTensors.open(file);
            LinkedHashMap<String, HostTensor> out = new LinkedHashMap<>();
            for (SafeTensors.Entry e : r.entries().values()) {
                out.put(e.name(), new HostTensor(e.shape(), r.readFloats(e.name())));
            }
            return out;
        } catch (ModelLoadException e) {
            throw new IOException(e.getMessage(), e);
        }
    }
}
