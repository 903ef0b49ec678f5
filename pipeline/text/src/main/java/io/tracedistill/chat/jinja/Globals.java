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
 * The template globals: {@code range}, {@code dict} and {@code namespace} (jinja2 {@code defaults.DEFAULT_NAMESPACE}),
 * plus transformers' {@code raise_exception} and {@code strftime_now} ({@code chat_template_utils}), and
 * {@link Function}, the builtin function value they (and {@code loop.cycle}) are.
 */
final class Globals {

    private Globals() {}

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

    static Object range(List<Object> a) {
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
}
