package io.tracedistill.chat.jinja;

import io.tracedistill.python.PyObjects;
import io.tracedistill.python.PyText;
import io.tracedistill.python.PyTuple;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.MathContext;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Python semantics for template values. A value is one of: {@code null} (None), {@link Boolean}, {@link Long} or
 * {@link BigInteger} (int), {@link Double} (float), {@link String} (str, indexed by code point), {@link List} (list;
 * {@link PyTuple} = tuple), {@link Map} (dict, insertion order), {@link Undefined}, {@link Namespace},
 * {@link PyCallable} or a loop context. The methods reproduce CPython 3.11's {@code ==}, ordering and arithmetic for
 * these types, with CPython's error messages; {@code str}, {@code repr}, truthiness and type names are
 * {@link PyObjects}', extended here by the template-only values.
 */
final class Py {

    private Py() {}

    // ---------------------------------------------------------------- conversion from Java inputs

    /** Deep-converts a Java value (from JSON, YAML or user code) into the template value model. */
    static Object fromJava(Object v) {
        if (v == null || v instanceof String || v instanceof Boolean || v instanceof Long || v instanceof Double
                || v instanceof Undefined || v instanceof Namespace || v instanceof PyCallable) {
            return v;
        }
        if (v instanceof Integer || v instanceof Short || v instanceof Byte) {
            return ((Number) v).longValue();
        }
        if (v instanceof Float) {
            return ((Float) v).doubleValue();
        }
        if (v instanceof BigInteger b) {
            return normInt(b);
        }
        if (v instanceof BigDecimal d) {
            return d.doubleValue();
        }
        if (v instanceof CharSequence || v instanceof Character) {
            return v.toString();
        }
        if (v instanceof Map<?, ?> m) {
            Map<Object, Object> out = new LinkedHashMap<>();
            for (Map.Entry<?, ?> e : m.entrySet()) {
                out.put(fromJava(e.getKey()), fromJava(e.getValue()));
            }
            return out;
        }
        if (v instanceof PyTuple) {
            return v;
        }
        if (v instanceof Collection<?> c) {
            List<Object> out = new ArrayList<>(c.size());
            for (Object o : c) {
                out.add(fromJava(o));
            }
            return out;
        }
        if (v instanceof Object[] arr) {
            List<Object> out = new ArrayList<>(arr.length);
            for (Object o : arr) {
                out.add(fromJava(o));
            }
            return out;
        }
        throw new IllegalArgumentException("Cannot pass a value of Java type " + v.getClass().getName()
                + " to a chat template: use String, Boolean, Long/Integer, Double, List, Map or null");
    }

    static Object normInt(BigInteger b) {
        return b.bitLength() < 64 ? (Object) b.longValue() : b;
    }

    // ---------------------------------------------------------------- type tests

    /** int, float or bool (bool is an int subclass in Python). */
    static boolean isNumber(Object v) {
        return v instanceof Long || v instanceof BigInteger || v instanceof Double || v instanceof Boolean;
    }

    static boolean isIntLike(Object v) {
        return v instanceof Long || v instanceof BigInteger || v instanceof Boolean;
    }

    static BigInteger big(Object v) {
        if (v instanceof Long l) {
            return BigInteger.valueOf(l);
        }
        if (v instanceof Boolean b) {
            return b ? BigInteger.ONE : BigInteger.ZERO;
        }
        return (BigInteger) v;
    }

    static double dbl(Object v) {
        if (v instanceof Double d) {
            return d;
        }
        if (v instanceof Long l) {
            return l;
        }
        if (v instanceof Boolean b) {
            return b ? 1 : 0;
        }
        return ((BigInteger) v).doubleValue();
    }

    /** Python type name as in error messages ({@code NoneType}, {@code str}, {@code dict}, ..., {@code Undefined}). */
    static String typeName(Object v) {
        if (v instanceof Undefined) {
            return "Undefined";
        }
        if (v instanceof Namespace) {
            return "Namespace";
        }
        if (v instanceof Renderer.LoopContext) {
            return "LoopContext";
        }
        if (v instanceof Renderer.Macro) {
            return "Macro";
        }
        if (v instanceof PyCallable) {
            return "builtin_function_or_method";
        }
        return PyObjects.typeName(v);
    }

    /** jinja2 {@code object_type_repr}: {@code None}, {@code dict object}, {@code jinja2.utils.Namespace object}. */
    static String objectTypeRepr(Object v) {
        if (v == null) {
            return "None";
        }
        if (v instanceof Namespace) {
            return "jinja2.utils.Namespace object";
        }
        if (v instanceof Renderer.LoopContext) {
            return "jinja2.runtime.LoopContext object";
        }
        if (v instanceof Renderer.Macro) {
            return "jinja2.runtime.Macro object";
        }
        return typeName(v) + " object";
    }

    // ---------------------------------------------------------------- truthiness, str, repr

    /** Python {@code bool(v)}; an undefined is false. */
    static boolean truthy(Object v) {
        return !(v instanceof Undefined) && PyObjects.truthy(v);
    }

    /** Python {@code str(v)}; an undefined prints as {@code ""}. */
    static String str(Object v) {
        return v instanceof Undefined ? "" : PyObjects.str(v, Py::reprTemplateOnly);
    }

    /** Python {@code repr(v)}. */
    static String repr(Object v) {
        return PyObjects.repr(v, Py::reprTemplateOnly);
    }

    /** {@code repr} of the template-only values: {@code Undefined}, callables, namespaces, loops, macros. */
    private static String reprTemplateOnly(Object v) {
        if (v instanceof Undefined) {
            return "Undefined";
        }
        if (v instanceof PyCallable c) {
            return c.describe();
        }
        return String.valueOf(v);
    }

    // ---------------------------------------------------------------- equality and ordering

    /** Python {@code a == b}. */
    static boolean eq(Object a, Object b) {
        if (a == b) {
            return true;
        }
        if (a == null || b == null) {
            return false;
        }
        if (a instanceof Undefined || b instanceof Undefined) {
            return a instanceof Undefined && b instanceof Undefined;
        }
        if (isNumber(a) && isNumber(b)) {
            if (a instanceof Double || b instanceof Double) {
                if (isIntLike(a) && !(a instanceof Long) || isIntLike(b) && !(b instanceof Long)) {
                    // BigInteger vs float: compare exactly
                    double x = dbl(a instanceof Double ? a : b);
                    Object other = a instanceof Double ? b : a;
                    return !Double.isNaN(x) && !Double.isInfinite(x) && new BigDecimal(x).compareTo(new BigDecimal(big(other))) == 0;
                }
                return dbl(a) == dbl(b);
            }
            return big(a).equals(big(b));
        }
        if (a instanceof String || b instanceof String) {
            return a.equals(b);
        }
        if (a instanceof List<?> la && b instanceof List<?> lb) {
            if ((a instanceof PyTuple) != (b instanceof PyTuple) || la.size() != lb.size()) {
                return false;
            }
            for (int i = 0; i < la.size(); i++) {
                if (!eq(la.get(i), lb.get(i))) {
                    return false;
                }
            }
            return true;
        }
        if (a instanceof Map<?, ?> ma && b instanceof Map<?, ?> mb) {
            if (ma.size() != mb.size()) {
                return false;
            }
            for (Map.Entry<?, ?> e : ma.entrySet()) {
                Object key = findKey(mb, e.getKey());
                if (key == NO_KEY || !eq(e.getValue(), mb.get(key))) {
                    return false;
                }
            }
            return true;
        }
        return false;
    }

    static final Object NO_KEY = new Object();

    /** The key of {@code m} equal (Python hash/eq) to {@code key}, or {@link #NO_KEY}. */
    static Object findKey(Map<?, ?> m, Object key) {
        if (m.containsKey(key)) {
            return key;
        }
        if (key == null || key instanceof String) {
            return NO_KEY;
        }
        if (!isHashable(key)) {
            throw PyError.typeError("unhashable type: " + repr(typeName(key)));
        }
        for (Object k : m.keySet()) {
            if (eq(k, key)) {
                return k;
            }
        }
        return NO_KEY;
    }

    static boolean isHashable(Object v) {
        if (v instanceof PyTuple t) {
            for (Object o : t) {
                if (!isHashable(o)) {
                    return false;
                }
            }
            return true;
        }
        return !(v instanceof List || v instanceof Map);
    }

    /** Python ordering ({@code <} etc.); returns negative/zero/positive or raises Python's TypeError. */
    static int compare(Object a, Object b, String op) {
        if (a instanceof Undefined u) {
            throw u.fail();
        }
        if (b instanceof Undefined u) {
            throw u.fail();
        }
        if (isNumber(a) && isNumber(b)) {
            if (a instanceof Double || b instanceof Double) {
                return Double.compare(dbl(a), dbl(b)) == 0 ? 0 : (dbl(a) < dbl(b) ? -1 : (dbl(a) > dbl(b) ? 1 : 2));
            }
            return big(a).compareTo(big(b));
        }
        if (a instanceof String sa && b instanceof String sb) {
            return PyText.compareCodePoints(sa, sb);
        }
        if (a instanceof List<?> la && b instanceof List<?> lb && (a instanceof PyTuple) == (b instanceof PyTuple)) {
            int n = Math.min(la.size(), lb.size());
            for (int i = 0; i < n; i++) {
                if (!eq(la.get(i), lb.get(i))) {
                    return compare(la.get(i), lb.get(i), op);
                }
            }
            return Integer.compare(la.size(), lb.size());
        }
        throw PyError.typeError("'" + op + "' not supported between instances of " + repr(typeName(a)) + " and "
                + repr(typeName(b)));
    }

    /** Python {@code item in container}. */
    static boolean contains(Object container, Object item) {
        if (container instanceof Undefined) {
            return false;
        }
        if (container instanceof String s) {
            if (item instanceof String needle) {
                return s.contains(needle);
            }
            throw PyError.typeError("'in <string>' requires string as left operand, not " + typeName(item));
        }
        if (container instanceof Map<?, ?> m) {
            return findKey(m, item) != NO_KEY;
        }
        if (container instanceof List<?> l) {
            for (Object o : l) {
                if (eq(o, item)) {
                    return true;
                }
            }
            return false;
        }
        if (container instanceof Renderer.LoopContext) {
            return false;
        }
        throw PyError.typeError("argument of type " + repr(typeName(container)) + " is not iterable");
    }

    // ---------------------------------------------------------------- iteration and length

    /** Python {@code iter(v)} materialized: str → code points, dict → keys, undefined → empty. */
    static List<Object> iterate(Object v) {
        if (v instanceof List<?> l) {
            return new ArrayList<>(l);
        }
        if (v instanceof Map<?, ?> m) {
            return new ArrayList<>(m.keySet());
        }
        if (v instanceof String s) {
            List<Object> out = new ArrayList<>(s.length());
            s.codePoints().forEach(cp -> out.add(new String(Character.toChars(cp))));
            return out;
        }
        if (v instanceof Undefined) {
            return new ArrayList<>();
        }
        throw PyError.typeError(repr(typeName(v)) + " object is not iterable");
    }

    static boolean isIterable(Object v) {
        return v instanceof List || v instanceof Map || v instanceof String || v instanceof Undefined;
    }

    static long len(Object v) {
        if (v instanceof String s) {
            return s.codePointCount(0, s.length());
        }
        if (v instanceof Collection<?> c) {
            return c.size();
        }
        if (v instanceof Map<?, ?> m) {
            return m.size();
        }
        if (v instanceof Undefined) {
            return 0;
        }
        throw PyError.typeError("object of type " + repr(typeName(v)) + " has no len()");
    }

    // ---------------------------------------------------------------- arithmetic

    static Object add(Object a, Object b) {
        failIfUndefined(a, b);
        if (isNumber(a) && isNumber(b)) {
            if (a instanceof Double || b instanceof Double) {
                return dbl(a) + dbl(b);
            }
            if (a instanceof Long x && b instanceof Long y) {
                long r = x + y;
                if (((x ^ r) & (y ^ r)) >= 0) {
                    return r;
                }
            }
            return normInt(big(a).add(big(b)));
        }
        if (a instanceof String sa && b instanceof String sb) {
            return sa + sb;
        }
        if (a instanceof List<?> la && b instanceof List<?> lb && (a instanceof PyTuple) == (b instanceof PyTuple)) {
            List<Object> out = new ArrayList<>(la.size() + lb.size());
            out.addAll(la);
            out.addAll(lb);
            return a instanceof PyTuple ? PyTuple.of(out) : out;
        }
        if (a instanceof String) {
            throw PyError.typeError("can only concatenate str (not " + quoted(typeName(b)) + ") to str");
        }
        if (a instanceof List && !(a instanceof PyTuple)) {
            throw PyError.typeError("can only concatenate list (not " + quoted(typeName(b)) + ") to list");
        }
        throw unsupported("+", a, b);
    }

    static Object sub(Object a, Object b) {
        failIfUndefined(a, b);
        if (isNumber(a) && isNumber(b)) {
            if (a instanceof Double || b instanceof Double) {
                return dbl(a) - dbl(b);
            }
            return normInt(big(a).subtract(big(b)));
        }
        throw unsupported("-", a, b);
    }

    static Object mul(Object a, Object b) {
        failIfUndefined(a, b);
        if (isNumber(a) && isNumber(b)) {
            if (a instanceof Double || b instanceof Double) {
                return dbl(a) * dbl(b);
            }
            return normInt(big(a).multiply(big(b)));
        }
        if ((a instanceof String || a instanceof List) && isIntLike(b)) {
            return repeat(a, big(b).intValue());
        }
        if ((b instanceof String || b instanceof List) && isIntLike(a)) {
            return repeat(b, big(a).intValue());
        }
        throw unsupported("*", a, b);
    }

    private static Object repeat(Object seq, int n) {
        if (seq instanceof String s) {
            return n <= 0 ? "" : s.repeat(n);
        }
        List<?> l = (List<?>) seq;
        List<Object> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.addAll(l);
        }
        return seq instanceof PyTuple ? PyTuple.of(out) : out;
    }

    static Object truediv(Object a, Object b) {
        failIfUndefined(a, b);
        if (isNumber(a) && isNumber(b)) {
            if (dbl(b) == 0.0) {
                throw new PyError("ZeroDivisionError", a instanceof Double || b instanceof Double
                        ? "float division by zero" : "division by zero");
            }
            if (isIntLike(a) && isIntLike(b) && !(a instanceof Long && b instanceof Long)) {
                return new BigDecimal(big(a)).divide(new BigDecimal(big(b)), new MathContext(60)).doubleValue();
            }
            return dbl(a) / dbl(b);
        }
        throw unsupported("/", a, b);
    }

    static Object floordiv(Object a, Object b) {
        failIfUndefined(a, b);
        if (isNumber(a) && isNumber(b)) {
            if (a instanceof Double || b instanceof Double) {
                if (dbl(b) == 0.0) {
                    throw new PyError("ZeroDivisionError", "float floor division by zero");
                }
                return Math.floor(dbl(a) / dbl(b));
            }
            if (big(b).signum() == 0) {
                throw new PyError("ZeroDivisionError", "integer division or modulo by zero");
            }
            BigInteger[] qr = big(a).divideAndRemainder(big(b));
            BigInteger q = qr[0];
            if (qr[1].signum() != 0 && qr[1].signum() != big(b).signum()) {
                q = q.subtract(BigInteger.ONE);
            }
            return normInt(q);
        }
        throw unsupported("//", a, b);
    }

    static Object mod(Object a, Object b) {
        failIfUndefined(a, b);
        if (a instanceof String fmt) {
            return PyFormat.percent(fmt, b);
        }
        if (isNumber(a) && isNumber(b)) {
            if (a instanceof Double || b instanceof Double) {
                double y = dbl(b);
                if (y == 0.0) {
                    throw new PyError("ZeroDivisionError", "float modulo");
                }
                double r = dbl(a) % y;
                if (r != 0 && (r < 0) != (y < 0)) {
                    r += y;
                }
                return r;
            }
            if (big(b).signum() == 0) {
                throw new PyError("ZeroDivisionError", "integer modulo by zero");
            }
            BigInteger r = big(a).mod(big(b).abs());
            if (big(b).signum() < 0 && r.signum() != 0) {
                r = r.add(big(b));
            }
            return normInt(r);
        }
        throw unsupported("%", a, b);
    }

    static Object pow(Object a, Object b) {
        failIfUndefined(a, b);
        if (isNumber(a) && isNumber(b)) {
            if (a instanceof Double || b instanceof Double || big(b).signum() < 0) {
                return Math.pow(dbl(a), dbl(b));
            }
            return normInt(big(a).pow(big(b).intValueExact()));
        }
        throw unsupported("**", a, b);
    }

    static Object neg(Object a) {
        failIfUndefined(a, null);
        if (a instanceof Double d) {
            return -d;
        }
        if (isIntLike(a)) {
            return normInt(big(a).negate());
        }
        throw PyError.typeError("bad operand type for unary -: " + quoted(typeName(a)));
    }

    static Object pos(Object a) {
        failIfUndefined(a, null);
        if (a instanceof Double) {
            return a;
        }
        if (isIntLike(a)) {
            return normInt(big(a));
        }
        throw PyError.typeError("bad operand type for unary +: " + quoted(typeName(a)));
    }

    private static void failIfUndefined(Object a, Object b) {
        if (a instanceof Undefined u) {
            throw u.fail();
        }
        if (b instanceof Undefined u) {
            throw u.fail();
        }
    }

    private static PyError unsupported(String op, Object a, Object b) {
        return PyError.typeError("unsupported operand type(s) for " + op + ": " + repr(typeName(a)) + " and "
                + repr(typeName(b)));
    }

    private static String quoted(String s) {
        return "\"" + s + "\"";
    }

    /** Converts a Python int-like index argument to a Java int or raises TypeError. */
    static int toIndex(Object v, String what) {
        if (isIntLike(v)) {
            BigInteger b = big(v);
            if (b.bitLength() > 31) {
                return b.signum() < 0 ? Integer.MIN_VALUE : Integer.MAX_VALUE;
            }
            return b.intValue();
        }
        if (v instanceof Undefined u) {
            throw u.fail();
        }
        throw PyError.typeError(what + " indices must be integers or slices, not " + typeName(v));
    }
}
