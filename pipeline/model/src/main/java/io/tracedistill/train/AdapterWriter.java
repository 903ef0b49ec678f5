package io.tracedistill.train;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;

/**
 * Writes the trained LoRA tensors (PEFT saved names, float32) as an adapter directory. The trainer
 * writes into an empty temporary directory and renames it into place.
 */
@FunctionalInterface
public interface AdapterWriter {

    void write(Path directory, LinkedHashMap<String, TensorFiles.HostTensor> loraTensors) throws IOException;
}
