package io.tracedistill.spark.prepare;

import io.tracedistill.python.PyText;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Checks {@code hard_types} against the labels the input has, before the split. The reference ignores a hard type
 * that matches no row, so a typo ({@code cryptarithm_dedcue}) silently turns the real type easy; and an input whose
 * type column is empty fails with "No rows of any hard type", which hides the cause. Both fail here, naming the key
 * and the fix. (The split itself keeps the reference's behaviour; its golden vectors pin it.)
 */
final class HardTypeCheck {
    private static final int SUGGESTIONS = 3;

    private HardTypeCheck() {}

    /**
     * @param types     each input row's type ({@code null} = missing), in input order
     * @param hardTypes the configured {@code hard_types}
     * @throws InputSchemaException when every type is missing, or a hard type matches no row
     */
    static void check(List<String> types, Collection<String> hardTypes) {
        Map<String, Integer> counts = new TreeMap<>();
        for (String t : types) {
            if (t != null) {
                counts.merge(t, 1, Integer::sum);
            }
        }
        if (counts.isEmpty() && !types.isEmpty()) {
            throw new InputSchemaException("The type column is empty: none of the " + types.size() + " input rows has a"
                    + " type (every value is null/NaN), so no row can be of a hard type " + PyText.reprSortedList(hardTypes)
                    + ". Point columns.type at the column that holds the labels");
        }
        String nearDuplicates = nearDuplicateWarning(counts.keySet());
        if (nearDuplicates != null) {
            System.getLogger(HardTypeCheck.class.getName()).log(System.Logger.Level.WARNING, nearDuplicates);
        }
        List<String> unknown = new ArrayList<>();
        for (String h : hardTypes) {
            if (!counts.containsKey(h) && !unknown.contains(h)) {
                unknown.add(h);
            }
        }
        if (unknown.isEmpty() || counts.isEmpty()) {
            return;
        }
        StringBuilder sb = new StringBuilder("hard_types lists ");
        for (int i = 0; i < unknown.size(); i++) {
            String h = unknown.get(i);
            sb.append(i == 0 ? "" : "; ").append(PyText.repr(h)).append(" (closest labels: ")
                    .append(PyText.reprList(closest(h, counts.keySet()))).append(')');
        }
        sb.append(", but no input row has ").append(unknown.size() == 1 ? "that type" : "those types")
                .append(": a hard type that matches nothing would silently leave the real type easy. Fix the spelling"
                        + " in hard_types (the input has ").append(counts.size()).append(" labels)");
        throw new InputSchemaException(sb.toString());
    }

    /**
     * Groups of distinct labels that differ only by case, surrounding whitespace or control characters
     * ({@code 'bit_manipulation'}, {@code 'Bit_Manipulation '}, {@code 'bit_manipulation\u0000'}): the split treats each
     * as its own type, which is rarely what the data meant. Each group is sorted; groups in order of their first label.
     */
    static List<List<String>> nearDuplicateLabels(Collection<String> labels) {
        Map<String, java.util.TreeSet<String>> byKey = new TreeMap<>();
        for (String l : labels) {
            if (l != null) {
                String key = PyText.strip(l.replaceAll("\\p{Cc}", "")).toLowerCase(Locale.ROOT);
                byKey.computeIfAbsent(key, k -> new java.util.TreeSet<>()).add(l);
            }
        }
        List<List<String>> out = new ArrayList<>();
        for (java.util.TreeSet<String> g : byKey.values()) {
            if (g.size() > 1) {
                out.add(List.copyOf(g));
            }
        }
        out.sort(Comparator.comparing((List<String> g) -> g.get(0)));
        return out;
    }

    /** The warning for {@link #nearDuplicateLabels}, or null when there are none. */
    static String nearDuplicateWarning(Collection<String> labels) {
        List<List<String>> groups = nearDuplicateLabels(labels);
        if (groups.isEmpty()) {
            return null;
        }
        StringBuilder sb = new StringBuilder("type labels that differ only by case, surrounding space or control"
                + " characters are treated as different types: ");
        for (int i = 0; i < groups.size(); i++) {
            sb.append(i == 0 ? "" : "; ").append(PyText.reprList(groups.get(i)));
        }
        return sb.append(". Clean the type column if each group is one type").toString();
    }

    /** The labels nearest to {@code wanted} by case-insensitive edit distance, nearest first. */
    static List<String> closest(String wanted, Iterable<String> labels) {
        List<String> all = new ArrayList<>();
        labels.forEach(all::add);
        String w = wanted.strip().toLowerCase(Locale.ROOT);
        all.sort(Comparator.comparingInt((String l) -> editDistance(w, l.strip().toLowerCase(Locale.ROOT)))
                .thenComparing(Comparator.naturalOrder()));
        return all.subList(0, Math.min(SUGGESTIONS, all.size()));
    }

    /** Levenshtein distance (insert, delete, substitute: cost 1 each), two rows of the DP table. */
    static int editDistance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int sub = prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                cur[j] = Math.min(sub, Math.min(prev[j] + 1, cur[j - 1] + 1));
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }
}
