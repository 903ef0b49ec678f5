package io.tracedistill.chat;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.LocalDateTime;
import java.util.List;
import java.util.Map;

/** Loads the chat golden vectors (copied from /work/shared/golden) from the test classpath. */
final class ChatGolden {

    static final ObjectMapper MAPPER = new ObjectMapper().enable(DeserializationFeature.USE_BIG_INTEGER_FOR_INTS);

    /** The clock the golden generator froze {@code strftime_now} at. */
    static final LocalDateTime FROZEN_NOW = LocalDateTime.of(2025, 7, 10, 12, 0, 0);

    private ChatGolden() {}

    static JsonNode json(String resource) {
        try (InputStream in = ChatGolden.class.getResourceAsStream("/" + resource)) {
            if (in == null) {
                throw new IllegalStateException("Test resource " + resource + " is missing from src/test/resources");
            }
            return MAPPER.readTree(in);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot parse test resource " + resource, e);
        }
    }

    static List<Map<String, Object>> messages(JsonNode n) {
        return MAPPER.convertValue(n, new TypeReference<List<Map<String, Object>>>() {});
    }

    static Map<String, Object> map(JsonNode n) {
        return MAPPER.convertValue(n, new TypeReference<Map<String, Object>>() {});
    }
}
