package io.tracedistill.config;

/**
 * {@code base_dtype}: how the frozen base weights are stored on the device. DJL 0.33 aborts on BF16
 * tensors, so the choices are float32 (4 bytes per parameter) and float16 (2); LoRA weights and
 * optimizer state stay float32 either way.
 */
public enum BaseDtype implements YamlEnum {
    FLOAT32(4),
    FLOAT16(2);

    private final int bytes;

    BaseDtype(int bytes) {
        this.bytes = bytes;
    }

    /** Bytes per stored parameter. */
    public int bytes() {
        return bytes;
    }
}
