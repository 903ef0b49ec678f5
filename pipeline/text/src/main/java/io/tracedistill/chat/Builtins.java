package io.tracedistill.chat;

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
 * The builtins a chat template can reach: jinja2's filters and tests ({@code jinja2/filters.py},
 * {@code jinja2/tests.py}), the sandbox's attribute and item lookup ({@code jinja2/sandbox.py}), the Python methods of
 * {@code str}, {@code dict} and {@code list} (mutating ones are unsafe in the immutable sandbox), and the globals
 * ({@code range}, {@code dict}, {@code namespace}, plus transformers' {@code raise_exception} and
 * {@code strftime_now}).
 */
final class Builtins {

    private Builtins() {}

    /** Signature of a builtin: positional args and keyword args. */
    interface Impl {
        Object apply(Renderer r, List<Object> args, Map<String, Object> kwargs);
    }

    /** A named builtin function value (globals, {@code loop.cycle}). */
    record Function(String name, Impl impl) implements PyCallable {
        @Override
        public Object call(Renderer r, List<Object> args, Map<String, Object> kwargs) {
            return impl.apply(r, args, kwargs);
        }

        @Override
        public String describe() {
            return "<function " + name + ">";
        }
    }

    /** A Python method bound to its receiver ({@code 'abc'.upper}, {@code d.items}). */
    record BoundMethod(Object self, String name) implements PyCallable {
        @Override
        public Object call(Renderer r, List<Object> args, Map<String, Object> kwargs) {
            return callMethod(self, name, args, kwargs);
        }

        @Override
        public String describe() {
            return "<built-in method " + name + " of " + Py.typeName(self) + " object>";
        }
    }

    // ------------------------------------------------------------------ globals

    static void installGlobals(Map<String, Object> g, Supplier<LocalDateTime> clock) {
        g.put("range", new Function("range", (r, a, kw) -> range(a)));
        g.put("dict", new Function("dict", (r, a, kw) -> {
            Map<Object, Object> m = new LinkedHashMap<>();
            if (!a.isEmpty()) {
                Object src = a.get(0);
                if (src instanceof Map<?, ?> sm) {
                    m.putAll(sm);
                } else {
                    for (Object pair : Py.iterate(src)) {
                        List<Object> kv = Py.iterate(pair);
                        m.put(kv.get(0), kv.get(1));
                    }
                }
            }
            m.putAll(kw);
            return m;
        }));
        g.put("namespace", new Function("namespace", (r, a, kw) -> {
            Namespace ns = new Namespace();
            if (a.size() > 1) {
                throw PyError.typeError("dict expected at most 1 argument, got " + a.size());
            }
            for (Object src : a) {
                if (src instanceof Map<?, ?> sm) {
                    sm.forEach((k, v) -> ns.attrs.put(Py.str(k), v));
                } else {
                    for (Object pair : Py.iterate(src)) {
                        List<Object> kv = Py.iterate(pair);
                        if (kv.size() != 2) {
                            throw PyError.valueError("dictionary update sequence element has length " + kv.size()
                                    + "; 2 is required");
                        }
                        ns.attrs.put(Py.str(kv.get(0)), kv.get(1));
                    }
                }
            }
            ns.attrs.putAll(kw);
            return ns;
        }));
        g.put("raise_exception", new Function("raise_exception", (r, a, kw) -> {
            Object msg = a.isEmpty() ? kw.get("message") : a.get(0);
            throw new PyError("TemplateError", Py.str(msg));
        }));
        g.put("strftime_now", new Function("strftime_now", (r, a, kw) -> {
            if (a.size() != 1 || !(a.get(0) instanceof String fmt)) {
                throw PyError.typeError("strftime_now() takes exactly one string argument (format)");
            }
            return PyFormat.strftime(clock.get(), fmt);
        }));
    }

    private static Object range(List<Object> a) {
        long start = 0;
        long stop;
        long step = 1;
        if (a.isEmpty() || a.size() > 3) {
            throw PyError.typeError("range expected at least 1 argument, got " + a.size());
        }
        for (Object o : a) {
            if (!Py.isIntLike(o)) {
                throw PyError.typeError(Py.repr(Py.typeName(o)) + " object cannot be interpreted as an integer");
            }
        }
        if (a.size() == 1) {
            stop = Py.big(a.get(0)).longValue();
        } else {
            start = Py.big(a.get(0)).longValue();
            stop = Py.big(a.get(1)).longValue();
            if (a.size() == 3) {
                step = Py.big(a.get(2)).longValue();
            }
        }
        if (step == 0) {
            throw PyError.valueError("range() arg 3 must not be zero");
        }
        long count = step > 0 ? Math.max(0, (stop - start + step - 1) / step) : Math.max(0, (start - stop - step - 1) / -step);
        if (count > 100000) {
            throw new PyError("OverflowError",
                    "Range too big. The sandbox blocks ranges larger than MAX_RANGE (100000).");
        }
        List<Object> out = new ArrayList<>((int) count);
        for (long k = 0; k < count; k++) {
            out.add(start + k * step);
        }
        return out;
    }

    // ------------------------------------------------------------------ attribute / item lookup

    private static final Set<String> STR_METHODS = Set.of("capitalize", "casefold", "center", "count", "endswith",
            "find", "format", "index", "isalnum", "isalpha", "isdecimal", "isdigit", "islower", "isnumeric", "isspace",
            "istitle", "isupper", "join", "ljust", "lower", "lstrip", "partition", "removeprefix", "removesuffix",
            "replace", "rfind", "rindex", "rjust", "rpartition", "rsplit", "rstrip", "split", "splitlines",
            "startswith", "strip", "swapcase", "title", "upper", "zfill", "expandtabs", "isascii", "isidentifier",
            "isprintable");
    private static final Set<String> DICT_METHODS = Set.of("items", "keys", "values", "get", "copy");
    private static final Set<String> DICT_UNSAFE = Set.of("clear", "pop", "popitem", "setdefault", "update");
    private static final Set<String> LIST_METHODS = Set.of("index", "count", "copy", "pop", "clear");
    private static final Set<String> LIST_UNSAFE = Set.of("append", "reverse", "insert", "sort", "extend", "remove");

    /** Python attribute of {@code obj}, or {@link #NO_ATTR}. */
    private static Object pyAttr(Object obj, String name) {
        if (name.startsWith("_")) {
            return NO_ATTR;
        }
        if (obj instanceof String) {
            return STR_METHODS.contains(name) ? new BoundMethod(obj, name) : NO_ATTR;
        }
        if (obj instanceof Map) {
            if (DICT_METHODS.contains(name)) {
                return new BoundMethod(obj, name);
            }
            return DICT_UNSAFE.contains(name) ? Undefined.unsafe(obj, name) : NO_ATTR;
        }
        if (obj instanceof List && !(obj instanceof PyTuple)) {
            if (LIST_METHODS.contains(name)) {
                return new BoundMethod(obj, name);
            }
            return LIST_UNSAFE.contains(name) ? Undefined.unsafe(obj, name) : NO_ATTR;
        }
        if (obj instanceof PyTuple) {
            return name.equals("index") || name.equals("count") ? new BoundMethod(obj, name) : NO_ATTR;
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

    private static final Object NO_ATTR = new Object();
    private static final Object NO_ITEM = new Object();

    /** Python {@code obj[key]} without fallback, or {@link #NO_ITEM} on TypeError/LookupError. */
    private static Object pyItem(Object obj, Object key) {
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

    private static long clampIndex(long i, int n, long min, long max) {
        if (i < 0) {
            i += n;
        }
        return Math.max(min, Math.min(max, i));
    }

    // ------------------------------------------------------------------ argument helpers

    private static Object arg(String fn, List<Object> args, Map<String, Object> kw, int idx, String name, Object dflt) {
        if (idx < args.size()) {
            if (kw.containsKey(name)) {
                throw PyError.typeError(fn + "() got multiple values for argument " + Py.repr(name));
            }
            return args.get(idx);
        }
        return kw.containsKey(name) ? kw.get(name) : dflt;
    }

    private static void maxArgs(String fn, List<Object> args, Map<String, Object> kw, int max, String... names) {
        if (args.size() > max) {
            throw PyError.typeError(fn + "() takes at most " + max + " argument(s) (" + args.size() + " given)");
        }
        Set<String> allowed = Set.of(names);
        for (String k : kw.keySet()) {
            if (!allowed.contains(k)) {
                throw PyError.typeError(fn + "() got an unexpected keyword argument " + Py.repr(k));
            }
        }
    }

    private static String strArg(Object v, String fn) {
        if (v instanceof String s) {
            return s;
        }
        if (v instanceof Undefined u) {
            throw u.fail();
        }
        throw PyError.typeError(fn + " arg must be None or str, not " + Py.typeName(v));
    }

    private static String optStr(Object v, String fn) {
        return v == null ? null : strArg(v, fn);
    }

    private static int intArg(Object v, int dflt) {
        return v == null ? dflt : Py.toIndex(v, "argument");
    }

    // ------------------------------------------------------------------ methods

    static Object callMethod(Object self, String name, List<Object> a, Map<String, Object> kw) {
        if (self instanceof String s) {
            return strMethod(s, name, a, kw);
        }
        if (self instanceof Map<?, ?> m) {
            @SuppressWarnings("unchecked")
            Map<Object, Object> mm = (Map<Object, Object>) m;
            return switch (name) {
                case "items" -> {
                    List<Object> out = new ArrayList<>(m.size());
                    mm.forEach((k, v) -> out.add(new PyTuple(k, v)));
                    yield out;
                }
                case "keys" -> new ArrayList<>(mm.keySet());
                case "values" -> new ArrayList<>(mm.values());
                case "get" -> {
                    Object key = arg("get", a, kw, 0, "key", null);
                    Object k = Py.findKey(mm, key);
                    yield k == Py.NO_KEY ? arg("get", a, kw, 1, "default", null) : mm.get(k);
                }
                case "copy" -> new LinkedHashMap<>(mm);
                default -> throw PyError.typeError("unknown dict method " + name);
            };
        }
        if (self instanceof List<?> l) {
            @SuppressWarnings("unchecked")
            List<Object> ll = (List<Object>) l;
            return switch (name) {
                case "index" -> {
                    for (int k = 0; k < ll.size(); k++) {
                        if (Py.eq(ll.get(k), a.get(0))) {
                            yield (long) k;
                        }
                    }
                    throw PyError.valueError(Py.repr(a.get(0)) + " is not in list");
                }
                case "count" -> ll.stream().filter(o -> Py.eq(o, a.get(0))).count();
                case "copy" -> new ArrayList<>(ll);
                case "pop" -> {
                    if (ll.isEmpty()) {
                        throw new PyError("IndexError", "pop from empty list");
                    }
                    int idx = a.isEmpty() ? ll.size() - 1 : Py.toIndex(a.get(0), "list");
                    if (idx < 0) {
                        idx += ll.size();
                    }
                    if (idx < 0 || idx >= ll.size()) {
                        throw new PyError("IndexError", "pop index out of range");
                    }
                    yield ll.remove(idx);
                }
                case "clear" -> {
                    ll.clear();
                    yield null;
                }
                default -> throw PyError.typeError("unknown list method " + name);
            };
        }
        throw PyError.typeError("unknown method " + name);
    }

    private static Object strMethod(String s, String name, List<Object> a, Map<String, Object> kw) {
        switch (name) {
            case "strip", "lstrip", "rstrip" -> {
                maxArgs(name, a, kw, 1);
                String chars = optStr(a.isEmpty() ? null : a.get(0), name);
                return name.equals("strip") ? PyStrings.strip(s, chars)
                        : name.equals("lstrip") ? PyStrings.lstrip(s, chars) : PyStrings.rstrip(s, chars);
            }
            case "split", "rsplit" -> {
                maxArgs(name, a, kw, 2, "sep", "maxsplit");
                String sep = optStr(arg(name, a, kw, 0, "sep", null), name);
                int max = intArg(arg(name, a, kw, 1, "maxsplit", null), -1);
                return name.equals("split") ? PyStrings.split(s, sep, max) : PyStrings.rsplit(s, sep, max);
            }
            case "splitlines" -> {
                return PyStrings.splitlines(s, Py.truthy(arg(name, a, kw, 0, "keepends", false)));
            }
            case "startswith", "endswith" -> {
                if (a.isEmpty()) {
                    throw PyError.typeError(name + "() takes at least 1 argument (0 given)");
                }
                Object p = a.get(0);
                int n = s.codePointCount(0, s.length());
                int from = a.size() > 1 && a.get(1) != null ? clampSlice(Py.toIndex(a.get(1), "slice"), n) : 0;
                int to = a.size() > 2 && a.get(2) != null ? clampSlice(Py.toIndex(a.get(2), "slice"), n) : n;
                String sub = from <= to ? PyStrings.substringCp(s, from, to) : null;
                List<Object> options = p instanceof PyTuple t ? t : List.of(p);
                for (Object o : options) {
                    if (!(o instanceof String needle)) {
                        throw PyError.typeError(name + " first arg must be str or a tuple of str, not "
                                + Py.typeName(o));
                    }
                    if (sub != null && (name.equals("startswith") ? sub.startsWith(needle) : sub.endsWith(needle))) {
                        return true;
                    }
                }
                return false;
            }
            case "replace" -> {
                if (a.size() < 2) {
                    throw PyError.typeError("replace expected at least 2 arguments, got " + a.size());
                }
                return PyStrings.replace(s, strArg(a.get(0), "replace"), strArg(a.get(1), "replace"),
                        a.size() > 2 ? Py.toIndex(a.get(2), "count") : -1);
            }
            case "lower" -> {
                return PyStrings.lower(s);
            }
            case "upper" -> {
                return PyStrings.upper(s);
            }
            case "casefold" -> {
                return PyStrings.lower(s);
            }
            case "title" -> {
                return PyStrings.title(s);
            }
            case "capitalize" -> {
                return PyStrings.capitalize(s);
            }
            case "swapcase" -> {
                StringBuilder sb = new StringBuilder();
                s.codePoints().forEach(cp -> sb.appendCodePoint(Character.isUpperCase(cp) ? Character.toLowerCase(cp)
                        : Character.isLowerCase(cp) ? Character.toUpperCase(cp) : cp));
                return sb.toString();
            }
            case "find", "rfind", "index", "rindex" -> {
                String sub = strArg(a.get(0), name);
                long r = PyStrings.find(s, sub, a.size() > 1 ? a.get(1) : null, a.size() > 2 ? a.get(2) : null,
                        name.startsWith("r"));
                if (r < 0 && name.endsWith("index")) {
                    throw PyError.valueError("substring not found");
                }
                return r;
            }
            case "count" -> {
                return PyStrings.count(s, strArg(a.get(0), name), a.size() > 1 ? a.get(1) : null,
                        a.size() > 2 ? a.get(2) : null);
            }
            case "join" -> {
                StringBuilder sb = new StringBuilder();
                List<Object> items = Py.iterate(a.get(0));
                for (int k = 0; k < items.size(); k++) {
                    if (!(items.get(k) instanceof String item)) {
                        throw PyError.typeError("sequence item " + k + ": expected str instance, "
                                + Py.typeName(items.get(k)) + " found");
                    }
                    if (k > 0) {
                        sb.append(s);
                    }
                    sb.append(item);
                }
                return sb.toString();
            }
            case "isdigit", "isdecimal", "isnumeric" -> {
                return PyStrings.allMatch(s, Character::isDigit);
            }
            case "isalpha" -> {
                return PyStrings.allMatch(s, Character::isLetter);
            }
            case "isalnum" -> {
                return PyStrings.allMatch(s, Character::isLetterOrDigit);
            }
            case "isspace" -> {
                return PyStrings.allMatch(s, PyStrings::isSpace);
            }
            case "isascii" -> {
                return s.chars().allMatch(c -> c < 128);
            }
            case "isprintable" -> {
                return s.codePoints().allMatch(Py::isPrintable);
            }
            case "isidentifier" -> {
                return !s.isEmpty() && (Character.isUnicodeIdentifierStart(s.codePointAt(0)) || s.charAt(0) == '_')
                        && s.codePoints().allMatch(Character::isUnicodeIdentifierPart);
            }
            case "islower", "isupper" -> {
                boolean cased = false;
                for (int cp : s.codePoints().toArray()) {
                    if (Character.isUpperCase(cp) || Character.isTitleCase(cp)) {
                        if (name.equals("islower")) {
                            return false;
                        }
                        cased = true;
                    } else if (Character.isLowerCase(cp)) {
                        if (name.equals("isupper")) {
                            return false;
                        }
                        cased = true;
                    }
                }
                return cased;
            }
            case "istitle" -> {
                return !s.isEmpty() && PyStrings.title(s).equals(s) && s.codePoints().anyMatch(Character::isLetter);
            }
            case "center", "ljust", "rjust" -> {
                int width = Py.toIndex(a.get(0), "width");
                String fill = a.size() > 1 ? strArg(a.get(1), name) : " ";
                int n = s.codePointCount(0, s.length());
                if (width <= n) {
                    return s;
                }
                return name.equals("center") ? PyStrings.center(s, width, fill)
                        : name.equals("ljust") ? s + fill.repeat(width - n) : fill.repeat(width - n) + s;
            }
            case "zfill" -> {
                int width = Py.toIndex(a.get(0), "width");
                int n = s.codePointCount(0, s.length());
                if (width <= n) {
                    return s;
                }
                String pad = "0".repeat(width - n);
                if (s.startsWith("-") || s.startsWith("+")) {
                    return s.charAt(0) + pad + s.substring(1);
                }
                return pad + s;
            }
            case "partition", "rpartition" -> {
                String sep = strArg(a.get(0), name);
                int k = name.equals("partition") ? s.indexOf(sep) : s.lastIndexOf(sep);
                if (k < 0) {
                    return name.equals("partition") ? new PyTuple(s, "", "") : new PyTuple("", "", s);
                }
                return new PyTuple(s.substring(0, k), sep, s.substring(k + sep.length()));
            }
            case "removeprefix" -> {
                String p = strArg(a.get(0), name);
                return s.startsWith(p) ? s.substring(p.length()) : s;
            }
            case "removesuffix" -> {
                String p = strArg(a.get(0), name);
                return !p.isEmpty() && s.endsWith(p) ? s.substring(0, s.length() - p.length()) : s;
            }
            case "expandtabs" -> {
                int tab = a.isEmpty() ? 8 : Py.toIndex(a.get(0), "tabsize");
                StringBuilder sb = new StringBuilder();
                int col = 0;
                for (int cp : s.codePoints().toArray()) {
                    if (cp == '\t') {
                        int pad = tab > 0 ? tab - (col % tab) : 0;
                        sb.append(" ".repeat(pad));
                        col += pad;
                    } else {
                        sb.appendCodePoint(cp);
                        col = cp == '\n' || cp == '\r' ? 0 : col + 1;
                    }
                }
                return sb.toString();
            }
            case "format" -> {
                return strFormat(s, a, kw);
            }
            default -> throw PyError.typeError("unknown str method " + name);
        }
    }

    private static int clampSlice(int i, int n) {
        if (i < 0) {
            i = Math.max(0, i + n);
        }
        return Math.min(i, n);
    }

    /** Python {@code str.format} for plain fields ({@code {}}, {@code {0}}, {@code {name}}, {@code {name.attr}}). */
    private static String strFormat(String s, List<Object> a, Map<String, Object> kw) {
        StringBuilder sb = new StringBuilder();
        int auto = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '{' && i + 1 < s.length() && s.charAt(i + 1) == '{') {
                sb.append('{');
                i++;
            } else if (c == '}' && i + 1 < s.length() && s.charAt(i + 1) == '}') {
                sb.append('}');
                i++;
            } else if (c == '{') {
                int close = s.indexOf('}', i);
                if (close < 0) {
                    throw PyError.valueError("Single '{' encountered in format string");
                }
                String field = s.substring(i + 1, close);
                if (field.contains(":") || field.contains("!")) {
                    throw PyError.valueError("format specs and conversions are not supported by this renderer: "
                            + Py.repr(field));
                }
                String[] parts = field.split("\\.", -1);
                Object v;
                if (parts[0].isEmpty()) {
                    v = a.get(auto++);
                } else if (parts[0].chars().allMatch(Character::isDigit)) {
                    v = a.get(Integer.parseInt(parts[0]));
                } else {
                    if (!kw.containsKey(parts[0])) {
                        throw new PyError("KeyError", Py.repr(parts[0]));
                    }
                    v = kw.get(parts[0]);
                }
                for (int k = 1; k < parts.length; k++) {
                    v = getattr(v, parts[k]);
                }
                sb.append(Py.str(v));
                i = close;
            } else if (c == '}') {
                throw PyError.valueError("Single '}' encountered in format string");
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }

    // ------------------------------------------------------------------ tests

    static boolean test(Renderer r, String name, Object v, List<Object> a, Map<String, Object> kw) {
        switch (name) {
            case "defined":
                return !(v instanceof Undefined);
            case "undefined":
                return v instanceof Undefined;
            case "none":
                return v == null;
            case "boolean":
                return v instanceof Boolean;
            case "false":
                return Boolean.FALSE.equals(v);
            case "true":
                return Boolean.TRUE.equals(v);
            case "integer":
                return Py.isInt(v);
            case "float":
                return v instanceof Double;
            case "number":
                return Py.isNumber(v);
            case "string":
                return v instanceof String;
            case "mapping":
                return v instanceof Map;
            case "iterable":
                return Py.isIterable(v) || v instanceof Renderer.LoopContext;
            case "sequence":
                return v instanceof String || v instanceof List || v instanceof Map || v instanceof Undefined;
            case "callable":
                return v instanceof PyCallable || v instanceof Undefined;
            case "sameas":
                return v == a.get(0) || (v != null && Py.isNumber(v) && v.equals(a.get(0)));
            case "escaped":
                return false;
            case "odd":
                return Py.eq(Py.mod(v, 2L), 1L);
            case "even":
                return Py.eq(Py.mod(v, 2L), 0L);
            case "divisibleby":
                return Py.eq(Py.mod(v, a.get(0)), 0L);
            case "eq", "equalto", "==":
                return Py.eq(v, a.get(0));
            case "ne", "!=":
                return !Py.eq(v, a.get(0));
            case "lt", "lessthan", "<":
                return Renderer.compare("<", v, a.get(0));
            case "le", "<=":
                return Renderer.compare("<=", v, a.get(0));
            case "gt", "greaterthan", ">":
                return Renderer.compare(">", v, a.get(0));
            case "ge", ">=":
                return Renderer.compare(">=", v, a.get(0));
            case "in":
                return Py.contains(a.get(0), v);
            case "lower":
                return Py.str(v).equals(PyStrings.lower(Py.str(v))) && !Py.str(v).equals(PyStrings.upper(Py.str(v)));
            case "upper":
                return Py.str(v).equals(PyStrings.upper(Py.str(v))) && !Py.str(v).equals(PyStrings.lower(Py.str(v)));
            case "filter":
                return FILTER_NAMES.contains(Py.str(v));
            case "test":
                return TEST_NAMES.contains(Py.str(v));
            default:
                throw new PyError("TemplateRuntimeError", "No test named " + Py.repr(name) + " found.");
        }
    }

    static final Set<String> TEST_NAMES = Set.of("defined", "undefined", "none", "boolean", "false", "true",
            "integer", "float", "number", "string", "mapping", "iterable", "sequence", "callable", "sameas", "escaped",
            "odd", "even", "divisibleby", "eq", "equalto", "==", "ne", "!=", "lt", "lessthan", "<", "le", "<=", "gt",
            "greaterthan", ">", "ge", ">=", "in", "lower", "upper", "filter", "test");

    /** Every builtin filter of jinja2 3.1 (what its compiler accepts); the renderer implements all but a few. */
    static final Set<String> FILTER_NAMES = Set.of("abs", "attr", "batch", "capitalize", "center", "count", "d",
            "default", "dictsort", "e", "escape", "filesizeformat", "first", "float", "forceescape", "format", "groupby",
            "indent", "int", "items", "join", "last", "length", "list", "lower", "map", "max", "min", "pprint", "random",
            "reject", "rejectattr", "replace", "reverse", "round", "safe", "select", "selectattr", "slice", "sort",
            "string", "striptags", "sum", "title", "tojson", "trim", "truncate", "unique", "upper", "urlencode",
            "urlize", "wordcount", "wordwrap", "xmlattr");

    // ------------------------------------------------------------------ filters

    static Object filter(Renderer r, String name, Object v, List<Object> a, Map<String, Object> kw) {
        switch (name) {
            case "safe", "string":
                return Py.str(v);
            case "trim": {
                Object chars = arg("trim", a, kw, 0, "chars", null);
                return PyStrings.strip(Py.str(v), chars == null ? null : Py.str(chars));
            }
            case "length", "count":
                return Py.len(v);
            case "tojson":
                // transformers: tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False)
                return PyJson.dumps(v, Py.truthy(arg("tojson", a, kw, 0, "ensure_ascii", false)),
                        arg("tojson", a, kw, 1, "indent", null), arg("tojson", a, kw, 2, "separators", null),
                        Py.truthy(arg("tojson", a, kw, 3, "sort_keys", false)));
            case "default", "d": {
                Object dflt = arg(name, a, kw, 0, "default_value", "");
                boolean bool = Py.truthy(arg(name, a, kw, 1, "boolean", false));
                return v instanceof Undefined || (bool && !Py.truthy(v)) ? dflt : v;
            }
            case "items": {
                if (v instanceof Undefined) {
                    return new ArrayList<>();
                }
                if (!(v instanceof Map)) {
                    throw PyError.typeError("Can only get item pairs from a mapping.");
                }
                return callMethod(v, "items", List.of(), Map.of());
            }
            case "list":
                return Py.iterate(v);
            case "lower":
                return PyStrings.lower(Py.str(v));
            case "upper":
                return PyStrings.upper(Py.str(v));
            case "capitalize":
                return PyStrings.capitalize(Py.str(v));
            case "title":
                return jinjaTitle(Py.str(v));
            case "replace": {
                Object old = arg("replace", a, kw, 0, "old", null);
                Object rep = arg("replace", a, kw, 1, "new", null);
                Object cnt = arg("replace", a, kw, 2, "count", null);
                return PyStrings.replace(Py.str(v), Py.str(old), Py.str(rep), cnt == null ? -1 : Py.toIndex(cnt, "count"));
            }
            case "join": {
                String d = Py.str(arg("join", a, kw, 0, "d", ""));
                Object attribute = arg("join", a, kw, 1, "attribute", null);
                StringBuilder sb = new StringBuilder();
                boolean first = true;
                for (Object item : Py.iterate(v)) {
                    if (!first) {
                        sb.append(d);
                    }
                    first = false;
                    sb.append(Py.str(attribute == null ? item : attrPath(item, attribute)));
                }
                return sb.toString();
            }
            case "first": {
                List<Object> items = Py.iterate(v);
                return items.isEmpty() ? Undefined.hinted("No first item, sequence was empty.") : items.get(0);
            }
            case "last": {
                List<Object> items = Py.iterate(v);
                return items.isEmpty() ? Undefined.hinted("No last item, sequence was empty.")
                        : items.get(items.size() - 1);
            }
            case "reverse": {
                if (v instanceof String s) {
                    return slice(s, null, null, -1L);
                }
                List<Object> items = Py.iterate(v);
                java.util.Collections.reverse(items);
                return items;
            }
            case "select", "reject", "selectattr", "rejectattr":
                return selectOrReject(r, name, v, a, kw);
            case "map":
                return map(r, v, a, kw);
            case "abs":
                if (v instanceof Double d) {
                    return Math.abs(d);
                }
                if (Py.isIntLike(v)) {
                    return Py.normInt(Py.big(v).abs());
                }
                throw PyError.typeError("bad operand type for abs(): " + Py.repr(Py.typeName(v)));
            case "int":
                return toInt(v, arg("int", a, kw, 0, "default", 0L), arg("int", a, kw, 1, "base", 10L));
            case "float":
                return toFloat(v, arg("float", a, kw, 0, "default", 0.0));
            case "round":
                return round(v, arg("round", a, kw, 0, "precision", 0L), Py.str(arg("round", a, kw, 1, "method", "common")));
            case "indent":
                return indent(Py.str(v), arg("indent", a, kw, 0, "width", 4L), Py.truthy(arg("indent", a, kw, 1, "first", false)),
                        Py.truthy(arg("indent", a, kw, 2, "blank", false)));
            case "center":
                return PyStrings.center(Py.str(v), Py.toIndex(arg("center", a, kw, 0, "width", 80L), "width"), " ");
            case "unique":
                return unique(v, Py.truthy(arg("unique", a, kw, 0, "case_sensitive", false)),
                        arg("unique", a, kw, 1, "attribute", null));
            case "sort":
                return sort(v, Py.truthy(arg("sort", a, kw, 0, "reverse", false)),
                        Py.truthy(arg("sort", a, kw, 1, "case_sensitive", false)), arg("sort", a, kw, 2, "attribute", null));
            case "dictsort":
                return dictsort(v, Py.truthy(arg("dictsort", a, kw, 0, "case_sensitive", false)),
                        Py.str(arg("dictsort", a, kw, 1, "by", "key")), Py.truthy(arg("dictsort", a, kw, 2, "reverse", false)));
            case "min", "max": {
                List<Object> items = Py.iterate(v);
                if (items.isEmpty()) {
                    return Undefined.hinted("No aggregated item, sequence was empty.");
                }
                boolean cs = Py.truthy(arg(name, a, kw, 0, "case_sensitive", false));
                Object attribute = arg(name, a, kw, 1, "attribute", null);
                Comparator<Object> cmp = (x, y) -> Py.compare(sortKey(x, cs, attribute), sortKey(y, cs, attribute), "<");
                Object best = items.get(0);
                for (Object o : items) {
                    int c = cmp.compare(o, best);
                    if (name.equals("min") ? c < 0 : c > 0) {
                        best = o;
                    }
                }
                return best;
            }
            case "sum": {
                Object attribute = arg("sum", a, kw, 0, "attribute", null);
                Object total = arg("sum", a, kw, 1, "start", 0L);
                for (Object o : Py.iterate(v)) {
                    total = Py.add(total, attribute == null ? o : attrPath(o, attribute));
                }
                return total;
            }
            case "batch": {
                int n = Py.toIndex(arg("batch", a, kw, 0, "linecount", null), "linecount");
                Object fill = arg("batch", a, kw, 1, "fill_with", null);
                boolean hasFill = a.size() > 1 || kw.containsKey("fill_with");
                List<Object> out = new ArrayList<>();
                List<Object> tmp = new ArrayList<>();
                for (Object o : Py.iterate(v)) {
                    if (tmp.size() == n) {
                        out.add(tmp);
                        tmp = new ArrayList<>();
                    }
                    tmp.add(o);
                }
                if (!tmp.isEmpty()) {
                    while (hasFill && tmp.size() < n) {
                        tmp.add(fill);
                    }
                    out.add(tmp);
                }
                return out;
            }
            case "attr":
                return getattr(v, Py.str(a.get(0)));
            case "escape", "e", "forceescape":
                return Py.str(v).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
                        .replace("\"", "&#34;").replace("'", "&#39;");
            case "format":
                return PyFormat.percent(Py.str(v), kw.isEmpty() ? PyTuple.of(a) : new LinkedHashMap<Object, Object>(kw));
            case "wordcount": {
                long words = 0;
                boolean in = false;
                for (int cp : Py.str(v).codePoints().toArray()) {
                    boolean w = Character.isLetterOrDigit(cp) || cp == '_';
                    if (w && !in) {
                        words++;
                    }
                    in = w;
                }
                return words;
            }
            case "truncate": {
                // jinja2 do_truncate with the default policy truncate.leeway = 5
                String str = Py.str(v);
                int length = Py.toIndex(arg("truncate", a, kw, 0, "length", 255L), "length");
                boolean killwords = Py.truthy(arg("truncate", a, kw, 1, "killwords", false));
                String end = Py.str(arg("truncate", a, kw, 2, "end", "..."));
                Object lw = arg("truncate", a, kw, 3, "leeway", null);
                int leeway = lw == null ? 5 : Py.toIndex(lw, "leeway");
                int n = str.codePointCount(0, str.length());
                int endLen = end.codePointCount(0, end.length());
                if (length < endLen || leeway < 0) {
                    throw new PyError("AssertionError", length < endLen ? "expected length >= " + endLen + ", got "
                            + length : "expected leeway >= 0, got " + leeway);
                }
                if (n <= length + leeway) {
                    return str;
                }
                String head = PyStrings.substringCp(str, 0, length - endLen);
                if (killwords) {
                    return head + end;
                }
                return PyStrings.rsplit(head, " ", 1).get(0) + end;
            }
            default:
                if (FILTER_NAMES.contains(name)) {
                    throw new PyError("NotImplementedError", "the jinja2 filter " + Py.repr(name)
                            + " is not supported by this renderer (io.tracedistill.chat.Builtins)");
                }
                throw new PyError("TemplateRuntimeError", "No filter named " + Py.repr(name) + " found.");
        }
    }

    /** jinja2 {@code do_title}: capitalise each word after {@code -}, whitespace or an opening bracket. */
    private static String jinjaTitle(String s) {
        StringBuilder sb = new StringBuilder();
        boolean start = true;
        for (int cp : s.codePoints().toArray()) {
            boolean sep = cp == '-' || PyStrings.isSpace(cp) || cp == '(' || cp == '{' || cp == '[' || cp == '<';
            if (sep) {
                sb.appendCodePoint(cp);
                start = true;
            } else if (start) {
                sb.append(PyStrings.upper(new String(Character.toChars(cp))));
                start = false;
            } else {
                sb.append(PyStrings.lower(new String(Character.toChars(cp))));
            }
        }
        return sb.toString();
    }

    /** jinja2 {@code make_attrgetter}: dotted path, integer parts as indices, via {@link #getitem}. */
    private static Object attrPath(Object item, Object attribute) {
        if (Py.isIntLike(attribute)) {
            return getitem(item, attribute);
        }
        Object v = item;
        for (String part : Py.str(attribute).split("\\.", -1)) {
            Object key = part.chars().allMatch(Character::isDigit) && !part.isEmpty() ? (Object) Long.parseLong(part) : part;
            v = getitem(v, key);
        }
        return v;
    }

    private static Object selectOrReject(Renderer r, String name, Object v, List<Object> a, Map<String, Object> kw) {
        boolean byAttr = name.endsWith("attr");
        boolean select = name.startsWith("select");
        int off = 0;
        Object attribute = null;
        if (byAttr) {
            if (a.isEmpty()) {
                throw PyError.typeError("Missing parameter 'attr'");
            }
            attribute = a.get(0);
            off = 1;
        }
        String testName = a.size() > off ? Py.str(a.get(off)) : null;
        List<Object> testArgs = a.size() > off + 1 ? a.subList(off + 1, a.size()) : List.of();
        List<Object> out = new ArrayList<>();
        for (Object item : Py.iterate(v)) {
            Object probe = byAttr ? attrPath(item, attribute) : item;
            boolean ok = testName == null ? Py.truthy(probe) : test(r, testName, probe, testArgs, kw);
            if (ok == select) {
                out.add(item);
            }
        }
        return out;
    }

    private static Object map(Renderer r, Object v, List<Object> a, Map<String, Object> kw) {
        List<Object> out = new ArrayList<>();
        if (kw.containsKey("attribute")) {
            Object attribute = kw.get("attribute");
            boolean hasDefault = kw.containsKey("default");
            for (Object item : Py.iterate(v)) {
                Object x = attrPath(item, attribute);
                out.add(hasDefault && x instanceof Undefined ? kw.get("default") : x);
            }
            return out;
        }
        if (a.isEmpty()) {
            throw PyError.typeError("map requires a filter argument");
        }
        String f = Py.str(a.get(0));
        List<Object> rest = a.subList(1, a.size());
        for (Object item : Py.iterate(v)) {
            out.add(filter(r, f, item, rest, kw));
        }
        return out;
    }

    private static Object toInt(Object v, Object dflt, Object base) {
        if (v instanceof Undefined u) {
            throw u.fail(); // int(Undefined) raises UndefinedError, which do_int does not catch
        }
        try {
            if (v instanceof String s) {
                String t = PyStrings.strip(s, null).replace("_", "");
                int b = Py.toIndex(base, "base");
                if (b == 0 || b == 16 || b == 8 || b == 2) {
                    String low = t.toLowerCase(Locale.ROOT);
                    String sign = "";
                    if (low.startsWith("-") || low.startsWith("+")) {
                        sign = low.substring(0, 1);
                        low = low.substring(1);
                    }
                    if (low.startsWith("0x") && (b == 0 || b == 16)) {
                        return Py.normInt(new BigInteger(sign + low.substring(2), 16));
                    }
                    if (low.startsWith("0o") && (b == 0 || b == 8)) {
                        return Py.normInt(new BigInteger(sign + low.substring(2), 8));
                    }
                    if (low.startsWith("0b") && (b == 0 || b == 2)) {
                        return Py.normInt(new BigInteger(sign + low.substring(2), 2));
                    }
                    if (b == 0) {
                        b = 10;
                    }
                }
                return Py.normInt(new BigInteger(t, b));
            }
            if (Py.isIntLike(v)) {
                return Py.normInt(Py.big(v));
            }
            if (v instanceof Double d && !d.isNaN() && !d.isInfinite()) {
                return Py.normInt(new BigDecimal(d).toBigInteger());
            }
        } catch (NumberFormatException | ArithmeticException e) {
            // fall through to int(float(value))
        }
        try {
            if (v instanceof String s) {
                double d = Double.parseDouble(PyStrings.strip(s, null));
                if (!Double.isNaN(d) && !Double.isInfinite(d)) {
                    return Py.normInt(new BigDecimal(d).toBigInteger());
                }
            }
        } catch (NumberFormatException e) {
            // use the default
        }
        return dflt;
    }

    private static Object toFloat(Object v, Object dflt) {
        if (v instanceof Undefined u) {
            throw u.fail();
        }
        if (Py.isNumber(v)) {
            return Py.dbl(v);
        }
        if (v instanceof String s) {
            String t = PyStrings.strip(s, null).toLowerCase(Locale.ROOT);
            switch (t) {
                case "nan", "+nan", "-nan" -> {
                    return Double.NaN;
                }
                case "inf", "+inf", "infinity", "+infinity" -> {
                    return Double.POSITIVE_INFINITY;
                }
                case "-inf", "-infinity" -> {
                    return Double.NEGATIVE_INFINITY;
                }
                default -> { }
            }
            try {
                if (t.matches("[+-]?(\\d[\\d_]*\\.?[\\d_]*|\\.\\d[\\d_]*)(e[+-]?\\d+)?")) {
                    return Double.parseDouble(t.replace("_", ""));
                }
            } catch (NumberFormatException e) {
                // use the default
            }
        }
        return dflt;
    }

    private static Object round(Object v, Object precision, String method) {
        int p = Py.toIndex(precision, "precision");
        if (!method.equals("common") && !method.equals("ceil") && !method.equals("floor")) {
            throw new PyError("FilterArgumentError", "method must be common, ceil or floor");
        }
        if (!Py.isNumber(v)) {
            throw PyError.typeError("type " + Py.typeName(v) + " doesn't define __round__ method");
        }
        if (method.equals("common")) {
            if (Py.isIntLike(v)) {
                return Py.normInt(Py.big(v));
            }
            double d = (Double) v;
            if (Double.isNaN(d) || Double.isInfinite(d)) {
                return d;
            }
            return new BigDecimal(d).setScale(p, RoundingMode.HALF_EVEN).doubleValue();
        }
        double d = Py.dbl(v);
        double f = Math.pow(10, p);
        return (method.equals("ceil") ? Math.ceil(d * f) : Math.floor(d * f)) / f;
    }

    private static String indent(String s, Object width, boolean first, boolean blank) {
        String ind = width instanceof String w ? w : " ".repeat(Math.max(0, Py.toIndex(width, "width")));
        String text = s + "\n";
        List<Object> lines = PyStrings.splitlines(text, false);
        String rv;
        if (blank) {
            StringBuilder sb = new StringBuilder();
            for (int k = 0; k < lines.size(); k++) {
                if (k > 0) {
                    sb.append('\n').append(ind);
                }
                sb.append((String) lines.get(k));
            }
            rv = sb.toString();
        } else {
            StringBuilder sb = new StringBuilder(lines.isEmpty() ? "" : (String) lines.get(0));
            if (lines.size() > 1) {
                sb.append('\n');
                for (int k = 1; k < lines.size(); k++) {
                    if (k > 1) {
                        sb.append('\n');
                    }
                    String line = (String) lines.get(k);
                    sb.append(line.isEmpty() ? line : ind + line);
                }
            }
            rv = sb.toString();
        }
        return first ? ind + rv : rv;
    }

    private static Object sortKey(Object item, boolean caseSensitive, Object attribute) {
        Object k = attribute == null ? item : attrPath(item, attribute);
        if (!caseSensitive && k instanceof String s) {
            return PyStrings.lower(s);
        }
        return k;
    }

    private static Object unique(Object v, boolean caseSensitive, Object attribute) {
        List<Object> out = new ArrayList<>();
        List<Object> seen = new ArrayList<>();
        for (Object item : Py.iterate(v)) {
            Object key = sortKey(item, caseSensitive, attribute);
            boolean dup = false;
            for (Object s : seen) {
                if (Py.eq(s, key)) {
                    dup = true;
                    break;
                }
            }
            if (!dup) {
                seen.add(key);
                out.add(item);
            }
        }
        return out;
    }

    private static Object sort(Object v, boolean reverse, boolean caseSensitive, Object attribute) {
        List<Object> items = Py.iterate(v);
        Comparator<Object> cmp = (x, y) -> Py.compare(sortKey(x, caseSensitive, attribute),
                sortKey(y, caseSensitive, attribute), "<");
        items.sort(reverse ? cmp.reversed() : cmp);
        return items;
    }

    private static Object dictsort(Object v, boolean caseSensitive, String by, boolean reverse) {
        if (!(v instanceof Map)) {
            throw PyError.typeError("dictsort expects a mapping");
        }
        int pos = switch (by) {
            case "key" -> 0;
            case "value" -> 1;
            default -> throw new PyError("FilterArgumentError", "You can only sort by either \"key\" or \"value\"");
        };
        @SuppressWarnings("unchecked")
        List<Object> items = (List<Object>) callMethod(v, "items", List.of(), Map.of());
        Comparator<Object> cmp = (x, y) -> Py.compare(sortKey(((PyTuple) x).get(pos), caseSensitive, null),
                sortKey(((PyTuple) y).get(pos), caseSensitive, null), "<");
        items.sort(reverse ? cmp.reversed() : cmp);
        return items;
    }
}
