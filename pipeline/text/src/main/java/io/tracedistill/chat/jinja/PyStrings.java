package io.tracedistill.chat.jinja;

import io.tracedistill.python.PyText;
import java.util.ArrayList;
import java.util.List;

/**
 * CPython {@code str} methods over code points: whitespace is {@code str.isspace} (so U+00A0, U+0085, U+2007 and
 * U+202F count, unlike Java's {@code isWhitespace}), {@code split()} without a separator is the whitespace-run split
 * (no regex), indices and lengths are code points.
 */
final class PyStrings {

    private PyStrings() {}

    /** CPython {@code str.isspace} for one code point ({@link PyText#isSpace}). */
    static boolean isSpace(int cp) {
        return PyText.isSpace(cp);
    }

    /** {@code s.strip(chars)}; {@code chars == null} strips Python whitespace. */
    static String strip(String s, String chars) {
        return rstrip(lstrip(s, chars), chars);
    }

    static String lstrip(String s, String chars) {
        int i = 0;
        while (i < s.length()) {
            int cp = s.codePointAt(i);
            if (!stripped(cp, chars)) {
                break;
            }
            i += Character.charCount(cp);
        }
        return s.substring(i);
    }

    static String rstrip(String s, String chars) {
        int end = s.length();
        while (end > 0) {
            int cp = s.codePointBefore(end);
            if (!stripped(cp, chars)) {
                break;
            }
            end -= Character.charCount(cp);
        }
        return s.substring(0, end);
    }

    private static boolean stripped(int cp, String chars) {
        return chars == null ? isSpace(cp) : chars.indexOf(new String(Character.toChars(cp))) >= 0;
    }

    /** {@code s.split(sep, maxsplit)}; {@code sep == null} splits on runs of whitespace and drops empty ends. */
    static List<Object> split(String s, String sep, int maxsplit) {
        List<Object> out = new ArrayList<>();
        if (sep == null) {
            int i = 0;
            int n = s.length();
            while (true) {
                while (i < n && isSpace(s.codePointAt(i))) {
                    i += Character.charCount(s.codePointAt(i));
                }
                if (i >= n) {
                    break;
                }
                if (maxsplit >= 0 && out.size() == maxsplit) {
                    out.add(s.substring(i));
                    break;
                }
                int j = i;
                while (j < n && !isSpace(s.codePointAt(j))) {
                    j += Character.charCount(s.codePointAt(j));
                }
                out.add(s.substring(i, j));
                i = j;
            }
            return out;
        }
        if (sep.isEmpty()) {
            throw PyError.valueError("empty separator");
        }
        int start = 0;
        while (maxsplit < 0 || out.size() < maxsplit) {
            int k = s.indexOf(sep, start);
            if (k < 0) {
                break;
            }
            out.add(s.substring(start, k));
            start = k + sep.length();
        }
        out.add(s.substring(start));
        return out;
    }

    /** {@code s.rsplit(sep, maxsplit)}. */
    static List<Object> rsplit(String s, String sep, int maxsplit) {
        if (maxsplit < 0) {
            return split(s, sep, -1);
        }
        List<Object> rev = new ArrayList<>();
        if (sep == null) {
            int j = s.length();
            while (true) {
                while (j > 0 && isSpace(s.codePointBefore(j))) {
                    j -= Character.charCount(s.codePointBefore(j));
                }
                if (j <= 0) {
                    break;
                }
                if (rev.size() == maxsplit) {
                    rev.add(s.substring(0, j));
                    break;
                }
                int i = j;
                while (i > 0 && !isSpace(s.codePointBefore(i))) {
                    i -= Character.charCount(s.codePointBefore(i));
                }
                rev.add(s.substring(i, j));
                j = i;
            }
        } else {
            if (sep.isEmpty()) {
                throw PyError.valueError("empty separator");
            }
            int end = s.length();
            while (rev.size() < maxsplit) {
                int k = s.lastIndexOf(sep, end - sep.length());
                if (k < 0) {
                    break;
                }
                rev.add(s.substring(k + sep.length(), end));
                end = k;
            }
            rev.add(s.substring(0, end));
        }
        List<Object> out = new ArrayList<>(rev.size());
        for (int i = rev.size() - 1; i >= 0; i--) {
            out.add(rev.get(i));
        }
        return out;
    }

    /** {@code s.splitlines(keepends)} with Python's line boundaries. */
    static List<Object> splitlines(String s, boolean keepends) {
        List<Object> out = new ArrayList<>();
        int i = 0;
        int start = 0;
        int n = s.length();
        while (i < n) {
            char c = s.charAt(i);
            int eol;
            if (c == '\r' && i + 1 < n && s.charAt(i + 1) == '\n') {
                eol = i + 2;
            } else if (c == '\n' || c == '\r' || c == 0x0B || c == 0x0C || c == 0x1C || c == 0x1D || c == 0x1E
                    || c == 0x85 || c == 0x2028 || c == 0x2029) {
                eol = i + 1;
            } else {
                i++;
                continue;
            }
            out.add(s.substring(start, keepends ? eol : i));
            start = eol;
            i = eol;
        }
        if (start < n) {
            out.add(s.substring(start));
        }
        return out;
    }

    /** {@code s.replace(old, new, count)}; an empty {@code old} inserts between code points as Python does. */
    static String replace(String s, String old, String rep, int count) {
        if (count == 0) {
            return s;
        }
        if (old.isEmpty()) {
            StringBuilder sb = new StringBuilder();
            int done = 0;
            int i = 0;
            while (i <= s.length()) {
                if (count < 0 || done < count) {
                    sb.append(rep);
                    done++;
                } else {
                    sb.append(s, i, s.length());
                    break;
                }
                if (i == s.length()) {
                    break;
                }
                int cp = s.codePointAt(i);
                sb.appendCodePoint(cp);
                i += Character.charCount(cp);
            }
            return sb.toString();
        }
        StringBuilder sb = new StringBuilder();
        int start = 0;
        int done = 0;
        while (count < 0 || done < count) {
            int k = s.indexOf(old, start);
            if (k < 0) {
                break;
            }
            sb.append(s, start, k).append(rep);
            start = k + old.length();
            done++;
        }
        return sb.append(s, start, s.length()).toString();
    }

    /** Code-point index of {@code sub} in {@code s[start:end]} (Python {@code find}), or -1. */
    static long find(String s, String sub, Object start, Object end, boolean reverse) {
        int n = s.codePointCount(0, s.length());
        int[] range = sliceBounds(n, start, end);
        String hay = substringCp(s, range[0], range[1]);
        int k = reverse ? hay.lastIndexOf(sub) : hay.indexOf(sub);
        if (k < 0) {
            return -1;
        }
        return range[0] + hay.codePointCount(0, k);
    }

    static long count(String s, String sub, Object start, Object end) {
        int n = s.codePointCount(0, s.length());
        int[] range = sliceBounds(n, start, end);
        String hay = substringCp(s, range[0], range[1]);
        if (sub.isEmpty()) {
            return hay.codePointCount(0, hay.length()) + 1L;
        }
        long c = 0;
        int k = 0;
        while ((k = hay.indexOf(sub, k)) >= 0) {
            c++;
            k += sub.length();
        }
        return c;
    }

    private static int[] sliceBounds(int n, Object start, Object end) {
        int a = start == null ? 0 : Py.toIndex(start, "slice");
        int b = end == null ? n : Py.toIndex(end, "slice");
        if (a < 0) {
            a = Math.max(0, a + n);
        }
        if (b < 0) {
            b = Math.max(0, b + n);
        }
        a = Math.min(a, n);
        b = Math.min(b, n);
        return new int[] {a, Math.max(a, b)};
    }

    static String substringCp(String s, int from, int to) {
        int a = s.offsetByCodePoints(0, from);
        int b = s.offsetByCodePoints(a, to - from);
        return s.substring(a, b);
    }

    /** Python {@code str.title()}: upper-cases the first cased letter of each run of cased letters. */
    static String title(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        boolean prevCased = false;
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            i += Character.charCount(cp);
            boolean cased = Character.isUpperCase(cp) || Character.isLowerCase(cp) || Character.isTitleCase(cp);
            if (prevCased) {
                sb.append(new String(Character.toChars(cp)).toLowerCase(java.util.Locale.ROOT));
            } else {
                sb.append(titleCase(cp));
            }
            prevCased = cased;
        }
        return sb.toString();
    }

    private static String titleCase(int cp) {
        int t = Character.toTitleCase(cp);
        if (t != cp) {
            return new String(Character.toChars(t));
        }
        return new String(Character.toChars(cp)).toUpperCase(java.util.Locale.ROOT);
    }

    /** Python {@code str.capitalize()}: first code point title-cased, the rest lower-cased. */
    static String capitalize(String s) {
        if (s.isEmpty()) {
            return s;
        }
        int cp = s.codePointAt(0);
        return titleCase(cp) + s.substring(Character.charCount(cp)).toLowerCase(java.util.Locale.ROOT);
    }

    static String lower(String s) {
        return s.toLowerCase(java.util.Locale.ROOT);
    }

    static String upper(String s) {
        return s.toUpperCase(java.util.Locale.ROOT);
    }

    /** Python {@code str.center(width, fill)}: the extra pad goes right when the total pad is odd and width even. */
    static String center(String s, int width, String fill) {
        int n = s.codePointCount(0, s.length());
        if (width <= n) {
            return s;
        }
        int marg = width - n;
        int left = marg / 2 + (marg & width & 1);
        return fill.repeat(left) + s + fill.repeat(marg - left);
    }

    static boolean allMatch(String s, java.util.function.IntPredicate p) {
        if (s.isEmpty()) {
            return false;
        }
        return s.codePoints().allMatch(p);
    }
}
