package io.tracedistill.tokens;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.huggingface.tokenizers.jni.CharSpan;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Objects;

/**
 * A Hugging Face fast tokenizer loaded from a local {@code tokenizer.json} through DJL's Rust bindings
 * ({@code ai.djl.huggingface.tokenizers}), behaving like the reference's
 * {@code tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)}.
 *
 * <p>Settings and why:
 * <ul>
 *   <li>{@code add_special_tokens=false}: the reference's masking never lets the post-processor add BOS/EOS (Qwen adds
 *       none anyway; Llama's would add {@code <s>}). Special tokens written in the rendered chat text are still matched
 *       as added tokens.</li>
 *   <li>No truncation and no padding in the tokenizer: {@link CompletionMasker} truncates (keep the start), and the
 *       trainer's collator pads.</li>
 *   <li>Offsets: DJL encodes with {@code encode_char_offsets}, i.e. spans in Unicode code points like Python's; they are
 *       converted here to Java {@code String} (UTF-16) indices so that {@code span.start >= prompt.length()} holds for
 *       exactly the tokens Python selects with {@code start >= len(prompt)}.</li>
 * </ul>
 * Nothing is downloaded: only the given file is read, and DJL's native library ships inside its jar (linux-x86_64,
 * linux-aarch64, osx-aarch64, win-x86_64) and is extracted to {@code ~/.djl.ai} on first use.
 *
 * <p>Thread-safe: {@link #encode} only reads the native tokenizer. Close it to free the native handle.
 */
public final class HfTokenizer implements TextTokenizer, AutoCloseable {

    /** File name of a HF fast tokenizer inside a model directory. */
    public static final String TOKENIZER_FILE = "tokenizer.json";

    private final HuggingFaceTokenizer tokenizer;
    private final Path file;
    private final String fingerprint;

    private HfTokenizer(HuggingFaceTokenizer tokenizer, Path file, String fingerprint) {
        this.tokenizer = tokenizer;
        this.file = file;
        this.fingerprint = fingerprint;
    }

    /**
     * Loads {@code tokenizer.json}, given either as the file itself or as the model directory holding it.
     *
     * @throws IllegalArgumentException naming the path when the file is missing or is not a valid tokenizer
     */
    public static HfTokenizer load(Path tokenizerJsonOrModelDir) {
        Objects.requireNonNull(tokenizerJsonOrModelDir, "tokenizerJsonOrModelDir");
        Path file = Files.isDirectory(tokenizerJsonOrModelDir)
                ? tokenizerJsonOrModelDir.resolve(TOKENIZER_FILE)
                : tokenizerJsonOrModelDir;
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("No tokenizer file at " + file.toAbsolutePath()
                    + ": the model directory must contain a Hugging Face fast tokenizer '" + TOKENIZER_FILE
                    + "' (save it with tokenizer.save_pretrained(dir); slow-only tokenizers are not supported).");
        }
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read tokenizer file " + file.toAbsolutePath(), e);
        }
        HuggingFaceTokenizer djl;
        try {
            djl = HuggingFaceTokenizer.builder()
                    .optTokenizerPath(file)
                    .optAddSpecialTokens(false)
                    .optTruncation(false)
                    .optPadding(false)
                    .build();
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException("Cannot load tokenizer " + file.toAbsolutePath()
                    + " with the Hugging Face tokenizers library: " + e.getMessage()
                    + ". Check that it is a valid tokenizer.json written by the 'tokenizers' package.", e);
        }
        return new HfTokenizer(djl, file, "sha256:" + sha256(bytes));
    }

    @Override
    public Encoding encode(String text) {
        Objects.requireNonNull(text, "text");
        ai.djl.huggingface.tokenizers.Encoding encoded = tokenizer.encode(text, false, false);
        long[] longIds = encoded.getIds();
        CharSpan[] spans = encoded.getCharTokenSpans();
        int n = longIds.length;
        int[] ids = new int[n];
        int[] starts = new int[n];
        int[] ends = new int[n];
        int[] utf16Index = codePointToUtf16Index(text);
        for (int i = 0; i < n; i++) {
            ids[i] = Math.toIntExact(longIds[i]);
            CharSpan span = spans[i];
            if (span == null) {
                // No source text for this token (only possible for post-processor tokens): empty span, masked.
                starts[i] = 0;
                ends[i] = 0;
            } else {
                starts[i] = toUtf16(utf16Index, span.getStart());
                ends[i] = toUtf16(utf16Index, span.getEnd());
            }
        }
        return Encoding.withOffsets(ids, starts, ends);
    }

    /** Token ids only (no span conversion): what a plain {@code encode} costs, for benchmarks. */
    public int[] encodeIds(String text) {
        long[] longIds = tokenizer.encode(text, false, false).getIds();
        int[] ids = new int[longIds.length];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = Math.toIntExact(longIds[i]);
        }
        return ids;
    }

    @Override
    public String tokenText(int id) {
        return tokenizer.decode(new long[] {id}, false);
    }

    @Override
    public String decode(int[] ids) {
        long[] l = new long[ids.length];
        for (int i = 0; i < ids.length; i++) {
            l[i] = ids[i];
        }
        return tokenizer.decode(l, false);
    }

    /** The {@code tokenizer.json} this tokenizer was loaded from. */
    public Path file() {
        return file;
    }

    /** {@code sha256:<hex>} of the {@code tokenizer.json} bytes, for manifests. */
    public String fingerprint() {
        return fingerprint;
    }

    @Override
    public void close() {
        tokenizer.close();
    }

    /**
     * Maps code point index {@code k} (0..count inclusive) to its UTF-16 index; {@code null} when the text has no
     * surrogates, in which case both indices are equal.
     */
    private static int[] codePointToUtf16Index(String text) {
        boolean hasSurrogate = false;
        for (int i = 0; i < text.length(); i++) {
            if (Character.isSurrogate(text.charAt(i))) {
                hasSurrogate = true;
                break;
            }
        }
        if (!hasSurrogate) {
            return null;
        }
        int count = text.codePointCount(0, text.length());
        int[] map = new int[count + 1];
        int utf16 = 0;
        for (int k = 0; k < count; k++) {
            map[k] = utf16;
            utf16 += Character.charCount(text.codePointAt(utf16));
        }
        map[count] = utf16;
        return map;
    }

    private static int toUtf16(int[] map, int codePointIndex) {
        if (map == null) {
            return codePointIndex;
        }
        return map[Math.min(codePointIndex, map.length - 1)];
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    @Override
    public String toString() {
        return "HfTokenizer{" + file + ", " + fingerprint + "}";
    }
}
