package io.tracedistill.jobs.notebooks;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads a Databricks notebook in source format ({@code .scala}: first line {@code // Databricks notebook source},
 * cells separated by {@code // COMMAND ----------}, an optional {@code // DBTITLE 1,<title>} line, Markdown cells as
 * {@code // MAGIC %md} lines) into the paragraph model of {@link ZeppelinNote}: a code cell becomes a {@code %spark}
 * paragraph, a Markdown cell an {@code %md} one, so both kinds of note run through the same test.
 */
public final class DatabricksNotebook {
    public static final String HEADER = "// Databricks notebook source";
    private static final String SEPARATOR = "// COMMAND ----------";
    private static final String TITLE = "// DBTITLE 1,";
    private static final String MAGIC = "// MAGIC";

    private DatabricksNotebook() {}

    /**
     * @throws IllegalArgumentException naming the file when its first line is not the source-format header, or a
     *     cell mixes {@code // MAGIC} lines with code
     */
    public static ZeppelinNote read(Path file) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read Databricks notebook " + file + ": " + e.getMessage(), e);
        }
        if (!text.startsWith(HEADER + "\n")) {
            throw new IllegalArgumentException(file + " is not a Databricks source-format notebook: its first line must be '"
                    + HEADER + "'");
        }
        List<ZeppelinNote.Paragraph> paragraphs = new ArrayList<>();
        List<String> cell = new ArrayList<>();
        List<String> lines = text.substring(HEADER.length() + 1).lines().toList();
        for (String line : lines) {
            if (line.equals(SEPARATOR)) {
                paragraphs.add(paragraph(file, paragraphs.size(), cell));
                cell.clear();
            } else {
                cell.add(line);
            }
        }
        paragraphs.add(paragraph(file, paragraphs.size(), cell));
        String name = file.getFileName().toString();
        return new ZeppelinNote(file, name.substring(0, name.length() - ".scala".length()), List.copyOf(paragraphs));
    }

    private static ZeppelinNote.Paragraph paragraph(Path file, int index, List<String> cellLines) {
        List<String> body = new ArrayList<>(cellLines);
        while (!body.isEmpty() && body.get(0).isBlank()) {
            body.remove(0);
        }
        while (!body.isEmpty() && body.get(body.size() - 1).isBlank()) {
            body.remove(body.size() - 1);
        }
        String title = "";
        if (!body.isEmpty() && body.get(0).startsWith(TITLE)) {
            title = body.remove(0).substring(TITLE.length());
        }
        String id = "cell-" + index;
        if (!body.isEmpty() && body.get(0).startsWith(MAGIC)) {
            StringBuilder md = new StringBuilder();
            for (String l : body) {
                if (!l.startsWith(MAGIC)) {
                    throw new IllegalArgumentException(file + ": cell " + index + " (" + title
                            + ") mixes // MAGIC lines with code: '" + l + "'");
                }
                md.append(l.length() > MAGIC.length() ? l.substring(MAGIC.length() + 1) : "").append('\n');
            }
            return new ZeppelinNote.Paragraph(id, title, md.toString());
        }
        return new ZeppelinNote.Paragraph(id, title, "%spark\n" + String.join("\n", body) + "\n");
    }
}
