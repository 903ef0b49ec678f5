package io.tracedistill.python;

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
import java.util.function.Function;

/**
 * CPython 3.11's {@code type(x).__name__}, {@code bool(x)}, {@code repr(x)} and {@code str(x)} for plain Java
 * values, the one implementation the config checks, the format contract's messages and the chat templates
 * share. A value is one of: {@code null} (None), {@link Boolean} (bool), {@link Integer}/{@link Long}/
 * {@link Short}/{@link Byte}/{@link BigInteger} (int), {@link Double}/{@link Float} (float), {@link String}
 * (str), {@link PyValue} (a typed cell), {@link PyTuple} (tuple), {@link Set} (set), other {@link List}s and
 * {@link Collection}s (list), {@link Map} (dict, iteration order), {@code byte[]} (bytes) and
 * {@link Date} (SnakeYAML's timestamps: {@code datetime.date} at midnight UTC, else {@code datetime.datetime}).
 *
 * <p>Values outside this model (Jinja's {@code Undefined}, a macro, …) are printed by the caller's
 * {@code other} function, which is also used for such values nested in lists and dicts.
 */
public final class PyObjects {

    private PyObjects() {
    }

    /** Python int: {@link Integer}, {@link Long}, {@link Short}, {@link Byte} or {@link BigInteger} (not bool). */
    public static boolean isInt(Object o) {
        return o instanceof Integer || o instanceof Long || o instanceof BigInteger || o instanceof Short
                || o instanceof Byte;
    }

    /** Python float: {@link Double} or {@link Float}. */
    public static boolean isFloat(Object o) {
        return o instanceof Double || o instanceof Float;
    }

    /**
     * Python {@code type(o).__name__} ({@code NoneType}, {@code bool}, {@code int}, {@code str}, {@code dict},
     * …); dates give {@code datetime.date} / {@code datetime.datetime}; other Java types their simple name.
     */
    public static String typeName(Object o) {
        if (o == null) {
            return "NoneType";
        }
        if (o instanceof Boolean) {
            return "bool";
        }
        if (isInt(o)) {
            return "int";
        }
        if (isFloat(o)) {
            return "float";
        }
        if (o instanceof String) {
            return "str";
        }
        if (o instanceof PyTuple) {
            return "tuple";
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

    /** Python {@code bool(o)}: None, False, 0, 0.0, and empty str/bytes/containers are false; NaN is true. */
    public static boolean truthy(Object o) {
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
        if (isFloat(o)) {
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

    /** Python {@code str(o)}; a value outside the model prints as the repr of its {@code toString()}. */
    public static String str(Object o) {
        return str(o, PyObjects::reprOfToString);
    }

    /** Python {@code str(o)}, printing values outside the model (also nested ones) with {@code other}. */
    public static String str(Object o, Function<Object, String> other) {
        if (o instanceof String s) {
            return s;
        }
        if (o instanceof Date d && isMidnightUtc(d)) {
            return toLocalDate(d).toString();
        }
        return repr(o, other);
    }

    /** Python {@code repr(o)}; a value outside the model prints as the repr of its {@code toString()}. */
    public static String repr(Object o) {
        return repr(o, PyObjects::reprOfToString);
    }

    /** Python {@code repr(o)}, printing values outside the model (also nested ones) with {@code other}. */
    public static String repr(Object o, Function<Object, String> other) {
        StringBuilder sb = new StringBuilder();
        appendRepr(sb, o, other);
        return sb.toString();
    }

    private static void appendRepr(StringBuilder sb, Object o, Function<Object, String> other) {
        if (o == null) {
            sb.append("None");
        } else if (o instanceof Boolean b) {
            sb.append(b ? "True" : "False");
        } else if (isInt(o)) {
            sb.append(o);
        } else if (isFloat(o)) {
            sb.append(PyText.floatRepr(((Number) o).doubleValue()));
        } else if (o instanceof Number n) {
            sb.append(n); // BigDecimal, AtomicLong, ...: their decimal digits
        } else if (o instanceof CharSequence cs) {
            sb.append(PyText.repr(cs.toString()));
        } else if (o instanceof PyValue.Str s) {
            sb.append(PyText.repr(s.value()));
        } else if (o instanceof PyValue p) {
            sb.append(p.pyStr());
        } else if (o instanceof PyTuple t) {
            sb.append('(');
            for (int i = 0; i < t.size(); i++) {
                sb.append(i == 0 ? "" : ", ");
                appendRepr(sb, t.get(i), other);
            }
            sb.append(t.size() == 1 ? ",)" : ")");
        } else if (o instanceof Set<?> s) {
            if (s.isEmpty()) {
                sb.append("set()");
                return;
            }
            sb.append('{');
            Iterator<?> it = s.iterator();
            while (it.hasNext()) {
                appendRepr(sb, it.next(), other);
                sb.append(it.hasNext() ? ", " : "");
            }
            sb.append('}');
        } else if (o instanceof Collection<?> c) {
            sb.append('[');
            boolean first = true;
            for (Object item : c) {
                sb.append(first ? "" : ", ");
                first = false;
                appendRepr(sb, item, other);
            }
            sb.append(']');
        } else if (o instanceof Map<?, ?> m) {
            sb.append('{');
            boolean first = true;
            for (Map.Entry<?, ?> e : m.entrySet()) {
                sb.append(first ? "" : ", ");
                first = false;
                appendRepr(sb, e.getKey(), other);
                sb.append(": ");
                appendRepr(sb, e.getValue(), other);
            }
            sb.append('}');
        } else if (o instanceof byte[] b) {
            appendBytesRepr(sb, b);
        } else if (o instanceof Date d) {
            LocalDate ld = toLocalDate(d);
            if (isMidnightUtc(d)) {
                sb.append("datetime.date(").append(ld.getYear()).append(", ").append(ld.getMonthValue()).append(", ")
                        .append(ld.getDayOfMonth()).append(')');
            } else {
                sb.append("datetime.datetime(").append(d.toInstant()).append(')');
            }
        } else {
            sb.append(other.apply(o));
        }
    }

    /**
     * Python {@code repr(bytes)} (YAML {@code !!binary} values): {@code b'hi'}, double quotes when the bytes
     * hold a single quote and no double quote, {@code \\xNN} for bytes outside printable ASCII.
     */
    private static void appendBytesRepr(StringBuilder sb, byte[] b) {
        boolean hasSingle = false;
        boolean hasDouble = false;
        for (byte x : b) {
            hasSingle |= x == '\'';
            hasDouble |= x == '"';
        }
        char quote = hasSingle && !hasDouble ? '"' : '\'';
        sb.append('b').append(quote);
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
        sb.append(quote);
    }

    private static String reprOfToString(Object o) {
        return PyText.repr(o.toString());
    }

    /** Whether a SnakeYAML timestamp is a plain date (midnight UTC): YAML {@code 2025-07-10}. */
    private static boolean isMidnightUtc(Date d) {
        ZonedDateTime z = d.toInstant().atZone(ZoneOffset.UTC);
        return z.getHour() == 0 && z.getMinute() == 0 && z.getSecond() == 0 && z.getNano() == 0;
    }

    /** The UTC calendar date of a SnakeYAML timestamp. */
    public static LocalDate toLocalDate(Date d) {
        return d.toInstant().atZone(ZoneOffset.UTC).toLocalDate();
    }
}
