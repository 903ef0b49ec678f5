package io.tracedistill.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/** Test helpers: fixture paths (pipeline/testdata/fixtures, copied to test-classes/fixtures by the pom), JSON and array conversion. */
public final class Fixtures {
    private static final Map<Path, JsonNode> JSON_CACHE = new HashMap<>();

    private Fixtures() {
    }

    public static Path dir(String relative) {
        try {
            return Path.of(Fixtures.class.getResource("/fixtures/" + relative).toURI());
        } catch (URISyntaxException | NullPointerException e) {
            throw new IllegalStateException("Missing test resource fixtures/" + relative, e);
        }
    }

    public static synchronized JsonNode json(String relative) {
        Path p = dir(relative);
        return JSON_CACHE.computeIfAbsent(p, q -> {
            try {
                return new ObjectMapper().readTree(q.toFile());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    public static int[] ints(JsonNode arr) {
        int[] out = new int[arr.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = arr.get(i).asInt();
        }
        return out;
    }

    /** A JSON list of equal-length int lists as an int64 {@code [rows, cols]} array. */
    public static NDArray ints2d(JsonNode rows, NDManager m) {
        int r = rows.size();
        int c = rows.get(0).size();
        long[] flat = new long[r * c];
        for (int i = 0; i < r; i++) {
            for (int j = 0; j < c; j++) {
                flat[i * c + j] = rows.get(i).get(j).asLong();
            }
        }
        return m.create(flat, new Shape(r, c));
    }

    public static NDArray row(int[] ids, NDManager m) {
        long[] l = new long[ids.length];
        for (int i = 0; i < ids.length; i++) {
            l[i] = ids[i];
        }
        return m.create(l, new Shape(1, ids.length));
    }

    /** {@code [T, V]} JSON logits as doubles. */
    public static double[][] matrix(JsonNode rows) {
        double[][] out = new double[rows.size()][];
        for (int i = 0; i < out.length; i++) {
            JsonNode r = rows.get(i);
            out[i] = new double[r.size()];
            for (int j = 0; j < out[i].length; j++) {
                out[i][j] = r.get(j).asDouble();
            }
        }
        return out;
    }

    /** Row {@code b} of {@code [B, T, V]} logits as float[T][V]. */
    public static float[][] logitsRow(NDArray logits, int b) {
        Shape s = logits.getShape();
        int t = (int) s.get(1);
        int v = (int) s.get(2);
        float[] flat = logits.get(b).toType(DataType.FLOAT32, false).toFloatArray();
        float[][] out = new float[t][v];
        for (int i = 0; i < t; i++) {
            System.arraycopy(flat, i * v, out[i], 0, v);
        }
        return out;
    }

    /** Largest |a - b| over rows {@code [from, to)} of actual vs expected rows {@code [eFrom, ...)}. */
    public static double maxAbsDiff(float[][] actual, int from, int to, double[][] expected, int eFrom) {
        double max = 0;
        for (int i = from; i < to; i++) {
            for (int j = 0; j < expected[eFrom + i - from].length; j++) {
                max = Math.max(max, Math.abs(actual[i][j] - expected[eFrom + i - from][j]));
            }
        }
        return max;
    }
}
