package io.tracedistill.chat.jinja;

import io.tracedistill.chat.jinja.Lexer.Kind;
import io.tracedistill.chat.jinja.Lexer.Token;
import io.tracedistill.chat.jinja.Node.*;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Recursive-descent parser producing {@link Node}s with jinja2 3.1's grammar and operator precedence
 * ({@code jinja2/parser.py}): conditional expression &lt; or &lt; and &lt; not &lt; comparisons / in &lt; + - &lt;
 * ~ &lt; * / // % &lt; ** &lt; unary - + &lt; primary with postfix ({@code .attr}, {@code [..]}, calls), filters
 * and tests. Statements: if/elif/else, for (with {@code if} filter and else), set (expression, namespace attribute,
 * block), macro, call, filter, with, break/continue (loopcontrols), raw, and transformers' {@code generation}.
 */
final class Parser {

    private final List<Token> tokens;
    private final String name;
    private final String source;
    private int i;

    private Parser(List<Token> tokens, String name, String source) {
        this.tokens = tokens;
        this.name = name;
        this.source = source;
    }

    static List<Stmt> parse(String source, String name) {
        List<Token> tokens = Lexer.tokenize(source, name);
        Parser p = new Parser(tokens, name, Lexer.normalisedSource(source));
        List<Stmt> body = p.subparse(null);
        if (p.cur().kind() != Kind.EOF) {
            throw p.fail("unexpected " + describe(p.cur()), p.cur());
        }
        NameCheck.check(body, name, p.source);
        return body;
    }

    // ------------------------------------------------------------------ token stream helpers

    private Token cur() {
        return tokens.get(i);
    }

    private Token look() {
        return tokens.get(Math.min(i + 1, tokens.size() - 1));
    }

    private Token next() {
        Token t = tokens.get(i);
        if (t.kind() != Kind.EOF) {
            i++;
        }
        return t;
    }

    private boolean skipOp(String op) {
        if (cur().isOp(op)) {
            i++;
            return true;
        }
        return false;
    }

    private boolean skipName(String n) {
        if (cur().isName(n)) {
            i++;
            return true;
        }
        return false;
    }

    private Token expectOp(String op) {
        if (!cur().isOp(op)) {
            throw unexpected("'" + op + "'");
        }
        return next();
    }

    private Token expectName() {
        if (cur().kind() != Kind.NAME) {
            throw unexpected("'name'");
        }
        return next();
    }

    private void expectBlockEnd() {
        if (cur().kind() != Kind.BLOCK_END) {
            throw unexpected("'end of statement block'");
        }
        next();
    }

    private TemplateException unexpected(String expected) {
        Token t = cur();
        if (t.kind() == Kind.EOF) {
            return fail("unexpected end of template, expected " + expected + ".", t);
        }
        return fail("expected token " + expected + ", got " + Py.repr(describe(t)), t);
    }

    private static String describe(Token t) {
        return switch (t.kind()) {
            case NAME, OP -> t.text();
            case STRING -> "string";
            case INTEGER -> "integer";
            case FLOAT -> "float";
            case DATA -> "template data / text";
            case BLOCK_BEGIN -> "begin of statement block";
            case BLOCK_END -> "end of statement block";
            case VAR_BEGIN -> "begin of print statement";
            case VAR_END -> "end of print statement";
            case EOF -> "end of template";
        };
    }

    private TemplateException fail(String msg, Token at) {
        return new TemplateException("TemplateSyntaxError", msg, name, Lexer.lineOf(source, at.pos()));
    }

    // ------------------------------------------------------------------ statements

    private List<Stmt> subparse(Set<String> endTokens) {
        List<Stmt> body = new ArrayList<>();
        while (cur().kind() != Kind.EOF) {
            Token t = cur();
            switch (t.kind()) {
                case DATA -> {
                    next();
                    body.add(new Data(t.text(), t.pos()));
                }
                case VAR_BEGIN -> {
                    next();
                    Expr e = parseTuple(false, true, null, false);
                    if (cur().kind() != Kind.VAR_END) {
                        throw unexpected("'end of print statement'");
                    }
                    next();
                    body.add(new Output(e, t.pos()));
                }
                case BLOCK_BEGIN -> {
                    next();
                    if (endTokens != null && cur().kind() == Kind.NAME && endTokens.contains(cur().text())) {
                        return body;
                    }
                    body.add(parseStatement());
                    expectBlockEnd();
                }
                default -> throw fail("unexpected " + describe(t), t);
            }
        }
        return body;
    }

    /** After the opening tag's name and arguments: expects its end, parses until one of {@code end}. */
    private List<Stmt> parseStatements(Set<String> end, boolean dropNeedle) {
        skipOp(":");
        expectBlockEnd();
        List<Stmt> body = subparse(end);
        if (cur().kind() == Kind.EOF) {
            throw fail("Unexpected end of template. Jinja was looking for the following tags: "
                    + String.join(" or ", end.stream().sorted().map(s -> "'" + s + "'").toList())
                    + ". The innermost block that needs to be closed is '" + innermost(end) + "'.", cur());
        }
        if (dropNeedle) {
            next();
        }
        return body;
    }

    private static String innermost(Set<String> end) {
        for (String e : end) {
            if (e.startsWith("end")) {
                return e.substring(3);
            }
        }
        return end.iterator().next();
    }

    private Stmt parseStatement() {
        Token t = cur();
        if (t.kind() != Kind.NAME) {
            throw fail("tag name expected", t);
        }
        return switch (t.text()) {
            case "if" -> parseIf();
            case "for" -> parseFor();
            case "set" -> parseSet();
            case "macro" -> parseMacro();
            case "call" -> parseCallBlock();
            case "filter" -> parseFilterBlock();
            case "with" -> parseWith();
            case "generation" -> {
                next();
                yield new Generation(parseStatements(Set.of("endgeneration"), true), t.pos());
            }
            case "break" -> {
                next();
                yield new Break(t.pos());
            }
            case "continue" -> {
                next();
                yield new Continue(t.pos());
            }
            default -> throw fail("Encountered unknown tag " + Py.repr(t.text()) + ".", t);
        };
    }

    private Stmt parseIf() {
        Token start = next();
        List<Expr> tests = new ArrayList<>();
        List<List<Stmt>> bodies = new ArrayList<>();
        List<Stmt> elseBody = List.of();
        while (true) {
            tests.add(parseTuple(false, false, null, false));
            bodies.add(parseStatements(Set.of("elif", "else", "endif"), false));
            Token t = next();
            if (t.isName("elif")) {
                continue;
            }
            if (t.isName("else")) {
                elseBody = parseStatements(Set.of("endif"), true);
            }
            break;
        }
        return new If(tests, bodies, elseBody, start.pos());
    }

    private Stmt parseFor() {
        Token start = next();
        Target target = toTarget(parseTuple(true, false, Set.of("in"), false), start);
        if (!skipName("in")) {
            throw unexpected("'in'");
        }
        Expr iter = parseTuple(false, false, Set.of("recursive"), false);
        Expr filter = null;
        if (skipName("if")) {
            filter = parseExpression(true);
        }
        if (cur().isName("recursive")) {
            throw fail("recursive for loops are not supported by this renderer", cur());
        }
        List<Stmt> body = parseStatements(Set.of("endfor", "else"), false);
        List<Stmt> elseBody = List.of();
        if (next().isName("else")) {
            elseBody = parseStatements(Set.of("endfor"), true);
        }
        return new For(target, iter, filter, body, elseBody, start.pos());
    }

    private Stmt parseSet() {
        Token start = next();
        Target target;
        if (cur().kind() == Kind.NAME && look().isOp(".")) {
            String ns = next().text();
            next();
            target = new NsTarget(ns, expectName().text());
        } else {
            target = toTarget(parseTuple(true, false, null, false), start);
        }
        if (skipOp("=")) {
            return new Assign(target, parseTuple(false, true, null, false), start.pos());
        }
        List<FilterCall> filters = parseFilterChain(false);
        List<Stmt> body = parseStatements(Set.of("endset"), true);
        return new AssignBlock(target, filters, body, start.pos());
    }

    private Stmt parseMacro() {
        Token start = next();
        String macroName = expectName().text();
        List<String> params = new ArrayList<>();
        List<Expr> defaults = new ArrayList<>();
        parseSignature(params, defaults);
        List<Stmt> body = parseStatements(Set.of("endmacro"), true);
        return new MacroDef(macroName, params, defaults, body, start.pos());
    }

    private void parseSignature(List<String> params, List<Expr> defaults) {
        expectOp("(");
        while (!cur().isOp(")")) {
            if (!params.isEmpty()) {
                expectOp(",");
            }
            Token p = expectName();
            if (skipOp("=")) {
                defaults.add(parseExpression(true));
            } else if (!defaults.isEmpty()) {
                throw fail("non-default argument follows default argument", p);
            }
            params.add(p.text());
        }
        expectOp(")");
    }

    private Stmt parseCallBlock() {
        Token start = next();
        List<String> params = new ArrayList<>();
        List<Expr> defaults = new ArrayList<>();
        if (cur().isOp("(")) {
            parseSignature(params, defaults);
        }
        Expr call = parseExpression(true);
        if (!(call instanceof Call c)) {
            throw fail("expected call", start);
        }
        List<Stmt> body = parseStatements(Set.of("endcall"), true);
        return new CallBlock(c, params, defaults, body, start.pos());
    }

    private Stmt parseFilterBlock() {
        Token start = next();
        List<FilterCall> filters = parseFilterChain(true);
        List<Stmt> body = parseStatements(Set.of("endfilter"), true);
        return new FilterBlock(filters, body, start.pos());
    }

    private Stmt parseWith() {
        Token start = next();
        List<Target> targets = new ArrayList<>();
        List<Expr> values = new ArrayList<>();
        while (cur().kind() != Kind.BLOCK_END) {
            if (!targets.isEmpty()) {
                expectOp(",");
            }
            targets.add(toTarget(parseTuple(true, false, null, false), cur()));
            expectOp("=");
            values.add(parseExpression(true));
        }
        List<Stmt> body = parseStatements(Set.of("endwith"), true);
        return new With(targets, values, body, start.pos());
    }

    private Target toTarget(Expr e, Token at) {
        if (e instanceof Name n) {
            if (Set.of("true", "false", "none", "True", "False", "None").contains(n.name())) {
                throw fail("Can't assign to " + n.name(), at);
            }
            return new NameTarget(n.name());
        }
        if (e instanceof TupleLit t) {
            List<Target> items = new ArrayList<>();
            for (Expr x : t.items()) {
                items.add(toTarget(x, at));
            }
            return new TupleTarget(items);
        }
        throw fail("can't assign to " + Py.repr(e.getClass().getSimpleName()), at);
    }

    // ------------------------------------------------------------------ expressions

    /**
     * jinja2 {@code parse_tuple}: comma-separated expressions; a single one without comma is returned as is.
     *
     * @param simplified only primaries (assignment targets)
     */
    private Expr parseTuple(boolean simplified, boolean withCondexpr, Set<String> extraEnd, boolean explicitParens) {
        List<Expr> args = new ArrayList<>();
        boolean isTuple = false;
        int pos = cur().pos();
        while (true) {
            if (!args.isEmpty()) {
                expectOp(",");
            }
            if (isTupleEnd(extraEnd)) {
                break;
            }
            args.add(simplified ? parsePrimary() : parseExpression(withCondexpr));
            if (cur().isOp(",")) {
                isTuple = true;
            } else {
                break;
            }
        }
        if (!isTuple) {
            if (!args.isEmpty()) {
                return args.get(0);
            }
            if (!explicitParens) {
                throw fail("Expected an expression, got " + Py.repr(describe(cur())), cur());
            }
        }
        return new TupleLit(args, pos);
    }

    private boolean isTupleEnd(Set<String> extraEnd) {
        Token t = cur();
        if (t.kind() == Kind.VAR_END || t.kind() == Kind.BLOCK_END || t.isOp(")")) {
            return true;
        }
        return extraEnd != null && t.kind() == Kind.NAME && extraEnd.contains(t.text());
    }

    private Expr parseExpression(boolean withCondexpr) {
        return withCondexpr ? parseCondexpr() : parseOr();
    }

    private Expr parseCondexpr() {
        int pos = cur().pos();
        Expr expr1 = parseOr();
        while (skipName("if")) {
            Expr test = parseOr();
            Expr expr2 = skipName("else") ? parseCondexpr() : null;
            expr1 = new CondExpr(test, expr1, expr2, pos);
        }
        return expr1;
    }

    private Expr parseOr() {
        Expr left = parseAnd();
        while (cur().isName("or")) {
            int pos = next().pos();
            left = new Or(left, parseAnd(), pos);
        }
        return left;
    }

    private Expr parseAnd() {
        Expr left = parseNot();
        while (cur().isName("and")) {
            int pos = next().pos();
            left = new And(left, parseNot(), pos);
        }
        return left;
    }

    private Expr parseNot() {
        if (cur().isName("not")) {
            int pos = next().pos();
            return new Not(parseNot(), pos);
        }
        return parseCompare();
    }

    private static final Set<String> COMPARE_OPS = Set.of("==", "!=", "<", "<=", ">", ">=");

    private Expr parseCompare() {
        int pos = cur().pos();
        Expr expr = parseMath1();
        List<String> ops = new ArrayList<>();
        List<Expr> rest = new ArrayList<>();
        while (true) {
            Token t = cur();
            if (t.kind() == Kind.OP && COMPARE_OPS.contains(t.text())) {
                next();
                ops.add(t.text());
                rest.add(parseMath1());
            } else if (skipName("in")) {
                ops.add("in");
                rest.add(parseMath1());
            } else if (t.isName("not") && look().isName("in")) {
                next();
                next();
                ops.add("notin");
                rest.add(parseMath1());
            } else {
                break;
            }
        }
        return ops.isEmpty() ? expr : new Compare(expr, ops, rest, pos);
    }

    private Expr parseMath1() {
        Expr left = parseConcat();
        while (cur().isOp("+") || cur().isOp("-")) {
            Token t = next();
            left = new BinOp(t.text(), left, parseConcat(), t.pos());
        }
        return left;
    }

    private Expr parseConcat() {
        int pos = cur().pos();
        List<Expr> args = new ArrayList<>();
        args.add(parseMath2());
        while (skipOp("~")) {
            args.add(parseMath2());
        }
        return args.size() == 1 ? args.get(0) : new Concat(args, pos);
    }

    private Expr parseMath2() {
        Expr left = parsePow();
        while (cur().isOp("*") || cur().isOp("/") || cur().isOp("//") || cur().isOp("%")) {
            Token t = next();
            left = new BinOp(t.text(), left, parsePow(), t.pos());
        }
        return left;
    }

    private Expr parsePow() {
        Expr left = parseUnary(true);
        while (cur().isOp("**")) {
            Token t = next();
            left = new BinOp("**", left, parseUnary(true), t.pos());
        }
        return left;
    }

    private Expr parseUnary(boolean withFilter) {
        Token t = cur();
        Expr node;
        if (t.isOp("-")) {
            next();
            node = new Neg(parseUnary(false), t.pos());
        } else if (t.isOp("+")) {
            next();
            node = new Pos(parseUnary(false), t.pos());
        } else {
            node = parsePrimary();
        }
        node = parsePostfix(node);
        if (withFilter) {
            node = parseFilterExpr(node);
        }
        return node;
    }

    private Expr parsePrimary() {
        Token t = cur();
        switch (t.kind()) {
            case NAME -> {
                next();
                return switch (t.text()) {
                    case "true", "True" -> new Const(Boolean.TRUE, t.pos());
                    case "false", "False" -> new Const(Boolean.FALSE, t.pos());
                    case "none", "None" -> new Const(null, t.pos());
                    default -> new Name(t.text(), t.pos());
                };
            }
            case STRING -> {
                next();
                StringBuilder sb = new StringBuilder((String) t.value());
                while (cur().kind() == Kind.STRING) {
                    sb.append((String) next().value());
                }
                return new Const(sb.toString(), t.pos());
            }
            case INTEGER, FLOAT -> {
                next();
                return new Const(t.value(), t.pos());
            }
            case OP -> {
                if (t.isOp("(")) {
                    next();
                    Expr e = parseTuple(false, true, null, true);
                    expectOp(")");
                    return e;
                }
                if (t.isOp("[")) {
                    return parseList();
                }
                if (t.isOp("{")) {
                    return parseDict();
                }
            }
            default -> { }
        }
        throw fail("unexpected " + Py.repr(describe(t)), t);
    }

    private Expr parseList() {
        Token start = expectOp("[");
        List<Expr> items = new ArrayList<>();
        while (!cur().isOp("]")) {
            if (!items.isEmpty()) {
                expectOp(",");
            }
            if (cur().isOp("]")) {
                break;
            }
            items.add(parseExpression(true));
        }
        expectOp("]");
        return new ListLit(items, start.pos());
    }

    private Expr parseDict() {
        Token start = expectOp("{");
        List<Expr> keys = new ArrayList<>();
        List<Expr> values = new ArrayList<>();
        while (!cur().isOp("}")) {
            if (!keys.isEmpty()) {
                expectOp(",");
            }
            if (cur().isOp("}")) {
                break;
            }
            keys.add(parseExpression(true));
            expectOp(":");
            values.add(parseExpression(true));
        }
        expectOp("}");
        return new DictLit(keys, values, start.pos());
    }

    private Expr parsePostfix(Expr node) {
        while (true) {
            if (cur().isOp(".") || cur().isOp("[")) {
                node = parseSubscript(node);
            } else if (cur().isOp("(")) {
                node = parseCall(node);
            } else {
                return node;
            }
        }
    }

    private Expr parseFilterExpr(Expr node) {
        while (true) {
            if (cur().isOp("|")) {
                for (FilterCall f : parseFilterChain(false)) {
                    node = new Filter(node, f, f.pos());
                }
            } else if (cur().isName("is")) {
                node = parseTest(node);
            } else if (cur().isOp("(")) {
                node = parseCall(node);
            } else {
                return node;
            }
        }
    }

    private Expr parseSubscript(Expr node) {
        Token t = next();
        if (t.isOp(".")) {
            Token attr = next();
            if (attr.kind() == Kind.NAME) {
                return new Getattr(node, attr.text(), t.pos());
            }
            if (attr.kind() != Kind.INTEGER) {
                throw fail("expected name or number", attr);
            }
            return new Getitem(node, new Const(attr.value(), attr.pos()), t.pos());
        }
        List<Expr> args = new ArrayList<>();
        Expr single = null;
        while (!cur().isOp("]")) {
            if (!args.isEmpty()) {
                expectOp(",");
            }
            Expr sub = parseSubscribed(node, t.pos());
            args.add(sub);
        }
        expectOp("]");
        if (args.size() == 1) {
            single = args.get(0);
            if (single instanceof Slice s && s.obj() == null) {
                return new Slice(node, s.start(), s.stop(), s.step(), t.pos());
            }
            return new Getitem(node, single, t.pos());
        }
        return new Getitem(node, new TupleLit(args, t.pos()), t.pos());
    }

    /** An index expression or a slice (returned as a {@link Slice} with a null object, filled in by the caller). */
    private Expr parseSubscribed(Expr node, int pos) {
        Expr start = null;
        if (cur().isOp(":")) {
            next();
        } else {
            Expr e = parseExpression(true);
            if (!cur().isOp(":")) {
                return e;
            }
            next();
            start = e;
        }
        Expr stop = null;
        Expr step = null;
        if (!cur().isOp(":") && !cur().isOp("]") && !cur().isOp(",")) {
            stop = parseExpression(true);
        }
        if (cur().isOp(":")) {
            next();
            if (!cur().isOp("]") && !cur().isOp(",")) {
                step = parseExpression(true);
            }
        }
        return new Slice(null, start, stop, step, pos);
    }

    private record CallArgs(List<Expr> args, List<String> kwNames, List<Expr> kwValues, Expr star, Expr starStar) {}

    private CallArgs parseCallArgs() {
        Token open = expectOp("(");
        List<Expr> args = new ArrayList<>();
        List<String> kwNames = new ArrayList<>();
        List<Expr> kwValues = new ArrayList<>();
        Expr star = null;
        Expr starStar = null;
        boolean requireComma = false;
        while (!cur().isOp(")")) {
            if (requireComma) {
                expectOp(",");
                if (cur().isOp(")")) {
                    break;
                }
            }
            if (cur().isOp("*")) {
                if (star != null || starStar != null) {
                    throw fail("invalid syntax for function call expression", open);
                }
                next();
                star = parseExpression(true);
            } else if (cur().isOp("**")) {
                if (starStar != null) {
                    throw fail("invalid syntax for function call expression", open);
                }
                next();
                starStar = parseExpression(true);
            } else if (cur().kind() == Kind.NAME && look().isOp("=")) {
                if (starStar != null) {
                    throw fail("invalid syntax for function call expression", open);
                }
                kwNames.add(next().text());
                next();
                kwValues.add(parseExpression(true));
            } else {
                if (star != null || starStar != null || !kwNames.isEmpty()) {
                    throw fail("invalid syntax for function call expression", open);
                }
                args.add(parseExpression(true));
            }
            requireComma = true;
        }
        expectOp(")");
        return new CallArgs(args, kwNames, kwValues, star, starStar);
    }

    private Expr parseCall(Expr node) {
        int pos = cur().pos();
        CallArgs a = parseCallArgs();
        return new Call(node, a.args(), a.kwNames(), a.kwValues(), a.star(), a.starStar(), pos);
    }

    private List<FilterCall> parseFilterChain(boolean startInline) {
        List<FilterCall> out = new ArrayList<>();
        while (cur().isOp("|") || startInline) {
            if (!startInline) {
                next();
            }
            Token t = expectName();
            StringBuilder fname = new StringBuilder(t.text());
            while (cur().isOp(".")) {
                next();
                fname.append('.').append(expectName().text());
            }
            if (cur().isOp("(")) {
                CallArgs a = parseCallArgs();
                if (a.star() != null || a.starStar() != null) {
                    throw fail("*args / **kwargs in filter calls are not supported by this renderer", t);
                }
                out.add(new FilterCall(fname.toString(), a.args(), a.kwNames(), a.kwValues(), t.pos()));
            } else {
                out.add(new FilterCall(fname.toString(), List.of(), List.of(), List.of(), t.pos()));
            }
            startInline = false;
        }
        return out;
    }

    private static final Set<Kind> TEST_ARG_START = Set.of(Kind.NAME, Kind.STRING, Kind.INTEGER, Kind.FLOAT);

    private Expr parseTest(Expr node) {
        Token is = next();
        boolean negated = skipName("not");
        StringBuilder tname = new StringBuilder(expectName().text());
        while (cur().isOp(".")) {
            next();
            tname.append('.').append(expectName().text());
        }
        List<Expr> args = new ArrayList<>();
        List<String> kwNames = List.of();
        List<Expr> kwValues = List.of();
        Token t = cur();
        if (t.isOp("(")) {
            CallArgs a = parseCallArgs();
            args = a.args();
            kwNames = a.kwNames();
            kwValues = a.kwValues();
        } else if ((TEST_ARG_START.contains(t.kind()) || t.isOp("[") || t.isOp("{"))
                && !(t.isName("else") || t.isName("or") || t.isName("and"))) {
            if (t.isName("is")) {
                throw fail("You cannot chain multiple tests with is", t);
            }
            args.add(parsePostfix(parsePrimary()));
        }
        return new Test(node, tname.toString(), args, kwNames, kwValues, negated, is.pos());
    }
}
