package io.tracedistill.chat.jinja;

import io.tracedistill.python.PyTuple;
import java.time.LocalDateTime;
import java.time.format.TextStyle;
import java.time.temporal.IsoFields;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Python {@code %}-formatting (the {@code format} filter and {@code str % args}) and C-locale {@code strftime}. */
final class PyFormat {

    private PyFormat() {}

    /** {@code fmt % args}: supports {@code %s %r %d %i %f %F %e %g %x %X %o %c %%}, flags, width and precision. */
    static String percent(String fmt, Object args) {
        List<Object> positional;
        Map<?, ?> named = null;
        if (args instanceof PyTuple t) {
            positional = t;
        } else if (args instanceof Map<?, ?> m) {
            named = m;
            positional = List.of(args);
        } else {
            positional = List.of(args == null ? NONE : args);
        }
        StringBuilder sb = new StringBuilder();
        int argi = 0;
        int i = 0;
        while (i < fmt.length()) {
            char c = fmt.charAt(i++);
            if (c != '%') {
                sb.append(c);
                continue;
            }
            if (i >= fmt.length()) {
                throw PyError.valueError("incomplete format");
            }
            Object value = null;
            boolean haveValue = false;
            if (fmt.charAt(i) == '(') {
                int close = fmt.indexOf(')', i);
                if (close < 0 || named == null) {
                    throw PyError.typeError("format requires a mapping");
                }
                String key = fmt.substring(i + 1, close);
                Object k = Py.findKey(named, key);
                if (k == Py.NO_KEY) {
                    throw new PyError("KeyError", Py.repr(key));
                }
                value = named.get(k);
                haveValue = true;
                i = close + 1;
            }
            StringBuilder flags = new StringBuilder();
            while (i < fmt.length() && "-+ #0".indexOf(fmt.charAt(i)) >= 0) {
                flags.append(fmt.charAt(i++));
            }
            int width = -1;
            int start = i;
            while (i < fmt.length() && Character.isDigit(fmt.charAt(i))) {
                i++;
            }
            if (i > start) {
                width = Integer.parseInt(fmt.substring(start, i));
            }
            int prec = -1;
            if (i < fmt.length() && fmt.charAt(i) == '.') {
                i++;
                start = i;
                while (i < fmt.length() && Character.isDigit(fmt.charAt(i))) {
                    i++;
                }
                prec = i > start ? Integer.parseInt(fmt.substring(start, i)) : 0;
            }
            if (i >= fmt.length()) {
                throw PyError.valueError("incomplete format");
            }
            char conv = fmt.charAt(i++);
            if (conv == '%') {
                sb.append('%');
                continue;
            }
            if (!haveValue) {
                if (argi >= positional.size()) {
                    throw PyError.typeError("not enough arguments for format string");
                }
                value = positional.get(argi++);
                if (value == NONE) {
                    value = null;
                }
            }
            String body;
            switch (conv) {
                case 's' -> body = Py.str(value);
                case 'r', 'a' -> body = Py.repr(value);
                case 'd', 'i', 'u' -> body = intText(value, 10, false, flags);
                case 'x' -> body = intText(value, 16, false, flags);
                case 'X' -> body = intText(value, 16, true, flags);
                case 'o' -> body = intText(value, 8, false, flags);
                case 'f', 'F', 'e', 'E', 'g', 'G' -> body = floatText(value, conv, prec < 0 ? 6 : prec, flags);
                case 'c' -> body = value instanceof String s ? s : new String(Character.toChars(Py.toIndex(value, "%c")));
                default -> throw PyError.valueError("unsupported format character '" + conv + "'");
            }
            if ((conv == 's' || conv == 'r' || conv == 'a') && prec >= 0 && prec < body.codePointCount(0, body.length())) {
                body = PyStrings.substringCp(body, 0, prec);
            }
            int len = body.codePointCount(0, body.length());
            if (width > len) {
                String pad;
                if (flags.indexOf("-") >= 0) {
                    body = body + " ".repeat(width - len);
                } else if (flags.indexOf("0") >= 0 && "diuxXofFeEgG".indexOf(conv) >= 0) {
                    boolean signed = body.startsWith("-") || body.startsWith("+") || body.startsWith(" ");
                    pad = "0".repeat(width - len);
                    body = signed ? body.charAt(0) + pad + body.substring(1) : pad + body;
                } else {
                    body = " ".repeat(width - len) + body;
                }
            }
            sb.append(body);
        }
        if (named == null && argi < positional.size()) {
            throw PyError.typeError("not all arguments converted during string formatting");
        }
        return sb.toString();
    }

    private static final Object NONE = new Object();

    private static String intText(Object v, int radix, boolean upper, CharSequence flags) {
        java.math.BigInteger b;
        if (Py.isIntLike(v)) {
            b = Py.big(v);
        } else if (v instanceof Double d) {
            b = new java.math.BigDecimal(d).toBigInteger();
        } else {
            throw PyError.typeError("%d format: a real number is required, not " + Py.typeName(v));
        }
        String s = b.abs().toString(radix);
        if (upper) {
            s = s.toUpperCase(Locale.ROOT);
        }
        String sign = b.signum() < 0 ? "-" : (contains(flags, '+') ? "+" : (contains(flags, ' ') ? " " : ""));
        return sign + s;
    }

    private static String floatText(Object v, char conv, int prec, CharSequence flags) {
        if (!Py.isNumber(v)) {
            throw PyError.typeError("must be real number, not " + Py.typeName(v));
        }
        double d = Py.dbl(v);
        String s;
        if (Double.isNaN(d) || Double.isInfinite(d)) {
            s = Double.isNaN(d) ? "nan" : (d > 0 ? "inf" : "-inf");
            if (Character.isUpperCase(conv)) {
                s = s.toUpperCase(Locale.ROOT);
            }
        } else if (conv == 'f' || conv == 'F') {
            s = new java.math.BigDecimal(d).setScale(prec, java.math.RoundingMode.HALF_EVEN).toPlainString();
            if (d < 0 && !s.startsWith("-")) {
                s = "-" + s;
            }
        } else if (conv == 'e' || conv == 'E') {
            s = String.format(Locale.ROOT, "%." + prec + "e", d);
            if (conv == 'E') {
                s = s.toUpperCase(Locale.ROOT);
            }
        } else {
            s = String.format(Locale.ROOT, "%." + Math.max(prec, 1) + "g", d);
        }
        if (d >= 0 && !s.startsWith("-")) {
            if (contains(flags, '+')) {
                s = "+" + s;
            } else if (contains(flags, ' ')) {
                s = " " + s;
            }
        }
        return s;
    }

    private static boolean contains(CharSequence cs, char c) {
        for (int i = 0; i < cs.length(); i++) {
            if (cs.charAt(i) == c) {
                return true;
            }
        }
        return false;
    }

    /** Python {@code datetime.strftime} in the C locale (English names), for a naive local date-time. */
    static String strftime(LocalDateTime t, String fmt) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < fmt.length(); i++) {
            char c = fmt.charAt(i);
            if (c != '%' || i + 1 >= fmt.length()) {
                sb.append(c);
                continue;
            }
            char f = fmt.charAt(++i);
            boolean noPad = false;
            if (f == '-' && i + 1 < fmt.length()) {
                noPad = true;
                f = fmt.charAt(++i);
            }
            String two = "%02d";
            switch (f) {
                case 'a' -> sb.append(t.getDayOfWeek().getDisplayName(TextStyle.SHORT, Locale.ENGLISH));
                case 'A' -> sb.append(t.getDayOfWeek().getDisplayName(TextStyle.FULL, Locale.ENGLISH));
                case 'b', 'h' -> sb.append(t.getMonth().getDisplayName(TextStyle.SHORT, Locale.ENGLISH));
                case 'B' -> sb.append(t.getMonth().getDisplayName(TextStyle.FULL, Locale.ENGLISH));
                case 'd' -> sb.append(pad(t.getDayOfMonth(), 2, noPad));
                case 'e' -> sb.append(String.format("%2d", t.getDayOfMonth()));
                case 'm' -> sb.append(pad(t.getMonthValue(), 2, noPad));
                case 'y' -> sb.append(pad(t.getYear() % 100, 2, noPad));
                case 'Y' -> sb.append(t.getYear());
                case 'H' -> sb.append(pad(t.getHour(), 2, noPad));
                case 'I' -> sb.append(pad(t.getHour() % 12 == 0 ? 12 : t.getHour() % 12, 2, noPad));
                case 'M' -> sb.append(pad(t.getMinute(), 2, noPad));
                case 'S' -> sb.append(pad(t.getSecond(), 2, noPad));
                case 'f' -> sb.append(String.format("%06d", t.getNano() / 1000));
                case 'p' -> sb.append(t.getHour() < 12 ? "AM" : "PM");
                case 'j' -> sb.append(pad(t.getDayOfYear(), 3, noPad));
                case 'w' -> sb.append(t.getDayOfWeek().getValue() % 7);
                case 'u' -> sb.append(t.getDayOfWeek().getValue());
                case 'U' -> sb.append(String.format(two, (t.getDayOfYear() + 6 - (t.getDayOfWeek().getValue() % 7)) / 7));
                case 'W' -> sb.append(String.format(two, (t.getDayOfYear() + 6 - ((t.getDayOfWeek().getValue() + 6) % 7)) / 7));
                case 'V' -> sb.append(String.format(two, t.get(IsoFields.WEEK_OF_WEEK_BASED_YEAR)));
                case 'G' -> sb.append(t.get(IsoFields.WEEK_BASED_YEAR));
                case 'C' -> sb.append(String.format(two, t.getYear() / 100));
                case 'D' -> sb.append(strftime(t, "%m/%d/%y"));
                case 'F' -> sb.append(strftime(t, "%Y-%m-%d"));
                case 'T' -> sb.append(strftime(t, "%H:%M:%S"));
                case 'R' -> sb.append(strftime(t, "%H:%M"));
                case 'c' -> sb.append(strftime(t, "%a %b ")).append(String.format("%2d", t.getDayOfMonth()))
                        .append(strftime(t, " %H:%M:%S %Y"));
                case 'x' -> sb.append(strftime(t, "%m/%d/%y"));
                case 'X' -> sb.append(strftime(t, "%H:%M:%S"));
                case 'n' -> sb.append('\n');
                case 't' -> sb.append('\t');
                case 'Z', 'z' -> { }
                case 's' -> sb.append(t.toEpochSecond(java.time.ZoneOffset.UTC));
                case '%' -> sb.append('%');
                default -> sb.append('%').append(f);
            }
        }
        return sb.toString();
    }

    private static String pad(int v, int width, boolean noPad) {
        return noPad ? Integer.toString(v) : String.format("%0" + width + "d", v);
    }

}
