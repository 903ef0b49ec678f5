package io.tracedistill.jobs.notebooks;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A Zeppelin note ({@code .zpln}, the Zeppelin 0.10/0.11 note JSON) reduced to what the notebook test runs: its
 * name and its paragraphs' titles and texts, in order.
 *
 * <p>A paragraph's text starts with the interpreter binding ({@code %spark}, {@code %md}, ...) on its own first line,
 * as Zeppelin stores it; {@link Paragraph#interpreter()} and {@link Paragraph#code()} split it. Reference: Zeppelin's
 * {@code org.apache.zeppelin.notebook.Note}/{@code Paragraph} JSON (fields {@code name}, {@code paragraphs[].title},
 * {@code paragraphs[].text}).
 */
public record ZeppelinNote(Path file, String name, List<Paragraph> paragraphs) {

    /** One paragraph: its id, title (may be empty) and full text including the {@code %interpreter} line. */
    public record Paragraph(String id, String title, String text) {
        public Paragraph {
            Objects.requireNonNull(text, "text");
        }

        /** The interpreter binding without {@code %} ({@code spark}, {@code md}, ...); empty when the text has none. */
        public String interpreter() {
            String first = text.strip().lines().findFirst().orElse("");
            return first.startsWith("%") ? first.substring(1).strip() : "";
        }

        /** The text after the {@code %interpreter} line (the whole text when it has none). */
        public String code() {
            if (interpreter().isEmpty()) {
                return text;
            }
            String t = text.stripLeading();
            int nl = t.indexOf('\n');
            return nl < 0 ? "" : t.substring(nl + 1);
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * Reads a {@code .zpln} file.
     *
     * @throws IllegalArgumentException naming the file when it is not a note (no {@code paragraphs} array, or a
     *     paragraph without {@code text})
     */
    public static ZeppelinNote read(Path file) {
        JsonNode root;
        try {
            root = JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read Zeppelin note " + file + ": " + e.getMessage(), e);
        }
        JsonNode paragraphs = root.path("paragraphs");
        if (!paragraphs.isArray()) {
            throw new IllegalArgumentException("Zeppelin note " + file
                    + " has no 'paragraphs' array; is it a .zpln note exported from Zeppelin 0.10+?");
        }
        List<Paragraph> out = new ArrayList<>();
        for (int i = 0; i < paragraphs.size(); i++) {
            JsonNode p = paragraphs.get(i);
            if (!p.path("text").isTextual()) {
                throw new IllegalArgumentException("Zeppelin note " + file + ": paragraph " + i + " (id "
                        + p.path("id").asText("?") + ") has no 'text' string");
            }
            out.add(new Paragraph(p.path("id").asText(""), p.path("title").asText(""), p.get("text").asText()));
        }
        return new ZeppelinNote(file, root.path("name").asText(file.getFileName().toString()), List.copyOf(out));
    }

    /** The paragraphs bound to {@code interpreter} (e.g. {@code spark}), in note order. */
    public List<Paragraph> paragraphsFor(String interpreter) {
        return paragraphs.stream().filter(p -> p.interpreter().equals(interpreter)).toList();
    }

    /**
     * This note with the text of the paragraph titled {@code title} replaced.
     *
     * @throws IllegalArgumentException naming the note and the titles it has when no paragraph has that title
     */
    public ZeppelinNote withParagraphText(String title, String newText) {
        List<Paragraph> out = new ArrayList<>();
        boolean found = false;
        for (Paragraph p : paragraphs) {
            if (p.title().equals(title)) {
                out.add(new Paragraph(p.id(), p.title(), newText));
                found = true;
            } else {
                out.add(p);
            }
        }
        if (!found) {
            throw new IllegalArgumentException("Zeppelin note " + file + " has no paragraph titled '" + title
                    + "'; its titles are " + paragraphs.stream().map(Paragraph::title).toList());
        }
        return new ZeppelinNote(file, name, List.copyOf(out));
    }
}
