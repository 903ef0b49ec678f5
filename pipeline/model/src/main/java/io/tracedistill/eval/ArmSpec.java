package io.tracedistill.eval;

import io.tracedistill.run.OutputLayout;
import java.io.Serializable;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * One column of the report: the base model alone ({@link #BASE}) or the base model with one LoRA adapter.
 *
 * @param name       {@code base}, or the adapter directory's name ({@code adapter}, {@code phase1_adapter}, ...)
 * @param adapterDir the PEFT adapter directory; {@code null} for the base arm
 */
public record ArmSpec(String name, String adapterDir) implements Serializable {
    /** Name of the arm without an adapter. */
    public static final String BASE = "base";

    public ArmSpec {
        Objects.requireNonNull(name, "name");
        if (name.isEmpty()) {
            throw new IllegalArgumentException("arm name must not be empty");
        }
        if (BASE.equals(name) != (adapterDir == null)) {
            throw new IllegalArgumentException("arm '" + name + "': only the arm named 'base' has no adapter");
        }
    }

    public static ArmSpec base() {
        return new ArmSpec(BASE, null);
    }

    public Optional<Path> adapterPath() {
        return adapterDir == null ? Optional.empty() : Optional.of(Path.of(adapterDir));
    }

    /**
     * The arms of a run: {@code base} first, then one per adapter in the given order; an empty list means the run's
     * own adapter {@code output_dir/adapter}. Arm names are directory names and must be unique.
     *
     * @throws IllegalArgumentException naming the clashing directories, or an adapter directory named {@code base}
     */
    public static List<ArmSpec> resolve(String outputDir, List<String> evalAdapters) {
        List<String> dirs = OutputLayout.of(outputDir).evalAdapters(evalAdapters);
        List<ArmSpec> out = new ArrayList<>();
        out.add(base());
        Map<String, String> seen = new HashMap<>();
        for (String dir : dirs) {
            String abs = EvalSettings.absolute(dir);
            String trimmed = abs.replaceAll("[/\\\\]+$", "");
            String name = trimmed.substring(Math.max(trimmed.lastIndexOf('/'), trimmed.lastIndexOf('\\')) + 1);
            if (name.isEmpty() || name.endsWith(":")) {
                name = abs;
            }
            if (BASE.equals(name)) {
                throw new IllegalArgumentException("eval_adapters entry '" + dir + "' is named 'base', which is the "
                        + "name of the arm without an adapter; rename or copy the adapter directory");
            }
            String prev = seen.put(name, dir);
            if (prev != null) {
                throw new IllegalArgumentException("eval_adapters entries '" + prev + "' and '" + dir
                        + "' have the same directory name '" + name + "'; arms are named after the directory, so "
                        + "rename one of them");
            }
            out.add(new ArmSpec(name, abs));
        }
        return List.copyOf(out);
    }
}
