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

/** jinja2's builtin filters ({@code jinja2/filters.py}): {@code x | tojson}, {@code x | trim}, .... */
final class Filters {

    private Filters() {}

    /** Every builtin filter of jinja2 3.1 (what its compiler accepts); the renderer implements all but a few. */
    static final Set<String> FILTER_NAMES = Set.of("abs", "attr", "batch", "capitalize", "center", "count", "d",
            "default", "dictsort", "e", "escape", "filesizeformat", "first", "float", "forceescape", "format", "groupby",
            "indent", "int", "items", "join", "last", "length", "list", "lower", "map", "max", "min", "pprint", "random",
            "reject", "rejectattr", "replace", "reverse", "round", "safe", "select", "selectattr", "slice", "sort",
            "string", "striptags", "sum", "title", "tojson", "trim", "truncate", "unique", "upper", "urlencode",
            "urlize", "wordcount", "wordwrap", "xmlattr");


    static Object filter(Renderer r, String name, Object v, List<Object> a, Map<String, Object> kw) {
        switch (name) {
            case "safe", "string":
                return Py.str(v);
            case "trim": {
                Object chars = Args.arg("trim", a, kw, 0, "chars", null);
                return PyStrings.strip(Py.str(v), chars == null ? null : Py.str(chars));
            }
            case "length", "count":
                return Py.len(v);
            case "tojson":
                // transformers: tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False)
                return PyJson.dumps(v, Py.truthy(Args.arg("tojson", a, kw, 0, "ensure_ascii", false)),
                        Args.arg("tojson", a, kw, 1, "indent", null), Args.arg("tojson", a, kw, 2, "separators", null),
                        Py.truthy(Args.arg("tojson", a, kw, 3, "sort_keys", false)));
            case "default", "d": {
                Object dflt = Args.arg(name, a, kw, 0, "default_value", "");
                boolean bool = Py.truthy(Args.arg(name, a, kw, 1, "boolean", false));
                return v instanceof Undefined || (bool && !Py.truthy(v)) ? dflt : v;
            }
            case "items": {
                if (v instanceof Undefined) {
                    return new ArrayList<>();
                }
                if (!(v instanceof Map)) {
                    throw PyError.typeError("Can only get item pairs from a mapping.");
                }
                return PyMethods.callMethod(v, "items", List.of(), Map.of());
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
                Object old = Args.arg("replace", a, kw, 0, "old", null);
                Object rep = Args.arg("replace", a, kw, 1, "new", null);
                Object cnt = Args.arg("replace", a, kw, 2, "count", null);
                return PyStrings.replace(Py.str(v), Py.str(old), Py.str(rep), cnt == null ? -1 : Py.toIndex(cnt, "count"));
            }
            case "join": {
                String d = Py.str(Args.arg("join", a, kw, 0, "d", ""));
                Object attribute = Args.arg("join", a, kw, 1, "attribute", null);
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
                    return Lookup.slice(s, null, null, -1L);
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
                return toInt(v, Args.arg("int", a, kw, 0, "default", 0L), Args.arg("int", a, kw, 1, "base", 10L));
            case "float":
                return toFloat(v, Args.arg("float", a, kw, 0, "default", 0.0));
            case "round":
                return round(v, Args.arg("round", a, kw, 0, "precision", 0L), Py.str(Args.arg("round", a, kw, 1, "method", "common")));
            case "indent":
                return indent(Py.str(v), Args.arg("indent", a, kw, 0, "width", 4L), Py.truthy(Args.arg("indent", a, kw, 1, "first", false)),
                        Py.truthy(Args.arg("indent", a, kw, 2, "blank", false)));
            case "center":
                return PyStrings.center(Py.str(v), Py.toIndex(Args.arg("center", a, kw, 0, "width", 80L), "width"), " ");
            case "unique":
                return unique(v, Py.truthy(Args.arg("unique", a, kw, 0, "case_sensitive", false)),
                        Args.arg("unique", a, kw, 1, "attribute", null));
            case "sort":
                return sort(v, Py.truthy(Args.arg("sort", a, kw, 0, "reverse", false)),
                        Py.truthy(Args.arg("sort", a, kw, 1, "case_sensitive", false)), Args.arg("sort", a, kw, 2, "attribute", null));
            case "dictsort":
                return dictsort(v, Py.truthy(Args.arg("dictsort", a, kw, 0, "case_sensitive", false)),
                        Py.str(Args.arg("dictsort", a, kw, 1, "by", "key")), Py.truthy(Args.arg("dictsort", a, kw, 2, "reverse", false)));
            case "min", "max": {
                List<Object> items = Py.iterate(v);
                if (items.isEmpty()) {
                    return Undefined.hinted("No aggregated item, sequence was empty.");
                }
                boolean cs = Py.truthy(Args.arg(name, a, kw, 0, "case_sensitive", false));
                Object attribute = Args.arg(name, a, kw, 1, "attribute", null);
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
                Object attribute = Args.arg("sum", a, kw, 0, "attribute", null);
                Object total = Args.arg("sum", a, kw, 1, "start", 0L);
                for (Object o : Py.iterate(v)) {
                    total = Py.add(total, attribute == null ? o : attrPath(o, attribute));
                }
                return total;
            }
            case "batch": {
                int n = Py.toIndex(Args.arg("batch", a, kw, 0, "linecount", null), "linecount");
                Object fill = Args.arg("batch", a, kw, 1, "fill_with", null);
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
                return Lookup.getattr(v, Py.str(a.get(0)));
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
                int length = Py.toIndex(Args.arg("truncate", a, kw, 0, "length", 255L), "length");
                boolean killwords = Py.truthy(Args.arg("truncate", a, kw, 1, "killwords", false));
                String end = Py.str(Args.arg("truncate", a, kw, 2, "end", "..."));
                Object lw = Args.arg("truncate", a, kw, 3, "leeway", null);
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
                            + " is not supported by this renderer (io.tracedistill.chat.jinja.Filters)");
                }
                throw new PyError("TemplateRuntimeError", "No filter named " + Py.repr(name) + " found.");
        }
    }

    /** jinja2 {@code do_title}: capitalise each word after {@code -}, whitespace or an opening bracket. */
    static String jinjaTitle(String s) {
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

    /** jinja2 {@code make_attrgetter}: dotted path, integer parts as indices, via {@link Lookup#getitem}. */
    static Object attrPath(Object item, Object attribute) {
        if (Py.isIntLike(attribute)) {
            return Lookup.getitem(item, attribute);
        }
        Object v = item;
        for (String part : Py.str(attribute).split("\\.", -1)) {
            Object key = part.chars().allMatch(Character::isDigit) && !part.isEmpty() ? (Object) Long.parseLong(part) : part;
            v = Lookup.getitem(v, key);
        }
        return v;
    }

    static Object selectOrReject(Renderer r, String name, Object v, List<Object> a, Map<String, Object> kw) {
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
            boolean ok = testName == null ? Py.truthy(probe) : Tests.test(r, testName, probe, testArgs, kw);
            if (ok == select) {
                out.add(item);
            }
        }
        return out;
    }

    static Object map(Renderer r, Object v, List<Object> a, Map<String, Object> kw) {
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

    static Object toInt(Object v, Object dflt, Object base) {
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

    static Object toFloat(Object v, Object dflt) {
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

    static Object round(Object v, Object precision, String method) {
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

    static String indent(String s, Object width, boolean first, boolean blank) {
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

    static Object sortKey(Object item, boolean caseSensitive, Object attribute) {
        Object k = attribute == null ? item : attrPath(item, attribute);
        if (!caseSensitive && k instanceof String s) {
            return PyStrings.lower(s);
        }
        return k;
    }

    static Object unique(Object v, boolean caseSensitive, Object attribute) {
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

    static Object sort(Object v, boolean reverse, boolean caseSensitive, Object attribute) {
        List<Object> items = Py.iterate(v);
        Comparator<Object> cmp = (x, y) -> Py.compare(sortKey(x, caseSensitive, attribute),
                sortKey(y, caseSensitive, attribute), "<");
        items.sort(reverse ? cmp.reversed() : cmp);
        return items;
    }

    static Object dictsort(Object v, boolean caseSensitive, String by, boolean reverse) {
        if (!(v instanceof Map)) {
            throw PyError.typeError("dictsort expects a mapping");
        }
        int pos = switch (by) {
            case "key" -> 0;
            case "value" -> 1;
            default -> throw new PyError("FilterArgumentError", "You can only sort by either \"key\" or \"value\"");
        };
        @SuppressWarnings("unchecked")
        List<Object> items = (List<Object>) PyMethods.callMethod(v, "items", List.of(), Map.of());
        Comparator<Object> cmp = (x, y) -> Py.compare(sortKey(((PyTuple) x).get(pos), caseSensitive, null),
                sortKey(((PyTuple) y).get(pos), caseSensitive, null), "<");
        items.sort(reverse ? cmp.reversed() : cmp);
        return items;
    }
}
