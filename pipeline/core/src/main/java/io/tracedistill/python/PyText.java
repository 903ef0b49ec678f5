package io.tracedistill.python;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * CPython 3.11 text rules that the reference relies on and Java does differently.
 *
 * <ul>
 *   <li>{@link #isSpace}: the {@code str.isspace()} set (29 code points, pinned by
 *       {@code golden/python_whitespace.json}); Java's {@code Character.isWhitespace} misses
 *       U+0085, U+00A0, U+2007 and U+202F, and {@code String.strip()} uses it.</li>
 *   <li>{@link #strip}/{@link #rstrip}/{@link #lstrip}: {@code str.strip()} with no argument.</li>
 *   <li>{@link #len}: {@code len(s)} counts code points, not UTF-16 units.</li>
 *   <li>{@link #compareCodePoints}: Python's {@code str} ordering (by code point); Java's
 *       {@code String.compareTo} orders by UTF-16 unit and disagrees when a supplementary
 *       character meets a BMP character ≥ U+E000.</li>
 *   <li>{@link #floatRepr}: {@code repr(float)} (shortest round-trip digits, Python layout).</li>
 *   <li>{@link #repr(String)} and {@link #reprList}: {@code repr(str)} / {@code repr(list)} as
 *       embedded in the reference's error messages ({@code golden/python_repr.json}).</li>
 * </ul>
 * {@link PyObjects} builds {@code repr}/{@code str} of any value on these.
 */
public final class PyText {

    private PyText() {
    }

    /** Code points for which Python's {@code chr(c).isspace()} is true (Unicode 14.0). */
    private static final int[] PY_SPACE = {
        0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x1C, 0x1D, 0x1E, 0x1F, 0x20, 0x85, 0xA0, 0x1680,
        0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200A,
        0x2028, 0x2029, 0x202F, 0x205F, 0x3000,
    };

    /** Python {@code chr(codePoint).isspace()}. */
    public static boolean isSpace(int codePoint) {
        if (codePoint <= 0x20) {
            return (codePoint >= 0x09 && codePoint <= 0x0D) || (codePoint >= 0x1C);
        }
        if (codePoint < 0x85 || codePoint > 0x3000) {
            return false;
        }
        for (int c : PY_SPACE) {
            if (c == codePoint) {
                return true;
            }
        }
        return false;
    }

    /** Python {@code s.strip()}. */
    public static String strip(String s) {
        return rstrip(lstrip(s));
    }

    /** Python {@code s.lstrip()}. */
    public static String lstrip(String s) {
        int i = 0;
        // None of the whitespace code points is supplementary, so unit-wise scanning is exact.
        while (i < s.length() && isSpace(s.charAt(i))) {
            i++;
        }
        return s.substring(i);
    }

    /** Python {@code s.rstrip()}. */
    public static String rstrip(String s) {
        int end = s.length();
        while (end > 0 && isSpace(s.charAt(end - 1))) {
            end--;
        }
        return s.substring(0, end);
    }

    /** Python {@code len(s)}: number of code points (a lone surrogate counts as one). */
    public static int len(String s) {
        return s.codePointCount(0, s.length());
    }

    /** Python {@code str} ordering: lexicographic by code point. */
    public static int compareCodePoints(String a, String b) {
        int i = 0;
        int j = 0;
        while (i < a.length() && j < b.length()) {
            int ca = a.codePointAt(i);
            int cb = b.codePointAt(j);
            if (ca != cb) {
                return Integer.compare(ca, cb);
            }
            i += Character.charCount(ca);
            j += Character.charCount(cb);
        }
        return Boolean.compare(i < a.length(), j < b.length());
    }

    // ------------------------------------------------------------------ float repr

    /**
     * Python {@code repr(x)} for a float: the shortest decimal that round-trips (ties to the
     * digits nearest the exact binary value), in fixed notation when the decimal exponent
     * {@code decpt} (value = 0.d1d2… × 10^decpt) satisfies -4 &lt; decpt ≤ 16, else
     * {@code d.ddde±XX}. Examples: {@code 4.0}, {@code 0.0001}, {@code 1e-05},
     * {@code 1000000000000000.0}, {@code 1e+16}, {@code -0.0}, {@code nan}, {@code inf}.
     *
     * <p>Reference: CPython {@code float_repr} → {@code PyOS_double_to_string(x, 'r', 0,
     * Py_DTSF_ADD_DOT_0)}. JDK 17's {@code Double.toString} is not always shortest (fixed in
     * JDK 19, JDK-4511638), so the digits are searched with BigDecimal instead.
     */
    public static String floatRepr(double x) {
        if (Double.isNaN(x)) {
            return "nan";
        }
        if (Double.isInfinite(x)) {
            return x > 0 ? "inf" : "-inf";
        }
        if (x == 0.0) {
            return (Double.doubleToRawLongBits(x) < 0) ? "-0.0" : "0.0";
        }
        String sign = x < 0 ? "-" : "";
        BigDecimal shortest = shortestRoundTrip(Math.abs(x));
        // digits and decimal-point position: value = 0.DIGITS × 10^decpt
        BigDecimal stripped = shortest.stripTrailingZeros();
        String digits = stripped.unscaledValue().toString();
        int decpt = digits.length() - stripped.scale();
        StringBuilder out = new StringBuilder(sign);
        if (decpt > -4 && decpt <= 16) {
            if (decpt <= 0) {
                out.append("0.");
                out.append("0".repeat(-decpt));
                out.append(digits);
            } else if (decpt >= digits.length()) {
                out.append(digits);
                out.append("0".repeat(decpt - digits.length()));
                out.append(".0");
            } else {
                out.append(digits, 0, decpt).append('.').append(digits, decpt, digits.length());
            }
        } else {
            out.append(digits.charAt(0));
            if (digits.length() > 1) {
                out.append('.').append(digits, 1, digits.length());
            }
            int exp = decpt - 1;
            out.append('e').append(exp < 0 ? '-' : '+');
            int a = Math.abs(exp);
            if (a < 10) {
                out.append('0');
            }
            out.append(a);
        }
        return out.toString();
    }

    /**
     * Shortest decimal (fewest significant digits) that parses back to {@code x > 0}; nearest to
     * the exact binary value among those. If some p-digit decimal round-trips, so does a
     * (p+1)-digit one (append a zero), so the search starts from the length of JDK 17's
     * {@code Double.toString} digits (which always round-trip, but are sometimes one digit too
     * long) and walks down.
     */
    private static BigDecimal shortestRoundTrip(double x) {
        BigDecimal exact = new BigDecimal(x);
        int javaDigits = new BigDecimal(Double.toString(x)).stripTrailingZeros().precision();
        BigDecimal best = candidate(exact, x, javaDigits);
        if (best == null) {
            // cannot happen (Double.toString round-trips); keep a correct fallback anyway
            for (int p = javaDigits + 1; p <= 17 && best == null; p++) {
                best = candidate(exact, x, p);
            }
            return best != null ? best : exact.round(new MathContext(17, RoundingMode.HALF_EVEN));
        }
        for (int p = javaDigits - 1; p >= 1; p--) {
            BigDecimal shorter = candidate(exact, x, p);
            if (shorter == null) {
                break;
            }
            best = shorter;
        }
        return best;
    }

    /** The p-significant-digit decimal nearest to {@code exact} that parses back to {@code x}, or null. */
    private static BigDecimal candidate(BigDecimal exact, double x, int p) {
        BigDecimal lo = exact.round(new MathContext(p, RoundingMode.DOWN));
        BigDecimal hi = exact.round(new MathContext(p, RoundingMode.UP));
        boolean loOk = Double.parseDouble(lo.toString()) == x;
        boolean hiOk = Double.parseDouble(hi.toString()) == x;
        if (loOk && hiOk) {
            int c = exact.subtract(lo).compareTo(hi.subtract(exact));
            if (c < 0) {
                return lo;
            }
            if (c > 0) {
                return hi;
            }
            return exact.round(new MathContext(p, RoundingMode.HALF_EVEN)); // exact tie: even last digit
        }
        return loOk ? lo : hiOk ? hi : null;
    }

    // ------------------------------------------------------------------ repr

    /**
     * Python {@code repr(s)} for a str: single quotes unless the text contains {@code '} and no
     * {@code "}; escapes {@code \\}, the chosen quote, {@code \t \n \r}; other non-printable
     * code points (categories Cc Cf Cs Co Cn Zl Zp, and Zs except U+0020) as {@code \xhh},
     * {@code \\uhhhh} or {@code \Uhhhhhhhh}; everything else literal. Lone surrogates are
     * escaped ({@code '\ud800'}).
     *
     * <p>Printability uses Java's Unicode tables (Unicode 13 on JDK 17, Python 3.11 uses 14.0):
     * code points first assigned in Unicode 14 would be escaped here but not in Python.
     */
    public static String repr(String s) {
        char quote = (s.indexOf('\'') >= 0 && s.indexOf('"') < 0) ? '"' : '\'';
        StringBuilder out = new StringBuilder(s.length() + 2);
        out.append(quote);
        int i = 0;
        while (i < s.length()) {
            int cp = s.codePointAt(i);
            i += Character.charCount(cp);
            if (cp == quote || cp == '\\') {
                out.append('\\').appendCodePoint(cp);
            } else if (cp == '\t') {
                out.append("\\t");
            } else if (cp == '\n') {
                out.append("\\n");
            } else if (cp == '\r') {
                out.append("\\r");
            } else if (!isPrintable(cp)) {
                if (cp < 0x100) {
                    out.append(String.format("\\x%02x", cp));
                } else if (cp < 0x10000) {
                    out.append(String.format("\\u%04x", cp));
                } else {
                    out.append(String.format("\\U%08x", cp));
                }
            } else {
                out.appendCodePoint(cp);
            }
        }
        out.append(quote);
        return out.toString();
    }

    /** Python {@code str.isprintable()} for one code point. */
    public static boolean isPrintable(int cp) {
        if (cp == ' ') {
            return true;
        }
        switch (Character.getType(cp)) {
            case Character.CONTROL:
            case Character.FORMAT:
            case Character.SURROGATE:
            case Character.PRIVATE_USE:
            case Character.UNASSIGNED:
            case Character.LINE_SEPARATOR:
            case Character.PARAGRAPH_SEPARATOR:
            case Character.SPACE_SEPARATOR:
                return false;
            default:
                return true;
        }
    }

    /** Python {@code repr(list(items))}: {@code ['a', 'b']}, {@code [1, 2]}, {@code [None]}. */
    public static String reprList(Collection<?> items) {
        StringBuilder sb = new StringBuilder("[");
        boolean first = true;
        for (Object o : items) {
            if (!first) {
                sb.append(", ");
            }
            first = false;
            sb.append(PyObjects.repr(o));
        }
        return sb.append(']').toString();
    }

    /** Python {@code repr(sorted(strings))} with code-point ordering. */
    public static String reprSortedList(Collection<String> strings) {
        List<String> sorted = new ArrayList<>(strings);
        sorted.sort(PyText::compareCodePoints);
        return reprList(sorted);
    }
}
