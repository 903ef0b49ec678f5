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
 * The Python methods of {@code str}, {@code dict} and {@code list} a template may call ({@code 'abc'.upper()},
 * {@code d.items()}); mutating ones are unsafe in the immutable sandbox.
 */
final class PyMethods {

    private PyMethods() {}

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
                    Object key = Args.arg("get", a, kw, 0, "key", null);
                    Object k = Py.findKey(mm, key);
                    yield k == Py.NO_KEY ? Args.arg("get", a, kw, 1, "default", null) : mm.get(k);
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

    static Object strMethod(String s, String name, List<Object> a, Map<String, Object> kw) {
        switch (name) {
            case "strip", "lstrip", "rstrip" -> {
                Args.maxArgs(name, a, kw, 1);
                String chars = Args.optStr(a.isEmpty() ? null : a.get(0), name);
                return name.equals("strip") ? PyStrings.strip(s, chars)
                        : name.equals("lstrip") ? PyStrings.lstrip(s, chars) : PyStrings.rstrip(s, chars);
            }
            case "split", "rsplit" -> {
                Args.maxArgs(name, a, kw, 2, "sep", "maxsplit");
                String sep = Args.optStr(Args.arg(name, a, kw, 0, "sep", null), name);
                int max = Args.intArg(Args.arg(name, a, kw, 1, "maxsplit", null), -1);
                return name.equals("split") ? PyStrings.split(s, sep, max) : PyStrings.rsplit(s, sep, max);
            }
            case "splitlines" -> {
                return PyStrings.splitlines(s, Py.truthy(Args.arg(name, a, kw, 0, "keepends", false)));
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
                return PyStrings.replace(s, Args.strArg(a.get(0), "replace"), Args.strArg(a.get(1), "replace"),
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
                String sub = Args.strArg(a.get(0), name);
                long r = PyStrings.find(s, sub, a.size() > 1 ? a.get(1) : null, a.size() > 2 ? a.get(2) : null,
                        name.startsWith("r"));
                if (r < 0 && name.endsWith("index")) {
                    throw PyError.valueError("substring not found");
                }
                return r;
            }
            case "count" -> {
                return PyStrings.count(s, Args.strArg(a.get(0), name), a.size() > 1 ? a.get(1) : null,
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
                return s.codePoints().allMatch(PyText::isPrintable);
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
                String fill = a.size() > 1 ? Args.strArg(a.get(1), name) : " ";
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
                String sep = Args.strArg(a.get(0), name);
                int k = name.equals("partition") ? s.indexOf(sep) : s.lastIndexOf(sep);
                if (k < 0) {
                    return name.equals("partition") ? new PyTuple(s, "", "") : new PyTuple("", "", s);
                }
                return new PyTuple(s.substring(0, k), sep, s.substring(k + sep.length()));
            }
            case "removeprefix" -> {
                String p = Args.strArg(a.get(0), name);
                return s.startsWith(p) ? s.substring(p.length()) : s;
            }
            case "removesuffix" -> {
                String p = Args.strArg(a.get(0), name);
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

    static int clampSlice(int i, int n) {
        if (i < 0) {
            i = Math.max(0, i + n);
        }
        return Math.min(i, n);
    }

    /** Python {@code str.format} for plain fields ({@code {}}, {@code {0}}, {@code {name}}, {@code {name.attr}}). */
    static String strFormat(String s, List<Object> a, Map<String, Object> kw) {
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
                    v = Lookup.getattr(v, parts[k]);
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
}
