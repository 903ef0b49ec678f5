package io.tracedistill.spark.tokenize;

import io.tracedistill.run.RunPath;
import io.tracedistill.spark.ModelFolders;
import io.tracedistill.tokens.HfTokenizer;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The tokenizer and chat renderer of one model, loaded once per JVM and shared by every task and partition that runs
 * there (a deliberate per-JVM static cache: loading Qwen3's 11 MB {@code tokenizer.json} and parsing its template
 * costs ~0.5 s, far more than tokenizing a partition).
 *
 * <p>Entries are never evicted: a job tokenizes with one model; a JVM that ever sees many models should not use this.
 */
public final class ExecutorResources {

    private static final Map<Key, ExecutorResources> CACHE = new ConcurrentHashMap<>();
    /** One native tokenizer per model directory, shared by every renderer setting of that model. */
    private static final Map<String, HfTokenizer> TOKENIZERS = new ConcurrentHashMap<>();

    private final HfTokenizer tokenizer;
    private final TurnRenderer renderer;

    private ExecutorResources(HfTokenizer tokenizer, TurnRenderer renderer) {
        this.tokenizer = tokenizer;
        this.renderer = renderer;
    }

    /** The cached resources for this model/settings, loading them on first use in this JVM. */
    public static ExecutorResources get(String modelDir, boolean enableThinking, LocalDate chatDate,
            TurnRenderer.Factory factory) {
        if (!new RunPath(modelDir).isLocal()) { // base_model on s3a://, hdfs://...: this node's local copy
            modelDir = ModelFolders.local(ModelFolders.taskConf(), modelDir, "base_model").toString();
        }
        Key key = new Key(Path.of(modelDir).toAbsolutePath().normalize().toString(), enableThinking, chatDate,
                factory.getClass().getName());
        return CACHE.computeIfAbsent(key, k -> {
            Path dir = Path.of(k.modelDir());
            // Tokenizer first: a missing tokenizer.json is the commoner mistake and its error names the file.
            HfTokenizer tokenizer = TOKENIZERS.computeIfAbsent(k.modelDir(), d -> HfTokenizer.load(Path.of(d)));
            TurnRenderer renderer = factory.create(dir, enableThinking, chatDate);
            return new ExecutorResources(tokenizer, renderer);
        });
    }

    /** Number of loaded entries in this JVM (for tests: proves reuse across tasks). */
    public static int cachedCount() {
        return CACHE.size();
    }

    public HfTokenizer tokenizer() {
        return tokenizer;
    }

    public TurnRenderer renderer() {
        return renderer;
    }

    private record Key(String modelDir, boolean enableThinking, LocalDate chatDate, String factoryClass) {}
}
