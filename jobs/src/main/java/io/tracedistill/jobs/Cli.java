package io.tracedistill.jobs;

import io.tracedistill.config.ConfigException;
import io.tracedistill.config.Redaction;
import io.tracedistill.memory.DeviceMemoryException;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code tracedistill <command> [--cfg FILE] [options]}: the one entry point behind
 * {@code scripts/tracedistill}. {@code tracedistill --cfg FILE} (the reference's form) means {@code run}.
 * It is also the one main class for {@code spark-submit --class io.tracedistill.jobs.Cli <command> ...}, Databricks
 * and EMR ({@code jobs/deploy}).
 */
public final class Cli {
    private Cli() {}

    /** A command: its one-line help and what it runs. */
    private record Command(String help, Handler handler) {}

    @FunctionalInterface
    private interface Handler {
        int run(CliArgs args, PrintStream out, PrintStream err) throws Exception;
    }

    private static final Map<String, Command> COMMANDS = new LinkedHashMap<>();

    static {
        COMMANDS.put("run", new Command("all steps: prepare, tokenize, train (phase 1 + 2, adapter, zip, report), eval",
                (a, out, err) -> steps(a, out, Pipeline.endToEnd())));
        COMMANDS.put("prepare", new Command("CoT table -> formatted, split, ordered shards + manifest",
                (a, out, err) -> steps(a, out, List.of(new PrepareStep()))));
        COMMANDS.put("tokenize", new Command("prepared shards -> chat template + tokens + completion-only labels",
                (a, out, err) -> steps(a, out, List.of(new TokenizeStep()))));
        COMMANDS.put("train", new Command("phase 1 Train -> phase 2 Nudge -> PEFT adapter, submission.zip, report",
                (a, out, err) -> steps(a, out, List.of(new TrainStep()))));
        COMMANDS.put("eval", new Command("greedy decoding + boxed-answer grading, base vs adapters",
                (a, out, err) -> steps(a, out, List.of(new EvalStep()))));
        COMMANDS.put("experiment", new Command(
                "--cfg FILE: the arms (zero_shot, answer_only, trace_1phase, trace_2phase) into output_dir/arms/, side by side",
                ExperimentCommand::run));
        COMMANDS.put("plan", new Command(
                "--cfg FILE.yaml|config.json [--model-config config.json]: GPU memory per component, what fits",
                PlanCommand::run));
        COMMANDS.put("generate", new Command(
                "--model DIR [--adapter DIR] (--prompt TEXT [--chat] | --input-ids 1,2,3) --max-new-tokens N",
                GenerateCommand::run));
        COMMANDS.put("export", new Command(
                "--adapter DIR --model DIR --out DIR [--dtype bfloat16|float16|float32]: merged HF model for serving",
                ExportCommand::run));
        COMMANDS.put("inspect-tokens", new Command(
                "--cfg FILE [--phase 1|2|heldout] [--n 5] [--type T] [--ids]: token shards as text, trained spans marked",
                InspectTokensCommand::run));
        COMMANDS.put("render-chat", new Command(
                "--template PATH --messages FILE.json [--add-generation-prompt] [--vars FILE.json] [--json]",
                RenderChatCommand::run));
    }

    /** The command words, in usage order (the job definitions in {@code jobs/deploy} are checked against them). */
    static Set<String> commandNames() {
        return java.util.Collections.unmodifiableSet(COMMANDS.keySet());
    }

    /**
     * Returns normally on success and fails by exception: YARN's ApplicationMaster runs this method in cluster mode
     * and reports an application that calls {@code System.exit} as failed (EXIT_EARLY), and a Databricks JAR task
     * must not end its JVM either. The JVM ends by itself after a successful command because the Spark session is
     * stopped and every thread this project starts is a daemon or joined. A failure has already been printed to
     * stderr; the exception carries the exit status for the platform's log.
     */
    public static void main(String[] args) {
        int status = run(args, System.out, System.err);
        if (status != 0) {
            throw new CommandFailedException(args.length == 0 ? "" : args[0], status);
        }
    }

    /** A command that failed (the reason is on stderr); the JVM exits with status 1. */
    public static final class CommandFailedException extends RuntimeException {
        private final int status;

        CommandFailedException(String command, int status) {
            super("tracedistill " + command + " failed with status " + status + " (" + (status == 2 ? "usage error" : "error")
                    + "; the reason is printed above)");
            this.status = status;
        }

        /** {@link Cli#run}'s status: 1 failed, 2 usage error. */
        public int status() {
            return status;
        }
    }

    /** Runs one command line; returns the process exit code (0 ok, 1 failed, 2 usage error). */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        CliArgs parsed;
        try {
            parsed = CliArgs.parse(args);
        } catch (CliArgs.UsageException e) {
            err.println("tracedistill: " + e.getMessage());
            usage(err);
            return 2;
        }
        if (parsed.command().equals("help")) {
            usage(out);
            return 0;
        }
        Command c = COMMANDS.get(parsed.command());
        if (c == null) {
            err.println("tracedistill: unknown command '" + parsed.command() + "'");
            usage(err);
            return 2;
        }
        try {
            return c.handler().run(parsed, out, err);
        } catch (CliArgs.UsageException e) {
            err.println(Redaction.text("tracedistill " + parsed.command() + ": " + e.getMessage()));
            return 2;
        } catch (ConfigException e) {
            // Some messages are the reference's own wording, which does not name the file: add it.
            String msg = e.getMessage();
            String src = e.source() != null ? e.source() : parsed.cfg().map(Object::toString).orElse("");
            err.println(Redaction.text("tracedistill " + parsed.command() + ": " + msg
                    + (src.isEmpty() || msg.contains(src) ? "" : " (config file: " + src + ")")));
            return 1;
        } catch (DeviceMemoryException e) {
            err.println(Redaction.text("tracedistill " + parsed.command() + ": " + e.getMessage()));
            return 1;
        } catch (Exception e) {
            printFailure(parsed.command(), e, err);
            return 1;
        }
    }

    /**
     * A failed command's message and stack trace, with URI user-info masked: messages name paths, and
     * a path may carry credentials ({@code s3a://KEY:SECRET@bucket/...}).
     */
    static void printFailure(String command, Throwable e, PrintStream err) {
        StringWriter trace = new StringWriter();
        e.printStackTrace(new PrintWriter(trace));
        err.println(Redaction.text("tracedistill " + command + " failed: " + e));
        err.print(Redaction.text(trace.toString()));
    }

    private static int steps(CliArgs a, PrintStream out, List<Step> steps) throws Exception {
        a.options(Set.of(), Set.of()); // the step commands take no options of their own
        try (JobContext ctx = JobContext.open(a, out); OutputDirGuard guard = OutputDirGuard.acquire(ctx)) {
            Pipeline.run(ctx, steps);
            out.println(Redaction.text("outputs under " + ctx.outputDirShown()));
        }
        return 0;
    }

    static void usage(PrintStream s) {
        s.println("usage: tracedistill <command> [--cfg FILE] [--set key=value]... [--force] [--resume] [options]");
        s.println("       tracedistill --cfg FILE            (same as: run --cfg FILE)");
        s.println("  --set key=value overrides one config key (repeatable; phase1.learning_rate=1e-4, hard_types=[a, b]),");
        s.println("  typed and checked like the same line in the file");
        s.println("commands:");
        COMMANDS.forEach((name, c) -> s.printf("  %-14s %s%n", name, c.help()));
    }
}
