package io.tracedistill.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tracedistill.python.PyObjects;
import io.tracedistill.python.PyText;

import java.math.BigInteger;
import java.util.Collection;
import java.util.List;

/**
 * The Python operations of the reference's {@code load_config} on the plain Java values SnakeYAML's safe
 * constructor produces: the {@code <}/{@code <=} comparisons, {@code sorted()}, and writing a value back as
 * YAML. Type names, truthiness, {@code repr} and {@code str} are {@link PyObjects}'.
 */
final class ConfigValues {

    private ConfigValues() {
    }

    /** {@code type(o).__name__} without the module, as in {@code "got list"}. */
    static String shortTypeName(Object o) {
        String t = PyObjects.typeName(o);
        return t.startsWith("datetime.") ? t.substring("datetime.".length()) : t;
    }

    /** Kind used for Python ordering: values of different kinds cannot be compared with {@code <}. */
    private static String orderKind(Object o) {
        if (o instanceof Boolean || PyObjects.isInt(o) || PyObjects.isFloat(o)) {
            return "number";
        }
        return PyObjects.typeName(o);
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
        if (o instanceof Boolean || PyObjects.isInt(o) || PyObjects.isFloat(o)) {
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
