package io.tracedistill.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * The {@code device} key, parsed once: {@code cpu}, {@code gpu} (= GPU 0) or {@code gpu:i,j} (the listed
 * GPU indices, one data-parallel training replica or eval task device each).
 */
public final class DeviceSpec implements YamlNamed, java.io.Serializable {
    private static final long serialVersionUID = 1L;
    private static final Pattern SYNTAX = Pattern.compile("cpu|gpu|gpu:\\d+(,\\d+)*");
    /** The requirement a malformed value fails, as the config error states it. */
    static final String REQUIREMENT = "must be cpu, gpu or gpu:<indices> such as gpu:0,1";

    private final String yamlName;
    private final List<Integer> gpuIndices;

    private DeviceSpec(String yamlName, List<Integer> gpuIndices) {
        this.yamlName = yamlName;
        this.gpuIndices = List.copyOf(gpuIndices);
    }

    /** The CPU. */
    public static DeviceSpec cpu() {
        return new DeviceSpec("cpu", List.of());
    }

    /** Parses a {@code device} value. @throws IllegalArgumentException naming the key and the accepted forms */
    public static DeviceSpec parse(String value) {
        if (value == null || !SYNTAX.matcher(value).matches()) {
            throw new IllegalArgumentException("Invalid value '" + value + "' for device: " + REQUIREMENT);
        }
        if (value.equals("cpu")) {
            return cpu();
        }
        if (value.equals("gpu")) {
            return new DeviceSpec(value, List.of(0));
        }
        List<Integer> out = new ArrayList<>();
        for (String s : value.substring("gpu:".length()).split(",")) {
            int index;
            try {
                index = Integer.parseInt(s);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("Invalid value '" + value + "' for device: " + REQUIREMENT, e);
            }
            if (out.contains(index)) {
                throw new DuplicateGpu(value, index);
            }
            out.add(index);
        }
        return new DeviceSpec(value, out);
    }

    /** A {@code gpu:i,j} list naming one GPU twice (two replicas cannot share one device's memory plan). */
    static final class DuplicateGpu extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;
        final String requirement;

        DuplicateGpu(String value, int index) {
            super("Invalid value '" + value + "' for device: lists GPU " + index + " twice; each GPU may be listed"
                    + " once, as in gpu:0,1");
            this.requirement = "lists GPU " + index + " twice; each GPU may be listed once, as in gpu:0,1";
        }
    }

    /** True for {@code cpu}. */
    public boolean isCpu() {
        return gpuIndices.isEmpty();
    }

    /** The listed GPU indices: {@code []} for cpu, {@code [0]} for gpu. */
    public List<Integer> gpuIndices() {
        return gpuIndices;
    }

    /** The value as written in the config ({@code gpu} and {@code gpu:0} stay distinct, as in resolved_config.yaml). */
    @Override
    public String yamlName() {
        return yamlName;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof DeviceSpec d && d.yamlName.equals(yamlName);
    }

    @Override
    public int hashCode() {
        return Objects.hash(yamlName);
    }

    @Override
    public String toString() {
        return yamlName;
    }
}
