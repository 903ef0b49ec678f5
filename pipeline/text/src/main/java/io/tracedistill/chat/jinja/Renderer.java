package io.tracedistill.chat.jinja;

import io.tracedistill.chat.jinja.Node.*;
import io.tracedistill.python.PyTuple;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Tree-walking evaluator for one render of a parsed template, with jinja2's runtime semantics
 * ({@code jinja2/runtime.py}, {@code jinja2/sandbox.py} {@code ImmutableSandboxedEnvironment}): a {@code for} body
 * gets a fresh scope per iteration (a {@code set} inside does not leave the loop; {@code namespace()} does), {@code if}
 * shares its scope, macros close over their defining scope and render into a captured buffer, attribute lookup tries
 * the Python attribute first and then the item (and subscript the other way round), missing values are
 * {@link Undefined}. One instance per render; not thread-safe, but the parsed template it reads is immutable.
 */
final class Renderer {

    private final String templateName;
    private final String source;
    private final Supplier<LocalDateTime> clock;
    private final StringBuilder root = new StringBuilder();
    private final List<int[]> generationSpans = new ArrayList<>();
    private int depth;

    Renderer(String templateName, String source, Supplier<LocalDateTime> clock) {
        this.templateName = templateName;
        this.source = source;
        this.clock = clock;
    }

    enum Flow { NORMAL, BREAK, CONTINUE }

    /** A variable scope; lookups fall through to the parent. */
    static final class Scope {
        final Map<String, Object> vars = new HashMap<>();
        final Scope parent;

        Scope(Scope parent) {
            this.parent = parent;
        }

        Object lookup(String name) {
            for (Scope s = this; s != null; s = s.parent) {
                Object v = s.vars.get(name);
                if (v != null || s.vars.containsKey(name)) {
                    return v;
                }
            }
            return Undefined.variable(name);
        }
    }

    /** jinja2's {@code loop} object. */
    static final class LoopContext {
        final List<Object> items;
        int index0;
        private Object lastChanged = Undefined.MISSING;

        LoopContext(List<Object> items) {
            this.items = items;
        }

        Object attr(String name) {
            int n = items.size();
            return switch (name) {
                case "index" -> (long) index0 + 1;
                case "index0" -> (long) index0;
                case "revindex" -> (long) (n - index0);
                case "revindex0" -> (long) (n - index0 - 1);
                case "first" -> index0 == 0;
                case "last" -> index0 == n - 1;
                case "length" -> (long) n;
                case "depth" -> 1L;
                case "depth0" -> 0L;
                case "previtem" -> index0 > 0 ? items.get(index0 - 1) : Undefined.hinted("there is no previous item");
                case "nextitem" -> index0 < n - 1 ? items.get(index0 + 1) : Undefined.hinted("there is no next item");
                case "cycle" -> new Globals.Function("cycle", (r, args, kw) -> {
                    if (args.isEmpty()) {
                        throw PyError.typeError("no items for cycling given");
                    }
                    return args.get(index0 % args.size());
                });
                case "changed" -> new Globals.Function("changed", (r, args, kw) -> {
                    Object v = args.size() == 1 ? args.get(0) : new PyTuple(args.toArray());
                    if (lastChanged != Undefined.MISSING && Py.eq(lastChanged, v)) {
                        return false;
                    }
                    lastChanged = v;
                    return true;
                });
                default -> Undefined.member(this, name);
            };
        }

        @Override
        public String toString() {
            return "<LoopContext " + (index0 + 1) + "/" + items.size() + ">";
        }
    }

    /** A {@code {% macro %}} (or a call block's {@code caller}) bound to the scope it was defined in. */
    static final class Macro implements PyCallable {
        final String name;
        final List<String> params;
        final List<Expr> defaults;
        final List<Stmt> body;
        final Scope closure;

        Macro(String name, List<String> params, List<Expr> defaults, List<Stmt> body, Scope closure) {
            this.name = name;
            this.params = params;
            this.defaults = defaults;
            this.body = body;
            this.closure = closure;
        }

        @Override
        public Object call(Renderer r, List<Object> args, Map<String, Object> kwargs) {
            return r.invokeMacro(this, args, kwargs);
        }

        @Override
        public String describe() {
            return "<Macro " + Py.repr(name) + ">";
        }
    }

    // ------------------------------------------------------------------ entry point

    RenderResult render(List<Stmt> body, Map<String, Object> context) {
        Scope globals = new Scope(null);
        Globals.installGlobals(globals.vars, clock);
        Scope ctx = new Scope(globals);
        ctx.vars.putAll(context);
        Scope top = new Scope(ctx);
        exec(body, top, root);
        String text = root.toString();
        List<int[]> spans = new ArrayList<>(generationSpans.size());
        for (int[] s : generationSpans) {
            int a = Math.min(s[0], text.length());
            int b = Math.min(s[1], text.length());
            spans.add(new int[] {text.codePointCount(0, a), text.codePointCount(0, b)});
        }
        return new RenderResult(text, spans);
    }

    TemplateException error(PyError e, int pos) {
        return new TemplateException(e.type, e.getMessage(), templateName, Lexer.lineOf(source, pos), e);
    }

    // ------------------------------------------------------------------ statements

    Flow exec(List<Stmt> body, Scope scope, StringBuilder out) {
        for (Stmt s : body) {
            Flow f;
            try {
                f = execOne(s, scope, out);
            } catch (PyError e) {
                throw error(e, s.pos());
            } catch (StackOverflowError e) {
                throw new TemplateException("RecursionError", "maximum recursion depth exceeded", templateName,
                        Lexer.lineOf(source, s.pos()));
            }
            if (f != Flow.NORMAL) {
                return f;
            }
        }
        return Flow.NORMAL;
    }

    private Flow execOne(Stmt s, Scope scope, StringBuilder out) {
        if (s instanceof Data d) {
            out.append(d.text());
        } else if (s instanceof Output o) {
            out.append(Py.str(eval(o.expr(), scope)));
        } else if (s instanceof If f) {
            for (int k = 0; k < f.tests().size(); k++) {
                if (Py.truthy(eval(f.tests().get(k), scope))) {
                    return exec(f.bodies().get(k), scope, out);
                }
            }
            return exec(f.elseBody(), scope, out);
        } else if (s instanceof For f) {
            return execFor(f, scope, out);
        } else if (s instanceof Assign a) {
            assign(a.target(), eval(a.value(), scope), scope);
        } else if (s instanceof AssignBlock a) {
            StringBuilder buf = new StringBuilder();
            exec(a.body(), new Scope(scope), buf);
            Object v = buf.toString();
            for (FilterCall fc : a.filters()) {
                v = applyFilter(fc, v, scope);
            }
            assign(a.target(), v, scope);
        } else if (s instanceof MacroDef m) {
            scope.vars.put(m.name(), new Macro(m.name(), m.params(), m.defaults(), m.body(), scope));
        } else if (s instanceof CallBlock cb) {
            Macro caller = new Macro("caller", cb.params(), cb.defaults(), cb.body(), scope);
            out.append(Py.str(evalCall(cb.call(), scope, caller)));
        } else if (s instanceof FilterBlock fb) {
            StringBuilder buf = new StringBuilder();
            exec(fb.body(), new Scope(scope), buf);
            Object v = buf.toString();
            for (FilterCall fc : fb.filters()) {
                v = applyFilter(fc, v, scope);
            }
            out.append(Py.str(v));
        } else if (s instanceof With w) {
            Scope inner = new Scope(scope);
            List<Object> values = new ArrayList<>();
            for (Expr e : w.values()) {
                values.add(eval(e, scope));
            }
            for (int k = 0; k < w.targets().size(); k++) {
                assign(w.targets().get(k), values.get(k), inner);
            }
            return exec(w.body(), inner, out);
        } else if (s instanceof Generation g) {
            // AssistantTracker renders the body as a caller macro: own scope, output returned as one string.
            StringBuilder buf = new StringBuilder();
            exec(g.body(), new Scope(scope), buf);
            int start = root.length();
            generationSpans.add(new int[] {start, start + buf.length()});
            out.append(buf);
        } else if (s instanceof Break) {
            return Flow.BREAK;
        } else if (s instanceof Continue) {
            return Flow.CONTINUE;
        } else {
            throw new IllegalStateException("unhandled statement " + s);
        }
        return Flow.NORMAL;
    }

    private Flow execFor(For f, Scope scope, StringBuilder out) {
        Object iterable = eval(f.iter(), scope);
        List<Object> items = Py.iterate(iterable);
        if (f.filter() != null) {
            List<Object> kept = new ArrayList<>();
            for (Object item : items) {
                Scope probe = new Scope(scope);
                assign(f.target(), item, probe);
                if (Py.truthy(eval(f.filter(), probe))) {
                    kept.add(item);
                }
            }
            items = kept;
        }
        if (items.isEmpty()) {
            return exec(f.elseBody(), new Scope(scope), out);
        }
        LoopContext loop = new LoopContext(items);
        for (int k = 0; k < items.size(); k++) {
            loop.index0 = k;
            Scope iter = new Scope(scope);
            iter.vars.put("loop", loop);
            assign(f.target(), items.get(k), iter);
            Flow fl = exec(f.body(), iter, out);
            if (fl == Flow.BREAK) {
                break;
            }
        }
        return Flow.NORMAL;
    }

    private void assign(Target t, Object value, Scope scope) {
        if (t instanceof NameTarget n) {
            scope.vars.put(n.name(), value);
        } else if (t instanceof NsTarget ns) {
            Object obj = scope.lookup(ns.name());
            if (!(obj instanceof Namespace nsObj)) {
                throw new PyError("TemplateRuntimeError", "cannot assign attribute on non-namespace object");
            }
            nsObj.attrs.put(ns.attr(), value);
        } else if (t instanceof TupleTarget tt) {
            List<Object> vals = Py.iterate(value);
            int n = tt.items().size();
            if (vals.size() < n) {
                throw PyError.valueError("not enough values to unpack (expected " + n + ", got " + vals.size() + ")");
            }
            if (vals.size() > n) {
                throw PyError.valueError("too many values to unpack (expected " + n + ")");
            }
            for (int k = 0; k < n; k++) {
                assign(tt.items().get(k), vals.get(k), scope);
            }
        }
    }

    Object invokeMacro(Macro m, List<Object> args, Map<String, Object> kwargs) {
        if (++depth > 200) {
            throw new PyError("RecursionError", "maximum recursion depth exceeded while calling a macro");
        }
        try {
            Scope s = new Scope(m.closure);
            int nParams = m.params.size();
            int firstDefault = nParams - m.defaults.size();
            Map<String, Object> extraKw = new LinkedHashMap<>(kwargs);
            for (int k = 0; k < nParams; k++) {
                String p = m.params.get(k);
                Object v;
                if (k < args.size()) {
                    v = args.get(k);
                    if (extraKw.containsKey(p)) {
                        throw PyError.typeError("macro " + Py.repr(m.name) + " got multiple values for argument "
                                + Py.repr(p));
                    }
                } else if (extraKw.containsKey(p)) {
                    v = extraKw.remove(p);
                } else if (k >= firstDefault) {
                    v = eval(m.defaults.get(k - firstDefault), s);
                } else {
                    v = Undefined.hinted("parameter " + Py.repr(p) + " was not provided");
                }
                s.vars.put(p, v);
            }
            if (extraKw.containsKey("caller")) {
                s.vars.put("caller", extraKw.remove("caller"));
            }
            s.vars.put("varargs", args.size() > nParams ? new ArrayList<>(args.subList(nParams, args.size()))
                    : new ArrayList<>());
            s.vars.put("kwargs", new LinkedHashMap<Object, Object>(extraKw));
            StringBuilder buf = new StringBuilder();
            exec(m.body, s, buf);
            return buf.toString();
        } finally {
            depth--;
        }
    }

    // ------------------------------------------------------------------ expressions

    Object eval(Expr e, Scope scope) {
        if (e instanceof Const c) {
            return c.value();
        }
        if (e instanceof Name n) {
            return scope.lookup(n.name());
        }
        if (e instanceof Getattr g) {
            return Lookup.getattr(eval(g.obj(), scope), g.attr());
        }
        if (e instanceof Getitem g) {
            return Lookup.getitem(eval(g.obj(), scope), eval(g.key(), scope));
        }
        if (e instanceof Slice sl) {
            Object obj = eval(sl.obj(), scope);
            return Lookup.slice(obj, evalOpt(sl.start(), scope), evalOpt(sl.stop(), scope), evalOpt(sl.step(), scope));
        }
        if (e instanceof Call c) {
            return evalCall(c, scope, null);
        }
        if (e instanceof Filter f) {
            return applyFilter(f.filter(), eval(f.value(), scope), scope);
        }
        if (e instanceof Test t) {
            Object v = eval(t.value(), scope);
            List<Object> args = evalList(t.args(), scope);
            Map<String, Object> kw = evalKw(t.kwNames(), t.kwValues(), scope);
            boolean r = Tests.test(this, t.name(), v, args, kw);
            return t.negated() != r;
        }
        if (e instanceof And a) {
            Object l = eval(a.left(), scope);
            return Py.truthy(l) ? eval(a.right(), scope) : l;
        }
        if (e instanceof Or o) {
            Object l = eval(o.left(), scope);
            return Py.truthy(l) ? l : eval(o.right(), scope);
        }
        if (e instanceof Not n) {
            return !Py.truthy(eval(n.operand(), scope));
        }
        if (e instanceof Neg n) {
            return Py.neg(eval(n.operand(), scope));
        }
        if (e instanceof Pos p) {
            return Py.pos(eval(p.operand(), scope));
        }
        if (e instanceof BinOp b) {
            Object l = eval(b.left(), scope);
            Object r = eval(b.right(), scope);
            return switch (b.op()) {
                case "+" -> Py.add(l, r);
                case "-" -> Py.sub(l, r);
                case "*" -> Py.mul(l, r);
                case "/" -> Py.truediv(l, r);
                case "//" -> Py.floordiv(l, r);
                case "%" -> Py.mod(l, r);
                case "**" -> Py.pow(l, r);
                default -> throw new IllegalStateException(b.op());
            };
        }
        if (e instanceof Concat c) {
            StringBuilder sb = new StringBuilder();
            for (Expr p : c.parts()) {
                sb.append(Py.str(eval(p, scope)));
            }
            return sb.toString();
        }
        if (e instanceof Compare c) {
            Object left = eval(c.first(), scope);
            for (int k = 0; k < c.ops().size(); k++) {
                Object right = eval(c.rest().get(k), scope);
                if (!compare(c.ops().get(k), left, right)) {
                    return false;
                }
                left = right;
            }
            return true;
        }
        if (e instanceof CondExpr c) {
            if (Py.truthy(eval(c.test(), scope))) {
                return eval(c.expr1(), scope);
            }
            if (c.expr2() == null) {
                return Undefined.hinted("the inline if-expression on line " + Lexer.lineOf(source, c.pos())
                        + " evaluated to false and no else section was defined.");
            }
            return eval(c.expr2(), scope);
        }
        if (e instanceof ListLit l) {
            return evalList(l.items(), scope);
        }
        if (e instanceof TupleLit t) {
            return PyTuple.of(evalList(t.items(), scope));
        }
        if (e instanceof DictLit d) {
            Map<Object, Object> m = new LinkedHashMap<>();
            for (int k = 0; k < d.keys().size(); k++) {
                Object key = eval(d.keys().get(k), scope);
                if (!Py.isHashable(key)) {
                    throw PyError.typeError("unhashable type: " + Py.repr(Py.typeName(key)));
                }
                Object existing = Py.findKey(m, key);
                m.put(existing == Py.NO_KEY ? key : existing, eval(d.values().get(k), scope));
            }
            return m;
        }
        throw new IllegalStateException("unhandled expression " + e);
    }

    static boolean compare(String op, Object l, Object r) {
        switch (op) {
            case "==":
                return Py.eq(l, r);
            case "!=":
                return !Py.eq(l, r);
            case "in":
                return Py.contains(r, l);
            case "notin":
                return !Py.contains(r, l);
            default:
                break;
        }
        if ((l instanceof Double d1 && d1.isNaN()) || (r instanceof Double d2 && d2.isNaN())) {
            if (Py.isNumber(l) && Py.isNumber(r)) {
                return false;
            }
        }
        int c = Py.compare(l, r, op);
        return switch (op) {
            case "<" -> c < 0;
            case "<=" -> c <= 0;
            case ">" -> c > 0;
            case ">=" -> c >= 0;
            default -> throw new IllegalStateException(op);
        };
    }

    private Object evalOpt(Expr e, Scope scope) {
        return e == null ? null : eval(e, scope);
    }

    List<Object> evalList(List<Expr> exprs, Scope scope) {
        List<Object> out = new ArrayList<>(exprs.size());
        for (Expr x : exprs) {
            out.add(eval(x, scope));
        }
        return out;
    }

    private Map<String, Object> evalKw(List<String> names, List<Expr> values, Scope scope) {
        if (names.isEmpty()) {
            return Map.of();
        }
        Map<String, Object> kw = new LinkedHashMap<>();
        for (int k = 0; k < names.size(); k++) {
            kw.put(names.get(k), eval(values.get(k), scope));
        }
        return kw;
    }

    private Object evalCall(Call c, Scope scope, Macro caller) {
        Object fn = eval(c.fn(), scope);
        List<Object> args = evalList(c.args(), scope);
        if (c.starArgs() != null) {
            args.addAll(Py.iterate(eval(c.starArgs(), scope)));
        }
        Map<String, Object> kw = new LinkedHashMap<>(evalKw(c.kwNames(), c.kwValues(), scope));
        if (c.starKwargs() != null) {
            Object m = eval(c.starKwargs(), scope);
            if (!(m instanceof Map<?, ?> map)) {
                throw PyError.typeError("argument after ** must be a mapping, not " + Py.typeName(m));
            }
            for (Map.Entry<?, ?> en : map.entrySet()) {
                kw.put(Py.str(en.getKey()), en.getValue());
            }
        }
        if (caller != null) {
            kw.put("caller", caller);
        }
        return call(fn, args, kw);
    }

    Object call(Object fn, List<Object> args, Map<String, Object> kw) {
        if (fn instanceof PyCallable pc) {
            return pc.call(this, args, kw);
        }
        if (fn instanceof Undefined u) {
            throw u.fail();
        }
        throw PyError.typeError(Py.repr(Py.typeName(fn)) + " object is not callable");
    }

    private Object applyFilter(FilterCall fc, Object value, Scope scope) {
        List<Object> args = evalList(fc.args(), scope);
        Map<String, Object> kw = evalKw(fc.kwNames(), fc.kwValues(), scope);
        return Filters.filter(this, fc.name(), value, args, kw);
    }
}
