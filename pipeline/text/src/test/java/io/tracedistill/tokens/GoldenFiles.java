package io.tracedistill.tokens;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Path;

/** Loads test resources (golden vectors and fixtures copied from /work/shared) from the test classpath. */
final class GoldenFiles {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private GoldenFiles() {}

    static JsonNode json(String resource) {
        try (InputStream in = GoldenFiles.class.getResourceAsStream("/" + resource)) {
            if (in == null) {
                throw new IllegalStateException("Test resource " + resource + " is missing from src/test/resources");
            }
            return MAPPER.readTree(in);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot parse test resource " + resource, e);
        }
    }

    static Path path(String resource) {
        try {
            var url = GoldenFiles.class.getResource("/" + resource);
            if (url == null) {
                throw new IllegalStateException("Test resource " + resource + " is missing from src/test/resources");
            }
            return Path.of(url.toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static int[] ints(JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asInt();
        }
        return out;
    }
}
