package io.tracedistill.contract;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/** Loads golden vectors copied from /work/shared/golden into src/test/resources/golden. */
public final class GoldenResources {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private GoldenResources() {
    }

    /** The whole golden file {@code golden/<name>}. */
    public static JsonNode load(String name) {
        String resource = "/golden/" + name;
        try (InputStream in = GoldenResources.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("Missing test resource " + resource
                        + "; copy it from /work/shared/golden/" + name);
            }
            return MAPPER.readTree(in);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read " + resource, e);
        }
    }

    /** The elements of array {@code field} of golden file {@code name}, checked against meta.case_count when it is "cases". */
    public static List<JsonNode> cases(String name, String field) {
        JsonNode root = load(name);
        JsonNode arr = root.get(field);
        if (arr == null || !arr.isArray()) {
            throw new IllegalStateException("golden/" + name + " has no array '" + field + "'");
        }
        List<JsonNode> out = new ArrayList<>();
        arr.forEach(out::add);
        if (field.equals("cases") && root.path("meta").has("case_count")
                && root.path("meta").path("case_count").asInt() != out.size()) {
            throw new IllegalStateException("golden/" + name + ": meta.case_count "
                    + root.path("meta").path("case_count").asInt() + " != " + out.size() + " cases");
        }
        return out;
    }

    /** Null for JSON null/absent, else the text. */
    public static String textOrNull(JsonNode n) {
        return n == null || n.isNull() ? null : n.asText();
    }
}
