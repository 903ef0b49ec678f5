package io.tracedistill.chat.jinja;

import io.tracedistill.chat.jinja.Node.*;
import java.util.List;

/**
 * jinja2 resolves filter and test names when it compiles a template: an unknown name is a
 * {@code TemplateAssertionError} ("No filter named 'x'.") at load time, except inside an {@code if} or an inline
 * {@code if} expression of the same frame, where it only fails when reached ({@code TemplateRuntimeError}
 * "No filter named 'x' found."). Reference: {@code jinja2/compiler.py} {@code _filter_test_common} (soft frames) and
 * {@code pull_dependencies}.
 */
final class NameCheck {

    private final String name;
    private final String source;

    private NameCheck(String name, String source) {
        this.name = name;
        this.source = source;
    }

    static void check(List<Stmt> body, String name, String normalisedSource) {
        new NameCheck(name, normalisedSource).stmts(body, false);
    }

    private void stmts(List<Stmt> body, boolean soft) {
        for (Stmt s : body) {
            stmt(s, soft);
        }
    }

    private void stmt(Stmt s, boolean soft) {
        if (s instanceof Output o) {
            expr(o.expr(), soft);
        } else if (s instanceof If f) {
            f.tests().forEach(t -> expr(t, true));
            f.bodies().forEach(b -> stmts(b, true));
            stmts(f.elseBody(), true);
        } else if (s instanceof For f) {
            expr(f.iter(), soft);
            if (f.filter() != null) {
                expr(f.filter(), false);
            }
            stmts(f.body(), false);
            stmts(f.elseBody(), false);
        } else if (s instanceof Assign a) {
            expr(a.value(), soft);
        } else if (s instanceof AssignBlock a) {
            a.filters().forEach(fc -> filter(fc, false));
            stmts(a.body(), false);
        } else if (s instanceof MacroDef m) {
            m.defaults().forEach(d -> expr(d, false));
            stmts(m.body(), false);
        } else if (s instanceof CallBlock cb) {
            expr(cb.call(), soft);
            cb.defaults().forEach(d -> expr(d, false));
            stmts(cb.body(), false);
        } else if (s instanceof FilterBlock fb) {
            fb.filters().forEach(fc -> filter(fc, false));
            stmts(fb.body(), false);
        } else if (s instanceof With w) {
            w.values().forEach(v -> expr(v, soft));
            stmts(w.body(), false);
        } else if (s instanceof Generation g) {
            stmts(g.body(), false);
        }
    }

    private void filter(FilterCall fc, boolean soft) {
        if (!soft && !Filters.FILTER_NAMES.contains(fc.name())) {
            throw new TemplateException("TemplateAssertionError", "No filter named " + Py.repr(fc.name()) + ".", name,
                    Lexer.lineOf(source, fc.pos()));
        }
        fc.args().forEach(a -> expr(a, soft));
        fc.kwValues().forEach(a -> expr(a, soft));
    }

    private void expr(Expr e, boolean soft) {
        if (e == null) {
            return;
        }
        if (e instanceof Filter f) {
            expr(f.value(), soft);
            filter(f.filter(), soft);
        } else if (e instanceof Test t) {
            if (!soft && !Tests.TEST_NAMES.contains(t.name())) {
                throw new TemplateException("TemplateAssertionError", "No test named " + Py.repr(t.name()) + ".", name,
                        Lexer.lineOf(source, t.pos()));
            }
            expr(t.value(), soft);
            t.args().forEach(a -> expr(a, soft));
            t.kwValues().forEach(a -> expr(a, soft));
        } else if (e instanceof CondExpr c) {
            expr(c.test(), true);
            expr(c.expr1(), true);
            expr(c.expr2(), true);
        } else if (e instanceof Getattr g) {
            expr(g.obj(), soft);
        } else if (e instanceof Getitem g) {
            expr(g.obj(), soft);
            expr(g.key(), soft);
        } else if (e instanceof Slice sl) {
            expr(sl.obj(), soft);
            expr(sl.start(), soft);
            expr(sl.stop(), soft);
            expr(sl.step(), soft);
        } else if (e instanceof Call c) {
            expr(c.fn(), soft);
            c.args().forEach(a -> expr(a, soft));
            c.kwValues().forEach(a -> expr(a, soft));
            expr(c.starArgs(), soft);
            expr(c.starKwargs(), soft);
        } else if (e instanceof BinOp b) {
            expr(b.left(), soft);
            expr(b.right(), soft);
        } else if (e instanceof Compare c) {
            expr(c.first(), soft);
            c.rest().forEach(a -> expr(a, soft));
        } else if (e instanceof And a) {
            expr(a.left(), soft);
            expr(a.right(), soft);
        } else if (e instanceof Or o) {
            expr(o.left(), soft);
            expr(o.right(), soft);
        } else if (e instanceof Not n) {
            expr(n.operand(), soft);
        } else if (e instanceof Neg n) {
            expr(n.operand(), soft);
        } else if (e instanceof Pos p) {
            expr(p.operand(), soft);
        } else if (e instanceof Concat c) {
            c.parts().forEach(a -> expr(a, soft));
        } else if (e instanceof ListLit l) {
            l.items().forEach(a -> expr(a, soft));
        } else if (e instanceof TupleLit t) {
            t.items().forEach(a -> expr(a, soft));
        } else if (e instanceof DictLit d) {
            d.keys().forEach(a -> expr(a, soft));
            d.values().forEach(a -> expr(a, soft));
        }
    }
}
