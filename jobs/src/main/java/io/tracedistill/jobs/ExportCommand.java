package io.tracedistill.jobs;

import io.tracedistill.peft.MergedExport;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Set;

/**
 * The {@code export} command: a base model with a PEFT adapter merged in, as a complete Hugging Face model directory
 * for serving (vLLM, transformers), through {@link MergedExport}.
 *
 * <pre>
 * export --adapter DIR --model DIR --out DIR [--dtype bfloat16|float16|float32] [--max-shard-mb N]
 * </pre>
 *
 * {@code --dtype} defaults to the base's own {@code torch_dtype} (float32 when it is none of the three);
 * {@code --max-shard-mb} to transformers' 5 GB shards.
 */
final class ExportCommand {
    static final String USAGE = "usage: export --adapter DIR --model DIR --out DIR [--dtype bfloat16|float16|float32]"
            + " [--max-shard-mb N]";

    private ExportCommand() {
    }

    static int run(CliArgs args, PrintStream out, PrintStream err) throws Exception {
        CliArgs.Options o;
        Path adapter;
        Path model;
        Path dir;
        MergedExport.Dtype dtype;
        long maxShard;
        try {
            o = args.options(Set.of("--adapter", "--model", "--out", "--dtype", "--max-shard-mb"), Set.of());
            if (o.value("--adapter").isEmpty() || o.value("--model").isEmpty() || o.value("--out").isEmpty()) {
                throw new CliArgs.UsageException("--adapter, --model and --out are required");
            }
            adapter = o.path("--adapter").get();
            model = o.path("--model").get();
            dir = o.path("--out").get();
            try {
                dtype = o.value("--dtype").map(MergedExport.Dtype::of).orElseGet(() -> MergedExport.Dtype.ofBase(model));
            } catch (IllegalArgumentException e) {
                throw new CliArgs.UsageException(e.getMessage());
            }
            maxShard = o.integer("--max-shard-mb", 1).map(mb -> mb * 1_000_000L).orElse(MergedExport.DEFAULT_MAX_SHARD_BYTES);
        } catch (CliArgs.UsageException e) {
            err.println("export: " + e.getMessage());
            err.println(USAGE);
            return 2;
        }
        MergedExport.Result r = MergedExport.export(adapter, model, dir, dtype, maxShard);
        out.println(String.format(Locale.ROOT, "exported %s + %s -> %s: %d tensors (%d merged), %d shard(s), %,d bytes of %s weights;"
                        + " copied %s", model, adapter, dir.toAbsolutePath(), r.tensors(), r.mergedTensors(), r.shards().size(),
                r.totalBytes(), dtype.torchName(), String.join(", ", r.copiedFiles())));
        return 0;
    }
}
