package io.tracedistill.chat.jinja;

import io.tracedistill.python.PyObjects;
import io.tracedistill.python.PyText;
import io.tracedistill.python.PyTuple;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * The sandbox's attribute and item lookup and slicing ({@code jinja2/sandbox.py} {@code getattr}/{@code getitem}):
 * Python attribute first or item first, falling back to each other, else undefined; unsafe methods are hidden.
 */
final class Lookup {

    private Lookup() {}


    static final Set<String> STR_METHODS = Set.of("capitalize", "casefold", "center", "count", "endswith",
            "find", "format", "index", "isalnum", "isalpha", "isdecimal", "isdigit", "islower", "isnumeric", "isspace",
            "istitle", "isupper", "join", "ljust", "lower", "lstrip", "partition", "removeprefix", "removesuffix",
            "replace", "rfind", "rindex", "rjust", "rpartition", "rsplit", "rstrip", "split", "splitlines",
            "startswith", "strip", "swapcase", "title", "upper", "zfill", "expandtabs", "isascii", "isidentifier",
            "isprintable");
    static final Set<String> DICT_METHODS = Set.of("items", "keys", "values", "get", "copy");
    static final Set<String> DICT_UNSAFE = Set.of("clear", "pop", "popitem", "setdefault", "update");
    static final Set<String> LIST_METHODS = Set.of("index", "count", "copy", "pop", "clear");
    static final Set<String> LIST_UNSAFE = Set.of("append", "reverse", "insert", "sort", "extend", "remove");

    /** Python attribute of {@code obj}, or {@link #NO_ATTR}. */
    static Object pyAttr(Object obj, String name) {
        if (name.startsWith("_")) {
            return NO_ATTR;
        }
        if (obj instanceof String) {
            return STR_METHODS.contains(name) ? new PyMethods.BoundMethod(obj, name) : NO_ATTR;
        }
        if (obj instanceof Map) {
            if (DICT_METHODS.contains(name)) {
                return new PyMethods.BoundMethod(obj, name);
            }
            return DICT_UNSAFE.contains(name) ? Undefined.unsafe(obj, name) : NO_ATTR;
        }
        if (obj instanceof List && !(obj instanceof PyTuple)) {
            if (LIST_METHODS.contains(name)) {
                return new PyMethods.BoundMethod(obj, name);
            }
            return LIST_UNSAFE.contains(name) ? Undefined.unsafe(obj, name) : NO_ATTR;
        }
        if (obj instanceof PyTuple) {
            return name.equals("index") || name.equals("count") ? new PyMethods.BoundMethod(obj, name) : NO_ATTR;
        }
        if (obj instanceof Namespace ns) {
            return ns.attrs.containsKey(name) ? ns.attrs.get(name) : NO_ATTR;
        }
        if (obj instanceof Renderer.LoopContext lc) {
            Object v = lc.attr(name);
            return v instanceof Undefined ? NO_ATTR : v;
        }
        if (obj instanceof Double d) {
            return name.equals("real") ? d : (name.equals("imag") ? 0.0 : NO_ATTR);
        }
        if (obj instanceof Renderer.Macro m) {
            return name.equals("name") ? m.name : NO_ATTR;
        }
        return NO_ATTR;
    }

    static final Object NO_ATTR = new Object();
    static final Object NO_ITEM = new Object();

    /** Python {@code obj[key]} without fallback, or {@link #NO_ITEM} on TypeError/LookupError. */
    static Object pyItem(Object obj, Object key) {
        if (obj instanceof Map<?, ?> m) {
            if (!Py.isHashable(key)) {
                return NO_ITEM;
            }
            Object k = Py.findKey(m, key);
            return k == Py.NO_KEY ? NO_ITEM : m.get(k);
        }
        if (obj instanceof List<?> l && Py.isIntLike(key)) {
            BigInteger b = Py.big(key);
            long idx = b.bitLength() > 62 ? Long.MAX_VALUE : b.longValue();
            if (idx < 0) {
                idx += l.size();
            }
            return idx >= 0 && idx < l.size() ? l.get((int) idx) : NO_ITEM;
        }
        if (obj instanceof String s && Py.isIntLike(key)) {
            BigInteger b = Py.big(key);
            long n = s.codePointCount(0, s.length());
            long idx = b.bitLength() > 62 ? Long.MAX_VALUE : b.longValue();
            if (idx < 0) {
                idx += n;
            }
            if (idx < 0 || idx >= n) {
                return NO_ITEM;
            }
            int off = s.offsetByCodePoints(0, (int) idx);
            return new String(Character.toChars(s.codePointAt(off)));
        }
        return NO_ITEM;
    }

    /** jinja2 sandbox {@code getattr(obj, attr)}: Python attribute first, then item, else undefined. */
    static Object getattr(Object obj, String name) {
        if (obj instanceof Undefined u) {
            throw u.fail();
        }
        Object a = pyAttr(obj, name);
        if (a != NO_ATTR) {
            return a;
        }
        Object item = pyItem(obj, name);
        if (item != NO_ITEM) {
            return item;
        }
        return Undefined.member(obj, name);
    }

    /** jinja2 sandbox {@code getitem(obj, key)}: item first, then (string keys) attribute, else undefined. */
    static Object getitem(Object obj, Object key) {
        if (obj instanceof Undefined u) {
            throw u.fail();
        }
        if (key instanceof Undefined u && (obj instanceof Map || obj instanceof List || obj instanceof String)) {
            if (obj instanceof Map) {
                return Undefined.member(obj, key);
            }
            throw PyError.typeError(Py.typeName(obj) + " indices must be integers or slices, not Undefined");
        }
        Object item = pyItem(obj, key);
        if (item != NO_ITEM) {
            return item;
        }
        if (key instanceof String s) {
            Object a = pyAttr(obj, s);
            if (a != NO_ATTR) {
                return a;
            }
        }
        return Undefined.member(obj, key);
    }

    /** Python {@code obj[start:stop:step]} on str / list / tuple. */
    static Object slice(Object obj, Object start, Object stop, Object step) {
        if (obj instanceof Undefined u) {
            throw u.fail();
        }
        boolean isStr = obj instanceof String;
        if (!isStr && !(obj instanceof List)) {
            return Undefined.member(obj, "slice");
        }
        List<Object> items = isStr ? Py.iterate(obj) : new ArrayList<>((List<?>) obj);
        int n = items.size();
        long st = step == null ? 1 : Py.toIndex(step, "slice");
        if (st == 0) {
            throw PyError.valueError("slice step cannot be zero");
        }
        long lo;
        long hi;
        if (st > 0) {
            lo = start == null ? 0 : clampIndex(Py.toIndex(start, "slice"), n, 0, n);
            hi = stop == null ? n : clampIndex(Py.toIndex(stop, "slice"), n, 0, n);
        } else {
            lo = start == null ? n - 1 : clampIndex(Py.toIndex(start, "slice"), n, -1, n - 1);
            hi = stop == null ? -1 : clampIndex(Py.toIndex(stop, "slice"), n, -1, n - 1);
        }
        List<Object> out = new ArrayList<>();
        if (st > 0) {
            for (long k = lo; k < hi; k += st) {
                out.add(items.get((int) k));
            }
        } else {
            for (long k = lo; k > hi; k += st) {
                out.add(items.get((int) k));
            }
        }
        if (isStr) {
            StringBuilder sb = new StringBuilder();
            out.forEach(o -> sb.append((String) o));
            return sb.toString();
        }
        return obj instanceof PyTuple ? PyTuple.of(out) : out;
    }

    static long clampIndex(long i, int n, long min, long max) {
        if (i < 0) {
            i += n;
        }
        return Math.max(min, Math.min(max, i));
    }
}
