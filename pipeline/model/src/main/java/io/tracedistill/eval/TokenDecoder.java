package io.tracedistill.eval;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Token ids → text, as vLLM / transformers return a completion: {@code tokenizer.decode(ids,
 * skip_special_tokens=True)} (the eos token and any other special token are dropped; byte-level pieces are joined
 * before UTF-8 decoding, so a character split over several tokens comes out whole).
 *
 * <p>Uses DJL's Rust tokenizer bindings on the model's {@code tokenizer.json}; thread-safe (decode only reads).
 */
public final class TokenDecoder implements AutoCloseable {
    private final HuggingFaceTokenizer tokenizer;

    private TokenDecoder(HuggingFaceTokenizer tokenizer) {
        this.tokenizer = tokenizer;
    }

    /** Loads {@code tokenizer.json} from a model directory. */
    public static TokenDecoder load(Path modelDir) {
        Path file = Files.isDirectory(modelDir) ? modelDir.resolve("tokenizer.json") : modelDir;
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("No tokenizer file at " + file.toAbsolutePath()
                    + ": the base_model directory must contain tokenizer.json to decode eval outputs");
        }
        try {
            return new TokenDecoder(HuggingFaceTokenizer.builder().optTokenizerPath(file)
                    .optAddSpecialTokens(false).optTruncation(false).optPadding(false).build());
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot load tokenizer " + file.toAbsolutePath() + ": " + e.getMessage(), e);
        }
    }

    /** The text of {@code ids} with special tokens skipped. */
    public String decode(int[] ids) {
        long[] l = new long[ids.length];
        for (int i = 0; i < ids.length; i++) {
            l[i] = ids[i];
        }
        return tokenizer.decode(l, true);
    }

    @Override
    public void close() {
        tokenizer.close();
    }
}
