package io.tracedistill.chat.jinja;

import java.util.List;

/**
 * The template AST, one record per jinja2 node kind the chat-template corpus uses ({@code jinja2/nodes.py}).
 * Every node keeps the source offset of its tag ({@code pos}) so errors can name the line.
 */
sealed interface Node {

    int pos();

    // ------------------------------------------------------------------ statements

    sealed interface Stmt extends Node {}

    record Data(String text, int pos) implements Stmt {}

    record Output(Expr expr, int pos) implements Stmt {}

    record If(List<Expr> tests, List<List<Stmt>> bodies, List<Stmt> elseBody, int pos) implements Stmt {}

    record For(Target target, Expr iter, Expr filter, List<Stmt> body, List<Stmt> elseBody, int pos) implements Stmt {}

    record Assign(Target target, Expr value, int pos) implements Stmt {}

    record AssignBlock(Target target, List<FilterCall> filters, List<Stmt> body, int pos) implements Stmt {}

    record MacroDef(String name, List<String> params, List<Expr> defaults, List<Stmt> body, int pos) implements Stmt {}

    /** {@code {% call(params) macro(...) %}body{% endcall %}}: the body becomes the {@code caller} macro. */
    record CallBlock(Call call, List<String> params, List<Expr> defaults, List<Stmt> body, int pos) implements Stmt {}

    record FilterBlock(List<FilterCall> filters, List<Stmt> body, int pos) implements Stmt {}

    record With(List<Target> targets, List<Expr> values, List<Stmt> body, int pos) implements Stmt {}

    /** transformers' {@code {% generation %}...{% endgeneration %}} (AssistantTracker): body rendered as a caller. */
    record Generation(List<Stmt> body, int pos) implements Stmt {}

    record Break(int pos) implements Stmt {}

    record Continue(int pos) implements Stmt {}

    // ------------------------------------------------------------------ assignment targets

    sealed interface Target {}

    record NameTarget(String name) implements Target {}

    record NsTarget(String name, String attr) implements Target {}

    record TupleTarget(List<Target> items) implements Target {}

    // ------------------------------------------------------------------ expressions

    sealed interface Expr extends Node {}

    record Const(Object value, int pos) implements Expr {}

    record Name(String name, int pos) implements Expr {}

    record TupleLit(List<Expr> items, int pos) implements Expr {}

    record ListLit(List<Expr> items, int pos) implements Expr {}

    record DictLit(List<Expr> keys, List<Expr> values, int pos) implements Expr {}

    record Getattr(Expr obj, String attr, int pos) implements Expr {}

    record Getitem(Expr obj, Expr key, int pos) implements Expr {}

    /** {@code obj[start:stop:step]}; absent parts are null. */
    record Slice(Expr obj, Expr start, Expr stop, Expr step, int pos) implements Expr {}

    record Call(Expr fn, List<Expr> args, List<String> kwNames, List<Expr> kwValues, Expr starArgs, Expr starKwargs,
            int pos) implements Expr {}

    /** One filter application {@code |name(args)}; used both in expressions and in filter/set blocks. */
    record FilterCall(String name, List<Expr> args, List<String> kwNames, List<Expr> kwValues, int pos) {}

    record Filter(Expr value, FilterCall filter, int pos) implements Expr {}

    record Test(Expr value, String name, List<Expr> args, List<String> kwNames, List<Expr> kwValues, boolean negated,
            int pos) implements Expr {}

    record BinOp(String op, Expr left, Expr right, int pos) implements Expr {}

    /** {@code a < b <= c}: ops are {@code == != < <= > >= in notin}. */
    record Compare(Expr first, List<String> ops, List<Expr> rest, int pos) implements Expr {}

    record And(Expr left, Expr right, int pos) implements Expr {}

    record Or(Expr left, Expr right, int pos) implements Expr {}

    record Not(Expr operand, int pos) implements Expr {}

    record Neg(Expr operand, int pos) implements Expr {}

    record Pos(Expr operand, int pos) implements Expr {}

    record Concat(List<Expr> parts, int pos) implements Expr {}

    /** {@code expr1 if test else expr2}; a missing else gives undefined. */
    record CondExpr(Expr test, Expr expr1, Expr expr2, int pos) implements Expr {}
}
