package io.tracedistill.chat.jinja;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Splits a template into tokens exactly as jinja2 3.1's lexer does under transformers' settings
 * ({@code trim_blocks=True, lstrip_blocks=True}, {@code keep_trailing_newline=False}); reference:
 * {@code jinja2/lexer.py} ({@code Lexer.tokeniter}, {@code wrap}).
 * <ul>
 *   <li>{@code {%- / {{- / {#-} strip all Python whitespace before the tag; {@code -%} / -}} / -#}} strip all after.
 *   <li>lstrip_blocks: spaces/tabs between the start of a line and a {@code {%} or {@code {#} tag are removed
 *       (not before {@code {{}, not with {@code {%+}).
 *   <li>trim_blocks: the first newline after {@code %}} or {@code #}} is removed (not after {@code +%}}).
 *   <li>Newlines are normalised to {@code \n} and a single trailing newline of the source is dropped.
 *   <li>String literals are decoded like Python's {@code unicode-escape} codec.
 * </ul>
 */
final class Lexer {

    enum Kind { DATA, VAR_BEGIN, VAR_END, BLOCK_BEGIN, BLOCK_END, NAME, STRING, INTEGER, FLOAT, OP, EOF }

    /** One token; {@code pos} is the offset in the normalised source (for line numbers). */
    record Token(Kind kind, String text, Object value, int pos) {
        boolean is(Kind k, String t) {
            return kind == k && text.equals(t);
        }

        boolean isName(String t) {
            return kind == Kind.NAME && text.equals(t);
        }

        boolean isOp(String t) {
            return kind == Kind.OP && text.equals(t);
        }
    }

    private static final Pattern FLOAT = Pattern.compile(
            "(\\d+_)*\\d+((\\.(\\d+_)*\\d+)?[eE][+\\-]?(\\d+_)*\\d+|\\.(\\d+_)*\\d+)");
    private static final Pattern INTEGER = Pattern.compile(
            "0[bB](_?[0-1])+|0[oO](_?[0-7])+|0[xX](_?[\\da-fA-F])+|[1-9](_?\\d)*|0(_?0)*");
    private static final Pattern STRING = Pattern.compile(
            "'([^'\\\\]*(?:\\\\.[^'\\\\]*)*)'|\"([^\"\\\\]*(?:\\\\.[^\"\\\\]*)*)\"", Pattern.DOTALL);
    private static final String[] OPERATORS = {
        "**", "//", "==", "!=", ">=", "<=", "+", "-", "/", "*", "%", "~", "[", "]", "(", ")", "{", "}", ">", "<",
        "=", ".", ":", "|", ",", ";"
    };

    private final String src;
    private final String name;
    private final List<Token> out = new ArrayList<>();
    private int pos;
    private boolean lineStarting = true;

    private Lexer(String source, String name) {
        this.src = normalise(source);
        this.name = name;
    }

    /** Newlines to {@code \n}; one trailing newline dropped (jinja2 {@code keep_trailing_newline=False}). */
    static String normalise(String source) {
        String s = source.replace("\r\n", "\n").replace('\r', '\n');
        return s.endsWith("\n") ? s.substring(0, s.length() - 1) : s;
    }

    static List<Token> tokenize(String source, String name) {
        Lexer lx = new Lexer(source, name);
        lx.run();
        return lx.out;
    }

    /** The normalised source the token positions refer to. */
    static int lineOf(String normalisedSource, int pos) {
        int line = 1;
        for (int i = 0; i < pos && i < normalisedSource.length(); i++) {
            if (normalisedSource.charAt(i) == '\n') {
                line++;
            }
        }
        return line;
    }

    static String normalisedSource(String source) {
        return normalise(source);
    }

    private TemplateException syntax(String msg, int at) {
        return new TemplateException("TemplateSyntaxError", msg, name, lineOf(src, at));
    }

    private void run() {
        int n = src.length();
        while (pos < n) {
            int tag = findTagStart(pos);
            if (tag < 0) {
                out.add(new Token(Kind.DATA, src.substring(pos), null, pos));
                pos = n;
                break;
            }
            String text = src.substring(pos, tag);
            char second = src.charAt(tag + 1);
            int signAt = tag + 2;
            char sign = signAt < n && (src.charAt(signAt) == '-' || src.charAt(signAt) == '+') ? src.charAt(signAt) : 0;
            int rawEnd = second == '%' ? matchRawBegin(tag) : -1;
            if (sign == '-') {
                text = PyStrings.rstrip(text, null);
            } else if (sign != '+' && second != '{') {
                int lpos = text.lastIndexOf('\n') + 1;
                if ((lpos > 0 || lineStarting) && lpos < text.length() && allSpace(text, lpos)) {
                    text = text.substring(0, lpos);
                }
            }
            if (!text.isEmpty()) {
                out.add(new Token(Kind.DATA, text, null, pos));
            }
            lineStarting = false;
            int afterBegin = tag + 2 + (sign != 0 ? 1 : 0);
            if (rawEnd >= 0) {
                lineStarting = src.charAt(rawEnd - 1) == '\n';
                pos = rawEnd;
                lexRaw(tag);
            } else if (second == '#') {
                lexComment(afterBegin, tag);
            } else if (second == '%') {
                out.add(new Token(Kind.BLOCK_BEGIN, src.substring(tag, afterBegin), null, tag));
                pos = afterBegin;
                lexTag(true, tag);
            } else {
                out.add(new Token(Kind.VAR_BEGIN, src.substring(tag, afterBegin), null, tag));
                pos = afterBegin;
                lexTag(false, tag);
            }
        }
        out.add(new Token(Kind.EOF, "", null, n));
    }

    private static boolean allSpace(String s, int from) {
        for (int i = from; i < s.length(); i++) {
            if (!PyStrings.isSpace(s.charAt(i))) {
                return false;
            }
        }
        return true;
    }

    private int findTagStart(int from) {
        int i = from;
        while (true) {
            int k = src.indexOf('{', i);
            if (k < 0 || k + 1 >= src.length()) {
                return -1;
            }
            char c = src.charAt(k + 1);
            if (c == '{' || c == '%' || c == '#') {
                return k;
            }
            i = k + 1;
        }
    }

    private static final Pattern RAW_BEGIN = Pattern.compile("\\{%[-+]?\\s*raw\\s*(?:-%}\\s*|%})");
    private static final Pattern RAW_END = Pattern.compile("\\{%([-+]?)\\s*endraw\\s*(?:\\+%}|-%}\\s*|%}\\n?)");

    private int matchRawBegin(int at) {
        Matcher m = RAW_BEGIN.matcher(src).region(at, src.length());
        return m.lookingAt() ? m.end() : -1;
    }

    private void lexRaw(int tagPos) {
        Matcher m = RAW_END.matcher(src);
        if (!m.find(pos)) {
            throw syntax("Missing end of raw directive", tagPos);
        }
        String text = src.substring(pos, m.start());
        String sign = m.group(1);
        if (sign.equals("-")) {
            text = PyStrings.rstrip(text, null);
        } else if (!sign.equals("+")) {
            int lpos = text.lastIndexOf('\n') + 1;
            if ((lpos > 0 || lineStarting) && lpos < text.length() && allSpace(text, lpos)) {
                text = text.substring(0, lpos);
            }
        }
        if (!text.isEmpty()) {
            out.add(new Token(Kind.DATA, text, null, pos));
        }
        lineStarting = src.charAt(m.end() - 1) == '\n';
        pos = m.end();
    }

    private void lexComment(int from, int tagPos) {
        int n = src.length();
        for (int j = from; j < n; j++) {
            char c = src.charAt(j);
            if ((c == '+' || c == '-') && src.startsWith("#}", j + 1)) {
                int end = j + 3;
                if (c == '-') {
                    while (end < n && PyStrings.isSpace(src.charAt(end))) {
                        end++;
                    }
                }
                finishTag(end);
                return;
            }
            if (c == '#' && src.startsWith("#}", j)) {
                int end = j + 2;
                if (end < n && src.charAt(end) == '\n') {
                    end++;
                }
                finishTag(end);
                return;
            }
        }
        throw syntax("Missing end of comment tag", tagPos);
    }

    private void finishTag(int end) {
        lineStarting = end > 0 && src.charAt(end - 1) == '\n';
        pos = end;
    }

    private void lexTag(boolean block, int tagPos) {
        int n = src.length();
        List<Character> balance = new ArrayList<>();
        while (true) {
            if (pos >= n) {
                throw syntax(block ? "unexpected end of template, expected 'end of statement block'."
                        : "unexpected end of template, expected 'end of print statement'.", tagPos);
            }
            if (balance.isEmpty()) {
                int end = matchTagEnd(block);
                if (end >= 0) {
                    out.add(new Token(block ? Kind.BLOCK_END : Kind.VAR_END, src.substring(pos, end), null, pos));
                    finishTag(end);
                    return;
                }
            }
            char c = src.charAt(pos);
            if (PyStrings.isSpace(c)) {
                pos++;
                continue;
            }
            if (Character.isDigit(c) && (pos == 0 || src.charAt(pos - 1) != '.')) {
                Matcher fm = FLOAT.matcher(src).region(pos, n);
                if (fm.lookingAt()) {
                    String t = fm.group();
                    out.add(new Token(Kind.FLOAT, t, Double.parseDouble(t.replace("_", "")), pos));
                    pos = fm.end();
                    continue;
                }
            }
            if (Character.isDigit(c)) {
                Matcher im = INTEGER.matcher(src).region(pos, n);
                if (im.lookingAt()) {
                    String t = im.group();
                    out.add(new Token(Kind.INTEGER, t, parseInt(t), pos));
                    pos = im.end();
                    continue;
                }
            }
            if (Character.isUnicodeIdentifierStart(c) || c == '_') {
                int j = pos + 1;
                while (j < n && (Character.isUnicodeIdentifierPart(src.charAt(j)) && !Character.isIdentifierIgnorable(src.charAt(j)))) {
                    j++;
                }
                out.add(new Token(Kind.NAME, src.substring(pos, j), null, pos));
                pos = j;
                continue;
            }
            if (c == '\'' || c == '"') {
                Matcher sm = STRING.matcher(src).region(pos, n);
                if (!sm.lookingAt()) {
                    throw syntax("unexpected char " + Py.repr(String.valueOf(c)) + " at " + pos, pos);
                }
                String raw = sm.group(1) != null ? sm.group(1) : sm.group(2);
                out.add(new Token(Kind.STRING, sm.group(), unescape(raw, pos), pos));
                pos = sm.end();
                continue;
            }
            String op = null;
            for (String o : OPERATORS) {
                if (src.startsWith(o, pos)) {
                    op = o;
                    break;
                }
            }
            if (op == null) {
                throw syntax("unexpected char " + Py.repr(String.valueOf(c)) + " at " + pos, pos);
            }
            switch (op) {
                case "{" -> balance.add('}');
                case "(" -> balance.add(')');
                case "[" -> balance.add(']');
                case "}", ")", "]" -> {
                    if (balance.isEmpty()) {
                        throw syntax("unexpected '" + op + "'", pos);
                    }
                    char expected = balance.remove(balance.size() - 1);
                    if (expected != op.charAt(0)) {
                        throw syntax("unexpected '" + op + "', expected '" + expected + "'", pos);
                    }
                }
                default -> { }
            }
            out.add(new Token(Kind.OP, op, null, pos));
            pos += op.length();
        }
    }

    /** End of a block ({@code +%} | -%}\s* | %}\n?}) or variable ({@code -}}\s* | }}}) tag at pos, or -1. */
    private int matchTagEnd(boolean block) {
        int n = src.length();
        String close = block ? "%}" : "}}";
        if (block && src.startsWith("+" + close, pos)) {
            return pos + 3;
        }
        if (src.startsWith("-" + close, pos)) {
            int end = pos + 3;
            while (end < n && PyStrings.isSpace(src.charAt(end))) {
                end++;
            }
            return end;
        }
        if (src.startsWith(close, pos)) {
            int end = pos + 2;
            if (block && end < n && src.charAt(end) == '\n') {
                end++;
            }
            return end;
        }
        return -1;
    }

    private static Object parseInt(String t) {
        String s = t.replace("_", "");
        java.math.BigInteger v;
        if (s.length() > 1 && (s.charAt(1) == 'b' || s.charAt(1) == 'B')) {
            v = new java.math.BigInteger(s.substring(2), 2);
        } else if (s.length() > 1 && (s.charAt(1) == 'o' || s.charAt(1) == 'O')) {
            v = new java.math.BigInteger(s.substring(2), 8);
        } else if (s.length() > 1 && (s.charAt(1) == 'x' || s.charAt(1) == 'X')) {
            v = new java.math.BigInteger(s.substring(2), 16);
        } else {
            v = new java.math.BigInteger(s);
        }
        return Py.normInt(v);
    }

    /** Python {@code unicode-escape} decoding of a string literal body. */
    private String unescape(String s, int at) {
        if (s.indexOf('\\') < 0) {
            return s;
        }
        StringBuilder sb = new StringBuilder(s.length());
        int n = s.length();
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (c != '\\' || i + 1 >= n) {
                sb.append(c);
                continue;
            }
            char e = s.charAt(++i);
            switch (e) {
                case '\n' -> { }
                case '\\' -> sb.append('\\');
                case '\'' -> sb.append('\'');
                case '"' -> sb.append('"');
                case 'a' -> sb.append('\u0007');
                case 'b' -> sb.append('\b');
                case 'f' -> sb.append('\f');
                case 'n' -> sb.append('\n');
                case 'r' -> sb.append('\r');
                case 't' -> sb.append('\t');
                case 'v' -> sb.append('\u000b');
                case 'x', 'u', 'U' -> {
                    int len = e == 'x' ? 2 : (e == 'u' ? 4 : 8);
                    String hex = s.substring(i + 1, Math.min(n, i + 1 + len));
                    if (hex.length() < len || !hex.chars().allMatch(ch -> Character.digit(ch, 16) >= 0)) {
                        throw syntax("truncated \\" + e + (e == 'x' ? "XX" : (e == 'u' ? "XXXX" : "XXXXXXXX"))
                                + " escape", at);
                    }
                    int cp = Integer.parseUnsignedInt(hex, 16);
                    if (cp > 0x10FFFF || cp < 0) {
                        throw syntax("illegal Unicode character", at);
                    }
                    sb.appendCodePoint(cp);
                    i += len;
                }
                case '0', '1', '2', '3', '4', '5', '6', '7' -> {
                    int j = i;
                    int v = 0;
                    while (j < n && j < i + 3 && s.charAt(j) >= '0' && s.charAt(j) <= '7') {
                        v = v * 8 + (s.charAt(j) - '0');
                        j++;
                    }
                    sb.appendCodePoint(v);
                    i = j - 1;
                }
                case 'N' -> {
                    int close = s.indexOf('}', i);
                    if (i + 1 >= n || s.charAt(i + 1) != '{' || close < 0) {
                        throw syntax("malformed \\N character escape", at);
                    }
                    String cname = s.substring(i + 2, close);
                    int cp;
                    try {
                        cp = Character.codePointOf(cname);
                    } catch (IllegalArgumentException ex) {
                        throw syntax("unknown Unicode character name", at);
                    }
                    sb.appendCodePoint(cp);
                    i = close;
                }
                default -> sb.append('\\').append(e);
            }
        }
        return sb.toString();
    }
}
