package io.tracedistill.python;

import com.fasterxml.jackson.databind.JsonNode;

import java.math.BigInteger;
import java.util.Objects;

/**
 * One cell of a data frame as the Python reference sees it: a value with its Python type.
 *
 * <p>The reference formats cells with {@code str(value)} (for example {@code str(answer)} in
 * {@code formatting.build_record}), so the Java port must know whether a cell was a Python
 * {@code float} ({@code 4.0}), an {@code int} ({@code 4}), a {@code bool} ({@code True}),
 * {@code None} or a {@code str}. {@link #pyStr()} reproduces {@code str(value)} exactly.
 *
 * <p>Reference: CPython 3.11 {@code object.__str__} for the five builtin types; the golden
 * vectors' typed value {@code {t, v, str}} (see {@code golden/README.md}).
 */
public sealed interface PyValue {

    /** Python {@code str(value)}. */
    String pyStr();

    /** Python type name as used by the golden vectors: none, bool, int, float, str. */
    String typeName();

    /** True for a Python float NaN (the reference's pandas missing value). */
    default boolean isNaN() {
        return false;
    }

    /** Python {@code None}. */
    record None() implements PyValue {
        /** The single instance; records cannot enforce it, but callers should use it. */
        public static final None INSTANCE = new None();

        @Override
        public String pyStr() {
            return "None";
        }

        @Override
        public String typeName() {
            return "none";
        }
    }

    /** Python {@code bool}: {@code str(True) == "True"}. */
    record Bool(boolean value) implements PyValue {
        @Override
        public String pyStr() {
            return value ? "True" : "False";
        }

        @Override
        public String typeName() {
            return "bool";
        }
    }

    /** Python {@code int} (arbitrary precision). */
    record Int(BigInteger value) implements PyValue {
        public Int {
            Objects.requireNonNull(value, "value");
        }

        public static Int of(long v) {
            return new Int(BigInteger.valueOf(v));
        }

        @Override
        public String pyStr() {
            return value.toString();
        }

        @Override
        public String typeName() {
            return "int";
        }
    }

    /** Python {@code float}: {@code str} is the shortest round-trip repr, e.g. {@code 4.0}, {@code 1e-07}. */
    record Float(double value) implements PyValue {
        @Override
        public String pyStr() {
            return PyText.floatRepr(value);
        }

        @Override
        public String typeName() {
            return "float";
        }

        @Override
        public boolean isNaN() {
            return Double.isNaN(value);
        }

        // Records compare doubles with Double.compare semantics, so Float(NaN).equals(Float(NaN)),
        // which is what a test wants (Python's nan != nan is irrelevant for cell identity).
    }

    /** Python {@code str}; {@code str(s) == s}. */
    record Str(String value) implements PyValue {
        public Str {
            Objects.requireNonNull(value, "value");
        }

        @Override
        public String pyStr() {
            return value;
        }

        @Override
        public String typeName() {
            return "str";
        }
    }

    /** Python {@code None}. */
    static PyValue none() {
        return None.INSTANCE;
    }

    /** Python {@code str} value. */
    static PyValue str(String s) {
        return new Str(s);
    }

    /**
     * Wraps a plain Java object (as produced by a CSV/Parquet/JSON reader or SnakeYAML) into its
     * Python-typed cell: null → None, Boolean → bool, integral numbers → int, Float/Double → float,
     * CharSequence → str.
     *
     * @throws IllegalArgumentException for any other Java type, naming the type
     */
    static PyValue ofJava(Object o) {
        if (o == null) {
            return None.INSTANCE;
        }
        if (o instanceof PyValue p) {
            return p;
        }
        if (o instanceof Boolean b) {
            return new Bool(b);
        }
        if (o instanceof BigInteger bi) {
            return new Int(bi);
        }
        if (o instanceof Long || o instanceof Integer || o instanceof Short || o instanceof Byte) {
            return new Int(BigInteger.valueOf(((Number) o).longValue()));
        }
        if (o instanceof Double || o instanceof java.lang.Float) {
            return new Float(((Number) o).doubleValue());
        }
        if (o instanceof java.math.BigDecimal bd) {
            return new Float(bd.doubleValue());
        }
        if (o instanceof CharSequence cs) {
            return new Str(cs.toString());
        }
        throw new IllegalArgumentException("Cannot map Java value of type " + o.getClass().getName()
                + " to a Python value; expected null, Boolean, an integral Number, Double or String");
    }

    /**
     * Parses a golden-vector typed value {@code {"t": none|bool|int|float|str, "v": ..., "str": ...}}.
     * A float {@code v} is a Python repr string ({@code "nan"}, {@code "-0.0"}, {@code "1e-07"}).
     *
     * @throws IllegalArgumentException naming the node if {@code t} is unknown or {@code v} malformed
     */
    static PyValue fromGolden(JsonNode node) {
        String t = node.path("t").asText("");
        JsonNode v = node.get("v");
        switch (t) {
            case "none":
                return None.INSTANCE;
            case "bool":
                return new Bool(v.asBoolean());
            case "int":
                return new Int(new BigInteger(v.asText()));
            case "float":
                return new Float(parsePyFloatRepr(v.asText()));
            case "str":
                return new Str(v.asText());
            default:
                throw new IllegalArgumentException("Unknown typed-value kind '" + t + "' in " + node
                        + "; expected one of none, bool, int, float, str");
        }
    }

    /** Parses a Python float repr ({@code nan}, {@code inf}, {@code -inf}, {@code 1e-07}, {@code 4.0}). */
    static double parsePyFloatRepr(String s) {
        switch (s) {
            case "nan":
                return Double.NaN;
            case "inf":
                return Double.POSITIVE_INFINITY;
            case "-inf":
                return Double.NEGATIVE_INFINITY;
            default:
                return Double.parseDouble(s);
        }
    }
}
