package io.tracedistill.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tracedistill.spark.NodeLocalCache;
import io.tracedistill.testdata.SampleDataGenerator;
import io.tracedistill.testdata.SchemeLocalFileSystem;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 13, problem 1: the whole run with every path on a Hadoop file system that is not {@code file:}. The test
 * scheme {@code tdtest:} is the local disk opened only through Hadoop's {@code FileSystem} (as {@code s3a://},
 * {@code hdfs://} and {@code dbfs:/} are), so every code path a cluster run takes is exercised: the guard's marker and
 * lock, the ledger, the resolved config, the Spark shards and manifests, training in a node-local mirror uploaded to
 * output_dir, the base model copied into the node-local cache, eval reading the run's adapter from output_dir. Before,
 * {@code output_dir: s3a://...} was refused ("this output is written to the local file system").
 */
class RunOnHadoopFileSystemTest {
    private static final Path TINY_MODEL = Path.of("..", "src", "embedded", "tiny-qwen2").toAbsolutePath().normalize();

    @Test
    void everyOutputGoesThroughHadoopAndAReRunSkipsEveryStep(@TempDir Path dir) throws Exception {
        Path data = dir.resolve("in/train.csv");
        Path eval = dir.resolve("in/eval.csv");
        Files.createDirectories(data.getParent());
        SampleDataGenerator.writeFile(11, 60, data);
        SampleDataGenerator.writeFile(12, 4, eval);
        Path out = dir.resolve("out");
        // The fixture LoRA adapter (r 4) of tiny-qwen2, as init_adapter on the Hadoop file system too.
        Path initAdapter = Path.of(java.net.URI.create(RunOnHadoopFileSystemTest.class
                .getResource("/fixtures/tiny-qwen2/lora/adapter_config.json").toString())).getParent();
        Path cfg = dir.resolve("run.yaml");
        Files.writeString(cfg, String.join("\n",
                "base_model: " + SchemeLocalFileSystem.uri(TINY_MODEL),
                "data_path: " + SchemeLocalFileSystem.uri(data),
                "hard_types: [bit_manipulation, cryptarithm_deduce]",
                "output_dir: " + SchemeLocalFileSystem.uri(out),
                "init_adapter: " + SchemeLocalFileSystem.uri(initAdapter),
                "lora_alpha: 8",
                "max_length: 384",
                "bf16: false",
                "spark_master: local[2]",
                "threads: 1",
                "checkpoint_steps: 2",
                "phase1: {per_device_train_batch_size: 8, gradient_accumulation_steps: 1, learning_rate: 2.0e-3, logging_steps: 1}",
                "phase2: {per_device_train_batch_size: 8, gradient_accumulation_steps: 1, learning_rate: 2.0e-4, logging_steps: 1}",
                "base_model_name_for_submission: tiny-qwen2",
                "chat_date: '2025-07-10'",
                "eval_path: " + SchemeLocalFileSystem.uri(eval),
                "eval_max_new_tokens: 4",
                "eval_batch_size: 4",
                ""));
        Map<String, String> props = Map.of(
                "spark.hadoop.fs." + SchemeLocalFileSystem.SCHEME + ".impl", SchemeLocalFileSystem.class.getName(),
                "spark.hadoop.fs." + SchemeLocalFileSystem.SCHEME + ".impl.disable.cache", "true",
                NodeLocalCache.DIR_PROPERTY, dir.resolve("node-cache").toString());
        props.forEach(System::setProperty);
        try {
            String first = run(cfg);
            for (String step : List.of("[prepare] done", "[tokenize] done", "[train] done", "[eval] done")) {
                assertTrue(first.contains(step), "missing '" + step + "' in:\n" + first);
            }
            assertTrue(first.contains("outputs under tdtest:" + out), first);
            for (String f : List.of(".tracedistill-run", "resolved_config.yaml", ".steps/prepare.json", ".steps/eval.json",
                    "prepared/manifest.json", "tokens/manifest.json", "metrics.jsonl", "report.md", "training_curves.png",
                    "submission.zip", "phase1_adapter/adapter_model.safetensors", "adapter/adapter_config.json",
                    "adapter/adapter_model.safetensors", "eval/eval_report.json", "eval/eval_report.md",
                    "eval/accuracy_by_type.png")) {
                assertTrue(Files.isRegularFile(out.resolve(f)), "missing output " + f);
            }
            try (Stream<Path> cps = Files.list(out.resolve("checkpoints"))) {
                List<String> all = cps.map(p -> p.getFileName().toString()).sorted().toList();
                // Checkpoints, and the finished phases' settings records a resume checks (phase1.settings).
                assertTrue(all.contains("phase1.settings"), all.toString());
                List<String> names = all.stream().filter(n -> !n.endsWith(".settings")).toList();
                assertTrue(!names.isEmpty() && names.stream().allMatch(n -> n.matches("phase[12]-step\\d{6}")), all.toString());
                for (String n : names) {
                    assertTrue(Files.isRegularFile(out.resolve("checkpoints").resolve(n).resolve("state.json")), n);
                }
            }
            try (Stream<Path> all = Files.walk(out)) {
                List<String> stray = all.map(p -> out.relativize(p).toString())
                        .filter(n -> n.endsWith(".crc") || n.contains("_tmp") || n.contains(".tmp")
                                || n.equals(".tracedistill.lock")).toList();
                assertEquals(List.of(), stray, "no lock, temporary or checksum file is left in output_dir");
            }
            List<Path> copies = copies(dir.resolve("node-cache"));
            assertEquals(3, copies.size(), "one node-local copy each of base_model, init_adapter and the run's adapter: "
                    + copies);
            assertTrue(copies.stream().anyMatch(c -> sameFile(c.resolve("adapter_model.safetensors"),
                    initAdapter.resolve("adapter_model.safetensors"))), "training started from init_adapter's copy");
            assertTrue(copies.stream().anyMatch(c -> sameFile(c.resolve("config.json"), TINY_MODEL.resolve("config.json"))),
                    "base_model was read from its node-local copy");
            assertTrue(copies.stream().anyMatch(c -> sameFile(c.resolve("adapter_model.safetensors"),
                    out.resolve("adapter/adapter_model.safetensors"))), "eval read output_dir/adapter from its node-local copy");

            String second = run(cfg);
            for (String step : List.of("prepare", "tokenize", "train", "eval")) {
                assertTrue(second.contains("[" + step + "] up to date"), "re-run should skip " + step + ":\n" + second);
            }

            // inspect-tokens reads the token shards and manifest through output_dir's file system; plan reads
            // base_model's config.json through its file system (both needed a local folder before).
            String inspect = EndToEndRuns.run(cfg, "inspect-tokens", "--n", "2");
            assertEquals(2, inspect.lines().filter(l -> l.startsWith("=== phase1 position ")).count(), inspect);
            assertTrue(inspect.contains("of phase1 (tdtest:" + out.resolve("tokens/phase1")), inspect);
            assertTrue(inspect.contains("whole phase1 (tokens/manifest.json)"), inspect);
            String plan = EndToEndRuns.run(cfg, "plan");
            assertTrue(plan.startsWith("# Memory plan: " + cfg + " on ") && plan.contains("qwen2"), plan);
        } finally {
            props.keySet().forEach(System::clearProperty);
        }
    }

    private static List<Path> copies(Path cache) throws Exception {
        try (Stream<Path> all = Files.list(cache.resolve("folders"))) {
            return all.filter(p -> Files.isRegularFile(p.resolve(NodeLocalCache.RECORD))).sorted().toList();
        }
    }

    private static boolean sameFile(Path a, Path b) {
        try {
            return Files.isRegularFile(a) && Files.mismatch(a, b) == -1;
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static String run(Path cfg) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Cli.run(new String[] {"--cfg", cfg.toString()}, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        String text = out.toString(StandardCharsets.UTF_8);
        assertEquals(0, code, "exit code; stdout:\n" + text + "\nstderr:\n" + err.toString(StandardCharsets.UTF_8));
        return text;
    }
}
