package io.tracedistill.split;

import io.tracedistill.pyrandom.PyRandom;
import io.tracedistill.python.PyText;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * The held-out slice ({@code holdout_fraction}), set aside <em>before</em> the two-phase split: per type, a seeded
 * sample of that type's eligible rows (usable rows with a type), so every type is represented in proportion.
 *
 * <p>Rule (Python, for reproducing it): for each type {@code t} in code-point order, with {@code rows_t} its eligible
 * input row indices in input order and {@code n_t = len(rows_t)}: {@code k_t = min(n_t - 1, max(1, round(f * n_t)))}
 * when {@code n_t >= 2}, else 0 (a type keeps at least one training row; {@code round} is half-to-even), and the
 * slice takes {@code rng.sample(rows_t, k_t)} with one {@code rng = random.Random(seed + 2)} for all types ({@code seed}
 * is the split's numpy seed, {@code seed + 1} its easy-reserve stream). The result is sorted by input row.
 */
public final class HeldOutSlice {

    private HeldOutSlice() {
    }

    /**
     * The held-out rows.
     *
     * @param types    type of each input row ({@code null} = none: never held out)
     * @param eligible whether each input row may be held out (the format contract kept it)
     * @param fraction {@code holdout_fraction}, in [0, 1); 0 gives an empty slice
     * @param seed     the run's seed
     * @return input row indices, ascending
     */
    public static int[] select(List<String> types, boolean[] eligible, double fraction, long seed) {
        Objects.requireNonNull(types, "types");
        if (eligible.length != types.size()) {
            throw new IllegalArgumentException("types has " + types.size() + " rows but eligible has " + eligible.length);
        }
        if (!(fraction >= 0 && fraction < 1)) {
            throw new IllegalArgumentException("Invalid holdout_fraction " + fraction + ": must be at least 0 and less than 1");
        }
        if (fraction == 0) {
            return new int[0];
        }
        Map<String, List<Integer>> byType = new TreeMap<>(PyText::compareCodePoints);
        for (int i = 0; i < types.size(); i++) {
            if (eligible[i] && types.get(i) != null) {
                byType.computeIfAbsent(types.get(i), t -> new ArrayList<>()).add(i);
            }
        }
        PyRandom rng = new PyRandom(seed + 2);
        List<Integer> out = new ArrayList<>();
        for (List<Integer> rows : byType.values()) {
            int k = count(rows.size(), fraction);
            for (int j : rng.sample(rows.size(), k)) {
                out.add(rows.get(j));
            }
        }
        int[] a = out.stream().mapToInt(Integer::intValue).toArray();
        Arrays.sort(a);
        return a;
    }

    /** {@code k_t} of a type with {@code n} eligible rows. */
    public static int count(int n, double fraction) {
        if (n < 2 || fraction == 0) {
            return 0;
        }
        return (int) Math.min(n - 1, Math.max(1, Math.rint(fraction * n)));
    }
}
