package io.tracedistill.chat.jinja;

import io.tracedistill.python.PyObjects;
import io.tracedistill.python.PyText;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Python {@code json.dumps(x, ensure_ascii=False, indent=..., separators=..., sort_keys=...)}, the {@code tojson}
 * filter transformers installs: separators {@code ", "} / {@code ": "} (with an indent: {@code ","} and newline plus
 * indent per level), non-ASCII written raw, keys in insertion order, ints without {@code .0}, floats as Python repr,
 * {@code NaN}/{@code Infinity}.
 */
final class PyJson {

    private PyJson() {}

    /**
     * @param ensureAscii escape every non-ASCII character as {@code \\uXXXX} (surrogate pairs beyond the BMP)
     * @param indent {@code null} for one line; an int (spaces) or a string per level
     * @param separators {@code null} or a 2-list {@code [item_sep, key_sep]}
     */
    static String dumps(Object value, boolean ensureAscii, Object indent, Object separators, boolean sortKeys) {
        String indentStr = null;
        if (indent != null && !(indent instanceof Undefined)) {
            if (indent instanceof String s) {
                indentStr = s;
            } else if (Py.isIntLike(indent)) {
                indentStr = " ".repeat(Math.max(0, Py.toIndex(indent, "indent")));
            } else {
                throw PyError.typeError("indent must be an int or a str, not " + Py.typeName(indent));
            }
        }
        String itemSep = indentStr == null ? ", " : ",";
        String keySep = ": ";
        if (separators != null && !(separators instanceof Undefined)) {
            List<Object> seps = Py.iterate(separators);
            if (seps.size() != 2) {
                throw PyError.valueError("separators must be a (item_separator, key_separator) pair");
            }
            itemSep = Py.str(seps.get(0));
            keySep = Py.str(seps.get(1));
        }
        StringBuilder sb = new StringBuilder();
        write(sb, value, ensureAscii, indentStr, itemSep, keySep, sortKeys, 0);
        return sb.toString();
    }

    private static void write(StringBuilder sb, Object v, boolean ascii, String indent, String itemSep, String keySep,
            boolean sortKeys, int level) {
        if (v == null) {
            sb.append("null");
        } else if (v instanceof Boolean b) {
            sb.append(b ? "true" : "false");
        } else if (v instanceof Long || v instanceof BigInteger) {
            sb.append(v);
        } else if (v instanceof Double d) {
            sb.append(floatJson(d));
        } else if (v instanceof String s) {
            string(sb, s, ascii);
        } else if (v instanceof List<?> l) {
            if (l.isEmpty()) {
                sb.append("[]");
                return;
            }
            sb.append('[');
            for (int i = 0; i < l.size(); i++) {
                if (i > 0) {
                    sb.append(itemSep);
                }
                newline(sb, indent, level + 1);
                write(sb, l.get(i), ascii, indent, itemSep, keySep, sortKeys, level + 1);
            }
            newline(sb, indent, level);
            sb.append(']');
        } else if (v instanceof Map<?, ?> m) {
            if (m.isEmpty()) {
                sb.append("{}");
                return;
            }
            List<Map.Entry<?, ?>> entries = new ArrayList<>(m.entrySet());
            if (sortKeys) {
                entries.sort((a, b) -> Py.compare(a.getKey(), b.getKey(), "<"));
            }
            sb.append('{');
            boolean first = true;
            for (Map.Entry<?, ?> e : entries) {
                if (!first) {
                    sb.append(itemSep);
                }
                first = false;
                newline(sb, indent, level + 1);
                string(sb, key(e.getKey()), ascii);
                sb.append(keySep);
                write(sb, e.getValue(), ascii, indent, itemSep, keySep, sortKeys, level + 1);
            }
            newline(sb, indent, level);
            sb.append('}');
        } else {
            throw PyError.typeError("Object of type " + Py.typeName(v) + " is not JSON serializable");
        }
    }

    private static String key(Object k) {
        if (k instanceof String s) {
            return s;
        }
        if (k == null) {
            return "null";
        }
        if (k instanceof Boolean b) {
            return b ? "true" : "false";
        }
        if (k instanceof Double d) {
            return floatJson(d);
        }
        if (PyObjects.isInt(k)) {
            return k.toString();
        }
        throw PyError.typeError("keys must be str, int, float, bool or None, not " + Py.typeName(k));
    }

    private static String floatJson(double d) {
        if (Double.isNaN(d)) {
            return "NaN";
        }
        if (Double.isInfinite(d)) {
            return d > 0 ? "Infinity" : "-Infinity";
        }
        return PyText.floatRepr(d);
    }

    private static void newline(StringBuilder sb, String indent, int level) {
        if (indent != null) {
            sb.append('\n').append(indent.repeat(level));
        }
    }

    /** {@code json.encoder.py_encode_basestring}: escapes {@code " \ \n \r \t \b \f} and other controls as \\u00XX. */
    static void string(StringBuilder sb, String s, boolean ascii) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                case '\b' -> sb.append("\\b");
                case '\f' -> sb.append("\\f");
                default -> {
                    if (c < 0x20 || (ascii && c > 0x7e)) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        sb.append('"');
    }
}
