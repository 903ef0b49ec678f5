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

/** jinja2's builtin tests ({@code jinja2/tests.py}): {@code x is defined}, {@code x is string}, .... */
final class Tests {

    private Tests() {}


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
                return PyObjects.isInt(v);
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
                return Filters.FILTER_NAMES.contains(Py.str(v));
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
}
