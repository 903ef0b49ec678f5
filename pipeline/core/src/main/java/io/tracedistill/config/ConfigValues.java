package io.tracedistill.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tracedistill.contract.PyText;

import java.math.BigInteger;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.Collection;
import java.util.Date;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Python semantics for the plain Java values SnakeYAML's safe constructor produces
 * ({@code null}, Boolean, Integer/Long/BigInteger, Double, String, java.util.Date, byte[],
 * List, Set, Map): {@code type(x).__name__}, truthiness, {@code repr}, {@code str}, and the
 * {@code <}/{@code <=} comparisons the reference's {@code load_config} performs.
 */
final class ConfigValues {

    private ConfigValues() {
    }

    static boolean isInt(Object o) {
        return o instanceof Integer || o instanceof Long || o instanceof BigInteger || o instanceof Short
                || o instanceof Byte;
    }

    /** Python {@code type(o).__name__}. */
    static String typeName(Object o) {
        if (o == null) {
            return "NoneType";
        }
        if (o instanceof Boolean) {
            return "bool";
        }
        if (isInt(o)) {
            return "int";
        }
        if (o instanceof Double || o instanceof Float) {
            return "float";
        }
        if (o instanceof String) {
            return "str";
        }
        if (o instanceof Map) {
            return "dict";
        }
        if (o instanceof Set) {
            return "set";
        }
        if (o instanceof List) {
            return "list";
        }
        if (o instanceof byte[]) {
            return "bytes";
        }
        if (o instanceof Date d) {
            return isMidnightUtc(d) ? "datetime.date" : "datetime.datetime";
        }
        return o.getClass().getSimpleName();
    }

    /** {@code type(o).__name__} without the module, as in {@code "got list"}. */
    static String shortTypeName(Object o) {
        String t = typeName(o);
        return t.startsWith("datetime.") ? t.substring("datetime.".length()) : t;
    }

    private static boolean isMidnightUtc(Date d) {
        ZonedDateTime z = d.toInstant().atZone(ZoneOffset.UTC);
        return z.getHour() == 0 && z.getMinute() == 0 && z.getSecond() == 0 && z.getNano() == 0;
    }

    static LocalDate toLocalDate(Date d) {
        return d.toInstant().atZone(ZoneOffset.UTC).toLocalDate();
    }

    /** Python {@code bool(o)}. */
    static boolean truthy(Object o) {
        if (o == null) {
            return false;
        }
        if (o instanceof Boolean b) {
            return b;
        }
        if (o instanceof BigInteger bi) {
            return bi.signum() != 0;
        }
        if (isInt(o)) {
            return ((Number) o).longValue() != 0;
        }
        if (o instanceof Double || o instanceof Float) {
            return ((Number) o).doubleValue() != 0.0; // NaN is truthy, as in Python
        }
        if (o instanceof String s) {
            return !s.isEmpty();
        }
        if (o instanceof Collection<?> c) {
            return !c.isEmpty();
        }
        if (o instanceof Map<?, ?> m) {
            return !m.isEmpty();
        }
        if (o instanceof byte[] b) {
            return b.length != 0;
        }
        return true;
    }

    /** Python {@code repr(o)}. */
    static String repr(Object o) {
        if (o instanceof byte[] b) {
            return bytesRepr(b);
        }
        if (o instanceof Date d) {
            LocalDate ld = toLocalDate(d);
            if (isMidnightUtc(d)) {
                return "datetime.date(" + ld.getYear() + ", " + ld.getMonthValue() + ", " + ld.getDayOfMonth() + ")";
            }
            return "datetime.datetime(" + d.toInstant() + ")";
        }
        if (o instanceof Set<?> s) {
            if (s.isEmpty()) {
                return "set()";
            }
            StringBuilder sb = new StringBuilder("{");
            Iterator<?> it = s.iterator();
            while (it.hasNext()) {
                sb.append(repr(it.next())).append(it.hasNext() ? ", " : "");
            }
            return sb.append('}').toString();
        }
        if (o instanceof List<?> l) {
            StringBuilder sb = new StringBuilder("[");
            for (int i = 0; i < l.size(); i++) {
                sb.append(i == 0 ? "" : ", ").append(repr(l.get(i)));
            }
            return sb.append(']').toString();
        }
        if (o instanceof Map<?, ?> m) {
            StringBuilder sb = new StringBuilder("{");
            boolean first = true;
            for (Map.Entry<?, ?> e : m.entrySet()) {
                sb.append(first ? "" : ", ").append(repr(e.getKey())).append(": ").append(repr(e.getValue()));
                first = false;
            }
            return sb.append('}').toString();
        }
        return PyText.reprObject(o);
    }

    /**
     * Python {@code repr(bytes)} ({@code !!binary} values): {@code b'hi'}, double quotes when the bytes
     * hold a single quote and no double quote, {@code \\xNN} for bytes outside printable ASCII.
     */
    private static String bytesRepr(byte[] b) {
        boolean hasSingle = false;
        boolean hasDouble = false;
        for (byte x : b) {
            hasSingle |= x == '\'';
            hasDouble |= x == '"';
        }
        char quote = hasSingle && !hasDouble ? '"' : '\'';
        StringBuilder sb = new StringBuilder("b").append(quote);
        for (byte x : b) {
            int c = x & 0xFF;
            if (c == quote || c == '\\') {
                sb.append('\\').append((char) c);
            } else if (c == '\t') {
                sb.append("\\t");
            } else if (c == '\n') {
                sb.append("\\n");
            } else if (c == '\r') {
                sb.append("\\r");
            } else if (c < 0x20 || c >= 0x7f) {
                sb.append(String.format("\\x%02x", c));
            } else {
                sb.append((char) c);
            }
        }
        return sb.append(quote).toString();
    }

    /** Python {@code str(o)}. */
    static String str(Object o) {
        if (o instanceof String s) {
            return s;
        }
        if (o instanceof Date d && isMidnightUtc(d)) {
            return toLocalDate(d).toString();
        }
        return repr(o);
    }

    /** Kind used for Python ordering: values of different kinds cannot be compared with {@code <}. */
    private static String orderKind(Object o) {
        if (o instanceof Boolean || isInt(o) || o instanceof Double || o instanceof Float) {
            return "number";
        }
        return typeName(o);
    }

    /** Whether Python {@code sorted(values)} succeeds (no {@code TypeError}). */
    static boolean sortable(Collection<?> values) {
        if (values.size() < 2) {
            return true;
        }
        String kind = null;
        for (Object v : values) {
            String k = orderKind(v);
            if (k.equals("NoneType") || k.equals("dict")) {
                return false; // None and dict support no ordering at all
            }
            if (kind == null) {
                kind = k;
            } else if (!kind.equals(k)) {
                return false;
            }
        }
        return true;
    }

    /** Python {@code sorted(values)} for a {@link #sortable} collection. */
    static List<Object> sorted(Collection<?> values) {
        List<Object> out = new java.util.ArrayList<>(values);
        out.sort(ConfigValues::compare);
        return out;
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static int compare(Object a, Object b) {
        if (a instanceof String sa && b instanceof String sb) {
            return PyText.compareCodePoints(sa, sb);
        }
        if (orderKind(a).equals("number")) {
            return Double.compare(asDouble(a), asDouble(b));
        }
        if (a instanceof Comparable ca) {
            return ca.compareTo(b);
        }
        return 0;
    }

    /** A bool/int/float as a double (Python numeric promotion). */
    static double asDouble(Object o) {
        if (o instanceof Boolean b) {
            return b ? 1.0 : 0.0;
        }
        return ((Number) o).doubleValue();
    }

    /** Python {@code o <= 0}; {@code null} when Python raises {@code TypeError}. NaN gives false. */
    static Boolean lessOrEqualZero(Object o) {
        if (o instanceof Boolean || isInt(o) || o instanceof Double || o instanceof Float) {
            if (o instanceof BigInteger bi) {
                return bi.signum() <= 0;
            }
            return asDouble(o) <= 0.0;
        }
        return null;
    }

    /**
     * A value as YAML that both SnakeYAML and PyYAML read back as the same value: strings in
     * JSON double-quote syntax, floats always with a dot ({@code 5.0e-06}; {@code 5e-06} would be
     * a string in YAML 1.1), lists in flow style.
     */
    static String yamlScalar(Object v) {
        if (v == null) {
            return "null";
        }
        if (v instanceof Boolean b) {
            return b ? "true" : "false";
        }
        if (v instanceof Double d) {
            if (Double.isNaN(d)) {
                return ".nan";
            }
            if (Double.isInfinite(d)) {
                return d > 0 ? ".inf" : "-.inf";
            }
            String r = PyText.floatRepr(d);
            int e = r.indexOf('e');
            if (e >= 0 && r.lastIndexOf('.', e) < 0) {
                r = r.substring(0, e) + ".0" + r.substring(e); // 5e-06 -> 5.0e-06 (YAML 1.1 float)
            }
            return r;
        }
        if (v instanceof Number n) {
            return n.toString();
        }
        if (v instanceof List<?> l) {
            StringBuilder sb = new StringBuilder("[");
            for (int i = 0; i < l.size(); i++) {
                sb.append(i == 0 ? "" : ", ").append(yamlScalar(l.get(i)));
            }
            return sb.append(']').toString();
        }
        try {
            // JSON string syntax is valid YAML double-quoted scalar syntax
            return new ObjectMapper().writeValueAsString(v.toString());
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
