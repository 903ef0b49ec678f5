package io.tracedistill.config;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * {@code base_dtype}: how the frozen base weights are stored on the device. DJL 0.33 aborts on BF16
 * tensors, so the choices are float32 (4 bytes per parameter) and float16 (2); LoRA weights and
 * optimizer state stay float32 either way.
 */
public enum BaseDtype implements YamlNamed {
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

    @Override
    public String yamlName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Every YAML spelling, in declaration order. */
    public static List<String> yamlNames() {
        return Arrays.stream(values()).map(BaseDtype::yamlName).toList();
    }

    /** The dtype named {@code name}; the error lists the valid names. */
    public static BaseDtype fromYaml(String name) {
        for (BaseDtype d : values()) {
            if (d.yamlName().equals(name)) {
                return d;
            }
        }
        throw new IllegalArgumentException("Unknown base_dtype '" + name + "'; expected one of " + String.join(", ", yamlNames()));
    }
}
