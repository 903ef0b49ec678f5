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

/** Argument checks shared by the filters, tests, globals and Python methods, with CPython's TypeError messages. */
final class Args {

    private Args() {}


    static Object arg(String fn, List<Object> args, Map<String, Object> kw, int idx, String name, Object dflt) {
        if (idx < args.size()) {
            if (kw.containsKey(name)) {
                throw PyError.typeError(fn + "() got multiple values for argument " + Py.repr(name));
            }
            return args.get(idx);
        }
        return kw.containsKey(name) ? kw.get(name) : dflt;
    }

    static void maxArgs(String fn, List<Object> args, Map<String, Object> kw, int max, String... names) {
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

    static String strArg(Object v, String fn) {
        if (v instanceof String s) {
            return s;
        }
        if (v instanceof Undefined u) {
            throw u.fail();
        }
        throw PyError.typeError(fn + " arg must be None or str, not " + Py.typeName(v));
    }

    static String optStr(Object v, String fn) {
        return v == null ? null : strArg(v, fn);
    }

    static int intArg(Object v, int dflt) {
        return v == null ? dflt : Py.toIndex(v, "argument");
    }
}
