package io.tracedistill.jobs;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tracedistill.config.ConfigLoader;
import io.tracedistill.spark.tokenize.ChatTemplateTurnRenderer;
import io.tracedistill.tokens.HfTokenizer;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 17: {@code train} before {@code tokenize} said {@code PATH_NOT_FOUND … tokens/phase1}; and train
 * trained silently on tokens made with another tokenizer or chat template than the base model's (item 5).
 */
class TrainPreconditionsTest {
    private static final Path TINY_MODEL = Path.of("..", "src", "embedded", "tiny-qwen2").toAbsolutePath().normalize();

    @Test
    void trainBeforeTokenizeSaysRunTokenizeFirst(@TempDir Path dir) throws Exception {
        String yaml = "base_model: " + TINY_MODEL + "\ndata_path: " + dir.resolve("d.csv") + "\nhard_types: [t]\n"
                + "output_dir: " + dir.resolve("out") + "\nspark_master: local[1]\n";
        try (JobContext ctx = new JobContext(ConfigLoader.parse(yaml, "run.yaml"), dir.resolve("run.yaml"), false, false,
                new PrintStream(OutputStream.nullOutputStream()))) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> new TrainStep().run(ctx));
            assertTrue(e.getMessage().contains("run tokenize first") && e.getMessage().contains("tokens"), e.getMessage());
        }
    }

    @Test
    void tokensFromAnotherTokenizerOrTemplateAreRefused(@TempDir Path dir) throws Exception {
        Path model = Files.createDirectories(dir.resolve("model"));
        try (Stream<Path> files = Files.list(TINY_MODEL)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                Files.copy(f, model.resolve(f.getFileName()));
            }
        }
        String tokenizer;
        try (HfTokenizer t = HfTokenizer.load(TINY_MODEL)) {
            tokenizer = t.fingerprint();
        }
        String template = ChatTemplateTurnRenderer.load(TINY_MODEL, false, LocalDate.of(2025, 7, 10)).fingerprint();
        Map<String, Object> manifest = Map.of("tokenizer_fingerprint", tokenizer, "chat_template_fingerprint", template,
                "chat_date", "2025-07-10");
        Path manifestFile = dir.resolve("tokens/manifest.json");
        TrainStep.checkTokensMatchModel(manifest, manifestFile.toString(), model); // same files: accepted

        String cfg = Files.readString(model.resolve("tokenizer_config.json"));
        Files.writeString(model.resolve("tokenizer_config.json"), cfg.replace("<|im_start|>", "<|im_start|> "));
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> TrainStep.checkTokensMatchModel(manifest, manifestFile.toString(), model));
        assertTrue(e.getMessage().contains("chat template") && e.getMessage().contains(manifestFile.toString())
                && e.getMessage().contains("run tokenize again"), e.getMessage());

        Files.writeString(model.resolve("tokenizer_config.json"), cfg);
        Files.writeString(model.resolve("tokenizer.json"), Files.readString(model.resolve("tokenizer.json")) + "\n");
        IllegalStateException t = assertThrows(IllegalStateException.class,
                () -> TrainStep.checkTokensMatchModel(manifest, manifestFile.toString(), model));
        assertTrue(t.getMessage().contains("tokenizer (tokenizer.json)"), t.getMessage());
    }
}
