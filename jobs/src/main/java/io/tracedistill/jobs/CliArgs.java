package io.tracedistill.jobs;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The command line of one tracedistill command: {@code <command> [--cfg FILE] [--force] [--resume] [rest...]}.
 *
 * <p>The reference's own form, {@code tracedistill --cfg FILE}, has no command word and means {@code run}.
 * Flags this class does not know are kept in {@link #rest()} for commands with their own options
 * ({@code generate}, {@code render-chat}).
 */
public record CliArgs(String command, Optional<Path> cfg, boolean force, boolean resume, List<String> rest) {

    /** Parses {@code args}; throws {@link UsageException} with the fix when they cannot be understood. */
    public static CliArgs parse(String[] args) {
        List<String> in = List.of(args);
        String command;
        int i = 0;
        if (in.isEmpty()) {
            throw new UsageException("no command given");
        }
        if (in.get(0).startsWith("-")) {
            command = in.get(0).equals("--help") || in.get(0).equals("-h") ? "help" : "run";
        } else {
            command = in.get(0);
            i = 1;
        }
        Path cfg = null;
        boolean force = false;
        boolean resume = false;
        List<String> rest = new ArrayList<>();
        for (; i < in.size(); i++) {
            String a = in.get(i);
            switch (a) {
                case "--cfg", "--config" -> {
                    if (i + 1 >= in.size()) {
                        throw new UsageException(a + " needs a file: " + a + " conf/quickstart.yaml");
                    }
                    cfg = Path.of(in.get(++i));
                }
                case "--force" -> force = true;
                case "--resume" -> resume = true;
                default -> {
                    if (a.startsWith("--cfg=")) {
                        cfg = Path.of(a.substring("--cfg=".length()));
                    } else {
                        rest.add(a);
                    }
                }
            }
        }
        return new CliArgs(command, Optional.ofNullable(cfg), force, resume, List.copyOf(rest));
    }

    /** The config path, or a usage error saying how to give it. */
    public Path requireCfg() {
        return cfg.orElseThrow(() -> new UsageException(
                "'" + command + "' needs a config: tracedistill " + command + " --cfg conf/quickstart.yaml"));
    }

    /** A command-line mistake: printed with the usage text, exit code 2. */
    public static final class UsageException extends RuntimeException {
        public UsageException(String message) {
            super(message);
        }
    }
}
