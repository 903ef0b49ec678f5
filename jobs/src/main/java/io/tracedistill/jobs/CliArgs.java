package io.tracedistill.jobs;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The command line of one tracedistill command:
 * {@code <command> [--cfg FILE] [--set key=value]... [--force] [--resume] [rest...]}.
 *
 * <p>The reference's own form, {@code tracedistill --cfg FILE}, has no command word and means {@code run}.
 * Flags this class does not know are kept in {@link #rest()}; commands with their own options ({@code generate},
 * {@code render-chat}) read them with {@link #options}, so every command line goes through this one parser.
 * {@code --set key=value} (repeatable, also {@code --set=key=value}) overrides one config key; the assignments are
 * kept in order and handed to {@link io.tracedistill.config.ConfigLoader#load(Path, List)}, which types and checks
 * them like lines of the file.
 */
public record CliArgs(String command, Optional<Path> cfg, List<String> sets, boolean force, boolean resume,
                      List<String> rest) {

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
        List<String> sets = new ArrayList<>();
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
                case "--set" -> {
                    if (i + 1 >= in.size() || in.get(i + 1).startsWith("--")) {
                        throw new UsageException("--set needs key=value: --set seed=7 or --set phase1.learning_rate=1e-4");
                    }
                    sets.add(in.get(++i));
                }
                case "--force" -> force = true;
                case "--resume" -> resume = true;
                default -> {
                    if (a.startsWith("--cfg=")) {
                        cfg = Path.of(a.substring("--cfg=".length()));
                    } else if (a.startsWith("--set=")) {
                        sets.add(a.substring("--set=".length()));
                    } else {
                        rest.add(a);
                    }
                }
            }
        }
        if (!sets.isEmpty() && cfg == null) {
            throw new UsageException("--set overrides keys of a config file: give it with --cfg FILE");
        }
        return new CliArgs(command, Optional.ofNullable(cfg), List.copyOf(sets), force, resume, List.copyOf(rest));
    }

    /** The config path, or a usage error saying how to give it. */
    public Path requireCfg() {
        return cfg.orElseThrow(() -> new UsageException(
                "'" + command + "' needs a config: tracedistill " + command + " --cfg conf/quickstart.yaml"));
    }

    /**
     * The command's own options in {@link #rest()}: {@code --name VALUE} for each name in {@code valued}, a bare
     * {@code --name} for each in {@code flags}. Anything else, or a value that is missing (or is itself a
     * {@code --flag}), is a usage error naming the argument.
     */
    public Options options(Set<String> valued, Set<String> flags) {
        Map<String, String> values = new LinkedHashMap<>();
        Set<String> given = new HashSet<>();
        for (int i = 0; i < rest.size(); i++) {
            String a = rest.get(i);
            if (valued.contains(a)) {
                if (i + 1 >= rest.size() || rest.get(i + 1).startsWith("--")) {
                    throw new UsageException(a + " needs a value");
                }
                values.put(a, rest.get(++i));
            } else if (flags.contains(a)) {
                given.add(a);
            } else {
                throw new UsageException("unknown argument " + a);
            }
        }
        return new Options(Map.copyOf(values), Set.copyOf(given));
    }

    /** A command's parsed options: the values by option name ({@code "--model"}) and the flags given. */
    public record Options(Map<String, String> values, Set<String> flags) {

        public Optional<String> value(String name) {
            return Optional.ofNullable(values.get(name));
        }

        public Optional<Path> path(String name) {
            return value(name).map(Path::of);
        }

        public boolean flag(String name) {
            return flags.contains(name);
        }

        /** The integer value of {@code name}, at least {@code min}; a usage error saying so otherwise. */
        public Optional<Integer> integer(String name, int min) {
            return value(name).map(v -> {
                int n;
                try {
                    n = Integer.parseInt(v);
                } catch (NumberFormatException e) {
                    throw new UsageException("Invalid value '" + v + "' for " + name + ": must be an integer >= " + min);
                }
                if (n < min) {
                    throw new UsageException("Invalid value '" + v + "' for " + name + ": must be an integer >= " + min);
                }
                return n;
            });
        }
    }

    /** A command-line mistake: printed with the usage text, exit code 2. */
    public static final class UsageException extends RuntimeException {
        public UsageException(String message) {
            super(message);
        }
    }
}
