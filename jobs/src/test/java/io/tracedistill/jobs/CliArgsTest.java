package io.tracedistill.jobs;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CliArgsTest {

    @Test
    void referenceFormWithoutCommandMeansRun() {
        CliArgs a = CliArgs.parse(new String[] {"--cfg", "conf/quickstart.yaml"});
        assertEquals("run", a.command());
        assertEquals(Path.of("conf/quickstart.yaml"), a.requireCfg());
        assertFalse(a.force());
    }

    @Test
    void commandFlagsAndRest() {
        CliArgs a = CliArgs.parse(new String[] {"train", "--force", "--cfg=x.yaml", "--resume", "--extra", "1"});
        assertEquals("train", a.command());
        assertTrue(a.force());
        assertTrue(a.resume());
        assertEquals(Path.of("x.yaml"), a.cfg().orElseThrow());
        assertEquals(List.of("--extra", "1"), a.rest());
    }

    @Test
    void setIsRepeatableAndKeptInOrder() {
        CliArgs a = CliArgs.parse(new String[] {"train", "--set", "seed=7", "--cfg", "x.yaml",
                "--set=phase1.learning_rate=1e-4", "--set", "seed=8"});
        assertEquals(List.of("seed=7", "phase1.learning_rate=1e-4", "seed=8"), a.sets());
        assertEquals(List.of(), a.rest());
        assertEquals("--set needs key=value: --set seed=7 or --set phase1.learning_rate=1e-4",
                assertThrows(CliArgs.UsageException.class,
                        () -> CliArgs.parse(new String[] {"train", "--cfg", "x.yaml", "--set"})).getMessage());
        assertEquals("--set overrides keys of a config file: give it with --cfg FILE",
                assertThrows(CliArgs.UsageException.class,
                        () -> CliArgs.parse(new String[] {"train", "--set", "seed=7"})).getMessage());
    }

    /** A bad --set value stops the command before any work, naming the key, the value and the source. */
    @Test
    void badSetValueFailsNamingTheKey(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        Path cfg = dir.resolve("x.yaml");
        java.nio.file.Files.writeString(cfg, "base_model: m\ndata_path: d.csv\nhard_types: [t]\noutput_dir: "
                + dir.resolve("out") + "\n");
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Cli.run(new String[] {"prepare", "--cfg", cfg.toString(), "--set", "lora_rank=0"},
                new PrintStream(new ByteArrayOutputStream()), new PrintStream(err, true, StandardCharsets.UTF_8));
        assertEquals(1, code);
        // The reference's own wording (it does not name the file), so the CLI adds the source, --set included.
        assertEquals("tracedistill prepare: lora_rank and lora_alpha must be positive. (config file: " + cfg
                + " with --set lora_rank=0)", err.toString(StandardCharsets.UTF_8).strip());
        assertFalse(java.nio.file.Files.exists(dir.resolve("out")), "nothing is written before the config is valid");
        err.reset();
        code = Cli.run(new String[] {"prepare", "--cfg", cfg.toString(), "--sett", "lora_rank=0"},
                new PrintStream(new ByteArrayOutputStream()), new PrintStream(err, true, StandardCharsets.UTF_8));
        assertEquals(2, code, "a misspelt option is not ignored");
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("unknown argument --sett"), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void commandOptionsAreDeclaredValuesAndFlags() {
        CliArgs a = CliArgs.parse(new String[] {"generate", "--model", "m", "--chat", "--max-new-tokens", "7"});
        CliArgs.Options o = a.options(Set.of("--model", "--max-new-tokens", "--adapter"), Set.of("--chat", "--json"));
        assertEquals(Optional.of(Path.of("m")), o.path("--model"));
        assertEquals(Optional.of(7), o.integer("--max-new-tokens", 0));
        assertEquals(Optional.empty(), o.value("--adapter"));
        assertTrue(o.flag("--chat"));
        assertFalse(o.flag("--json"));
    }

    @Test
    void commandOptionMistakesNameTheArgument() {
        Set<String> valued = Set.of("--model", "--max-length");
        assertEquals("unknown argument --bogus", assertThrows(CliArgs.UsageException.class,
                () -> CliArgs.parse(new String[] {"x", "--bogus"}).options(valued, Set.of())).getMessage());
        assertEquals("--model needs a value", assertThrows(CliArgs.UsageException.class,
                () -> CliArgs.parse(new String[] {"x", "--model"}).options(valued, Set.of())).getMessage());
        assertEquals("--model needs a value", assertThrows(CliArgs.UsageException.class,
                () -> CliArgs.parse(new String[] {"x", "--model", "--max-length", "3"}).options(valued, Set.of()))
                .getMessage());
        CliArgs.Options zero = CliArgs.parse(new String[] {"x", "--max-length", "0"}).options(valued, Set.of());
        assertEquals("Invalid value '0' for --max-length: must be an integer >= 1",
                assertThrows(CliArgs.UsageException.class, () -> zero.integer("--max-length", 1)).getMessage());
        CliArgs.Options word = CliArgs.parse(new String[] {"x", "--max-length", "ten"}).options(valued, Set.of());
        assertEquals("Invalid value 'ten' for --max-length: must be an integer >= 1",
                assertThrows(CliArgs.UsageException.class, () -> word.integer("--max-length", 1)).getMessage());
    }

    @Test
    void missingConfigSaysHowToGiveIt() {
        CliArgs a = CliArgs.parse(new String[] {"prepare"});
        CliArgs.UsageException e = assertThrows(CliArgs.UsageException.class, a::requireCfg);
        assertEquals("'prepare' needs a config: tracedistill prepare --cfg conf/quickstart.yaml", e.getMessage());
        assertThrows(CliArgs.UsageException.class, () -> CliArgs.parse(new String[] {"run", "--cfg"}));
    }

    @Test
    void unknownCommandIsUsageErrorWithExitCode2() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Cli.run(new String[] {"frobnicate"}, new PrintStream(new ByteArrayOutputStream()),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        assertEquals(2, code);
        String text = err.toString(StandardCharsets.UTF_8);
        assertTrue(text.contains("unknown command 'frobnicate'"), text);
        assertTrue(text.contains("render-chat"), "usage lists the commands: " + text);
    }

    @Test
    void badConfigFailsWithTheLoadersMessageAndExitCode1(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        Path cfg = dir.resolve("bad.yaml");
        java.nio.file.Files.writeString(cfg, "base_model: m\ndata_path: d.csv\nhard_types: [a]\nlora_rank: 0\n");
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Cli.run(new String[] {"prepare", "--cfg", cfg.toString()}, new PrintStream(new ByteArrayOutputStream()),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        assertEquals(1, code);
        String text = err.toString(StandardCharsets.UTF_8);
        assertTrue(text.contains("lora_rank"), text);
        assertTrue(text.contains("bad.yaml"), text);
    }

    @Test
    void planPrintsTheMedalConfigsMemoryWithoutWeights() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Cli.run(new String[] {"plan", "--cfg", "../conf/reproduce_competition.yaml", "--model-config",
                        "../conf/models/nemotron-3-nano-30b-a3b/config.json"}, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        String text = out.toString(StandardCharsets.UTF_8);
        assertEquals(0, code, err.toString(StandardCharsets.UTF_8));
        assertTrue(text.contains("31,577,940,288 parameters") && text.contains("## Does it fit one GPU?"), text);
    }

    @Test
    void planArgumentMistakesAndMissingModelConfig() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Cli.run(new String[] {"plan", "--cfg", "../conf/reproduce_competition.yaml", "--max-len", "5"},
                new PrintStream(new ByteArrayOutputStream()), new PrintStream(err, true, StandardCharsets.UTF_8));
        String text = err.toString(StandardCharsets.UTF_8);
        assertEquals(2, code, text);
        assertTrue(text.contains("--max-len") && text.contains(PlanCommand.USAGE), text);
        // The medal config's base_model is not on this machine: the message says how to pass its config.json.
        err.reset();
        code = Cli.run(new String[] {"plan", "--cfg", "../conf/reproduce_competition.yaml"},
                new PrintStream(new ByteArrayOutputStream()), new PrintStream(err, true, StandardCharsets.UTF_8));
        text = err.toString(StandardCharsets.UTF_8);
        assertEquals(1, code, text);
        assertTrue(text.contains("No config.json at /models/NVIDIA-Nemotron-3-Nano-30B-A3B-BF16/config.json")
                && text.contains("--model-config"), text);
    }
}
