package io.tracedistill.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Predicate;

/**
 * A HF model directory's weights as every family reads them: all tensors of its safetensors files, and each one
 * looked up by checkpoint name with the shape its config.json implies. The families differ only in which names they
 * skip or refuse and in the names and shapes they require.
 */
public final class CheckpointWeights {
    private CheckpointWeights() {
    }

    /**
     * Every tensor of {@code modelDir}'s safetensors files ({@link SafeTensors#modelFiles} order) in {@code manager}
     * as float32 (F16/BF16 files widened), by checkpoint name.
     *
     * @param keep    false skips a name (a buffer the family recomputes); it may throw {@link ModelLoadException} to
     *                refuse a checkpoint by one of its names
     * @param float16 null, or the tensors it selects are stored in FP16 ({@code base_dtype: float16}) and its findings
     *                are logged once for the directory
     */
    public static Map<String, NDArray> load(Path modelDir, NDManager manager, Predicate<String> keep, Float16Base float16) {
        Map<String, NDArray> weights = new LinkedHashMap<>();
        for (Path file : SafeTensors.modelFiles(modelDir)) {
            SafeTensors.Reader reader = SafeTensors.open(file);
            for (String name : reader.entries().keySet()) {
                if (!keep.test(name)) {
                    continue;
                }
                NDArray w = reader.load(name, manager);
                weights.put(name, float16 == null ? w : float16.convert(name, w));
            }
        }
        if (float16 != null) {
            float16.report(modelDir.toString());
        }
        return weights;
    }

    /** {@code w[name]}, which must exist with exactly {@code shape}; else a {@link ModelLoadException} naming both. */
    public static NDArray require(Map<String, NDArray> w, String name, long... shape) {
        NDArray a = w.get(name);
        if (a == null) {
            throw new ModelLoadException("Missing tensor '" + name + "' (expected shape " + new Shape(shape) + ")");
        }
        if (!a.getShape().equals(new Shape(shape))) {
            throw new ModelLoadException("Tensor '" + name + "' has shape " + a.getShape() + " but config.json implies "
                    + new Shape(shape));
        }
        return a;
    }
}
