package io.tracedistill.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.stream.Stream;

/**
 * A {@link TokenShardReader} over JSON-Lines token shards: one file, or a directory whose
 * {@code *.jsonl} files (sorted by name, hidden and {@code _}-prefixed files skipped, as Spark
 * writes them) hold one object per line with the token-shard columns {@code position},
 * {@code type}, {@code input_ids} and {@code labels} (other columns are ignored).
 *
 * <p>Rows are returned sorted by {@code position}, so the file split does not matter; a duplicate
 * position is an error. The shard is read once, on first use, and kept in memory (token ids only).
 */
public final class JsonlTokenShardReader implements TokenShardReader {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final Path path;
    private List<TokenExample> examples;

    public JsonlTokenShardReader(Path fileOrDirectory) {
        this.path = fileOrDirectory;
    }

    @Override
    public synchronized Iterator<TokenExample> open() {
        if (examples == null) {
            examples = load(path);
        }
        return examples.iterator();
    }

    @Override
    public long count() {
        open();
        return examples.size();
    }

    private static List<TokenExample> load(Path path) {
        List<Path> files = new ArrayList<>();
        if (Files.isDirectory(path)) {
            try (Stream<Path> s = Files.list(path)) {
                s.filter(p -> p.getFileName().toString().endsWith(".jsonl"))
                        .filter(p -> !p.getFileName().toString().startsWith(".")
                                && !p.getFileName().toString().startsWith("_"))
                        .sorted()
                        .forEach(files::add);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot list token shard directory " + path, e);
            }
        } else if (Files.isRegularFile(path)) {
            files.add(path);
        } else {
            throw new IllegalArgumentException("token shard " + path + " does not exist; run the tokenize stage first");
        }
        List<TokenExample> out = new ArrayList<>();
        for (Path f : files) {
            try (BufferedReader r = Files.newBufferedReader(f, StandardCharsets.UTF_8)) {
                String line;
                int lineNo = 0;
                while ((line = r.readLine()) != null) {
                    lineNo++;
                    if (line.isBlank()) {
                        continue;
                    }
                    out.add(parse(line, f, lineNo));
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read token shard " + f, e);
            }
        }
        out.sort(Comparator.comparingLong(TokenExample::position));
        for (int i = 1; i < out.size(); i++) {
            if (out.get(i).position() == out.get(i - 1).position()) {
                throw new IllegalArgumentException("token shard " + path + " has position " + out.get(i).position()
                        + " twice; re-run the tokenize stage into an empty directory");
            }
        }
        return List.copyOf(out);
    }

    private static TokenExample parse(String line, Path file, int lineNo) {
        return parseLine(line, file + " line " + lineNo);
    }

    /**
     * One token-shard JSON line ({@code position}, {@code type}, {@code input_ids}, {@code labels}; other
     * keys ignored); {@code where} (file and line) leads every error message. Also used by the Spark
     * module's executor-side reader.
     */
    public static TokenExample parseLine(String line, String where) {
        JsonNode n;
        try {
            n = JSON.readTree(line);
        } catch (IOException e) {
            throw new IllegalArgumentException(where + " is not valid JSON: " + e.getMessage(), e);
        }
        JsonNode pos = require(n, "position", where);
        if (!pos.canConvertToLong() || !pos.isIntegralNumber()) {
            throw new IllegalArgumentException(where + ": position must be an integer but was " + pos);
        }
        JsonNode type = n.get("type");
        return new TokenExample(pos.asLong(), type == null || type.isNull() ? null : type.asText(),
                ints(require(n, "input_ids", where), "input_ids", where),
                ints(require(n, "labels", where), "labels", where));
    }

    private static JsonNode require(JsonNode n, String key, String where) {
        JsonNode v = n.get(key);
        if (v == null || v.isNull()) {
            throw new IllegalArgumentException(where + ": missing column " + key + " (token shard columns: position, type, input_ids, labels)");
        }
        return v;
    }

    private static int[] ints(JsonNode arr, String key, String where) {
        if (!arr.isArray()) {
            throw new IllegalArgumentException(where + ": " + key + " must be an array of integers but was " + arr.getNodeType());
        }
        int[] out = new int[arr.size()];
        for (int i = 0; i < out.length; i++) {
            JsonNode v = arr.get(i);
            if (!v.isInt()) {
                throw new IllegalArgumentException(where + ": " + key + "[" + i + "] must be a 32-bit integer but was " + v);
            }
            out[i] = v.intValue();
        }
        return out;
    }
}
