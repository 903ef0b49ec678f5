package io.tracedistill.split;

import io.tracedistill.pyrandom.NumpyRandomState;
import io.tracedistill.pyrandom.PyRandom;
import io.tracedistill.python.PyText;
import io.tracedistill.python.PyValue;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The two-phase {@code Train → Nudge} split: the reference's
 * {@code tracedistill.data.two_phase_split(df, hard_types, seed=42, type_key="type", shuffle=True)}.
 *
 * <p>Phase 1 (Train) gets every row except the easy rows reserved for phase 2. Phase 2 (Nudge)
 * gets every hard-type row plus {@code min(n, count)} fresh rows of each easy type, where
 * {@code n} is the row count of the rarest hard type present. Hard rows are in both phases.
 *
 * <p>Steps, in the reference's order (each pinned by {@code golden/two_phase_split.json}):
 * <ol>
 *   <li>checks: type column present → {@code hard_types} non-empty → frame non-empty;</li>
 *   <li>if shuffling: {@code df.sample(frac=1, random_state=seed)}, i.e. rows in
 *       {@code numpy RandomState(seed).permutation(n)} order (the seed must be in
 *       {@code 0 .. 2**32 - 1});</li>
 *   <li>hard rows = rows whose type is a hard type, in shuffled order; none → error;
 *       quota {@code n} = smallest count among the hard types present;</li>
 *   <li>{@code rng = random.Random(seed + 1)}; for each easy type in code-point order
 *       (pandas {@code groupby} sorts and drops missing types):
 *       {@code rng.sample(positions of that type in the shuffled frame, min(n, count))};</li>
 *   <li>phase 1 = shuffled frame minus the sampled rows; phase 2 = hard rows, then the sampled
 *       easy rows — both in shuffled-frame order, not in the order {@code sample} returned them.</li>
 * </ol>
 * A missing type (Python {@code None}, pandas NaN; Java {@code null}) never matches a hard type,
 * is never counted and never sampled, so such rows land in phase 1 only.
 *
 * <p>Everything works on row indices: the caller (the Spark prepare stage) collects one type
 * string per row to the driver, splits here, and joins the row indices back. Measured at 1M rows
 * with 20 types ({@code DriverMemoryProbe} in the tests): the collected type strings take about
 * 63 B/row (one String per row), the split allocates about 26 B/row and retains about 15 B/row
 * (both phases' row arrays, the shuffle and the debug populations), 0.3 s CPU.
 */
public final class TwoPhaseSplit {

    /** The reference's default {@code type_key}. */
    public static final String DEFAULT_TYPE_KEY = "type";
    /** The reference's default seed. */
    public static final long DEFAULT_SEED = 42L;

    private TwoPhaseSplit() {
    }

    /** One easy type's draw for phase 2: {@code rng.sample(populationPositions, k)}. */
    public record EasyGroupSample(String type, int[] populationPositions, int k, int[] sampledPositions) {
    }

    /**
     * The split, as row indices into the input (in each phase's order), plus the intermediate
     * values the reference computes (positions are 0-based in the shuffled frame).
     * Arrays are shared, not copied; records compare them by identity.
     *
     * @param phase1Rows input row indices of phase 1 (Train), in order
     * @param phase2Rows input row indices of phase 2 (Nudge): hard rows, then the reserved easy rows
     * @param shuffledRows input row index at each shuffled-frame position (identity without shuffle)
     * @param quota {@code n}, the row count of the rarest hard type present
     * @param easyGroupSamples the per-easy-type draws, in code-point order of the type
     */
    public record SplitResult(int[] phase1Rows, int[] phase2Rows, int[] shuffledRows, int quota,
                              List<EasyGroupSample> easyGroupSamples) {
    }

    /**
     * Splits rows given one type string per row ({@code null} = missing type).
     *
     * @param typeStrings the type of each input row, {@code null} when missing
     * @param hardTypes the hard problem types (duplicates are ignored, as with Python's {@code set})
     * @param seed the split seed: numpy shuffle seed (0 .. 2**32-1 when {@code shuffle}) and
     *     {@code random.Random(seed + 1)} for the easy reserve
     * @param shuffle whether to shuffle the frame first (the reference default is true)
     * @throws IllegalArgumentException with the reference's message for empty hard types, no rows,
     *     a seed numpy rejects, or no row of any hard type
     */
    public static SplitResult split(List<String> typeStrings, Collection<String> hardTypes, long seed,
                                    boolean shuffle) {
        Objects.requireNonNull(typeStrings, "typeStrings");
        Objects.requireNonNull(hardTypes, "hardTypes");
        Set<String> hard = new LinkedHashSet<>();
        for (String h : hardTypes) {
            if (h == null) {
                throw new IllegalArgumentException("hard_types contains null; list problem-type strings only");
            }
            hard.add(h);
        }
        // 1) checks, in the reference's order (the type-column check is the caller's: requireTypeColumn).
        if (hard.isEmpty()) {
            throw new IllegalArgumentException("hard_types must contain at least one problem type.");
        }
        int n = typeStrings.size();
        if (n == 0) {
            throw new IllegalArgumentException("Cannot split an empty DataFrame.");
        }

        // 2) shuffle: shuffledRows[pos] = input row at shuffled position pos.
        int[] shuffledRows;
        if (shuffle) {
            shuffledRows = new NumpyRandomState(seed).permutation(n);
        } else {
            shuffledRows = new int[n];
            for (int i = 0; i < n; i++) {
                shuffledRows[i] = i;
            }
        }

        // 3) intern each row's type to a small id, walking the rows in input order (sequential
        // memory access; looking strings up in shuffled order is several times slower at 1M rows).
        Map<String, Integer> idOf = new HashMap<>();
        List<String> typeNames = new ArrayList<>();
        int[] typeIdOfRow = new int[n]; // -1 for a missing type
        for (int row = 0; row < n; row++) {
            String t = typeStrings.get(row);
            if (t == null) {
                typeIdOfRow[row] = -1;
                continue;
            }
            Integer id = idOf.get(t);
            if (id == null) {
                id = typeNames.size();
                idOf.put(t, id);
                typeNames.add(t);
            }
            typeIdOfRow[row] = id;
        }
        int nTypes = typeNames.size();
        boolean[] isHard = new boolean[nTypes];
        for (int id = 0; id < nTypes; id++) {
            isHard[id] = hard.contains(typeNames.get(id));
        }

        // Hard-row count and quota n = the smallest count among the hard types present.
        int[] countOfType = new int[nTypes];
        for (int row = 0; row < n; row++) {
            if (typeIdOfRow[row] >= 0) {
                countOfType[typeIdOfRow[row]]++;
            }
        }
        int hardRows = 0;
        int quota = Integer.MAX_VALUE;
        for (int id = 0; id < nTypes; id++) {
            if (isHard[id]) {
                hardRows += countOfType[id];
                quota = Math.min(quota, countOfType[id]); // every interned type occurs at least once
            }
        }
        if (hardRows == 0) {
            throw new IllegalArgumentException("No rows of any hard type " + PyText.reprSortedList(hard)
                    + " found in df.");
        }

        // 4) the easy reserve. Each easy type's population = its positions in the shuffled frame,
        // in order; one rng.sample per easy type, types in code-point order (pandas groupby sorts).
        int[][] population = new int[nTypes][];
        for (int id = 0; id < nTypes; id++) {
            population[id] = isHard[id] ? null : new int[countOfType[id]];
        }
        int[] fill = new int[nTypes];
        for (int pos = 0; pos < n; pos++) {
            int id = typeIdOfRow[shuffledRows[pos]];
            if (id >= 0 && !isHard[id]) {
                population[id][fill[id]++] = pos;
            }
        }
        List<Integer> easyIds = new ArrayList<>();
        for (int id = 0; id < nTypes; id++) {
            if (!isHard[id]) {
                easyIds.add(id);
            }
        }
        easyIds.sort((x, y) -> PyText.compareCodePoints(typeNames.get(x), typeNames.get(y)));

        PyRandom rng = new PyRandom(BigInteger.valueOf(seed).add(BigInteger.ONE)); // decoupled from the shuffle
        boolean[] reserved = new boolean[n];
        int reservedCount = 0;
        List<EasyGroupSample> samples = new ArrayList<>(easyIds.size());
        for (int id : easyIds) {
            int[] pop = population[id];
            int k = Math.min(quota, pop.length);
            int[] picked = rng.sample(pop.length, k);
            int[] sampledPositions = new int[k];
            for (int i = 0; i < k; i++) {
                sampledPositions[i] = pop[picked[i]];
                reserved[sampledPositions[i]] = true;
            }
            reservedCount += k;
            samples.add(new EasyGroupSample(typeNames.get(id), pop, k, sampledPositions));
        }

        // 5) assemble both phases in shuffled-frame order.
        int[] phase1 = new int[n - reservedCount];
        int[] phase2 = new int[hardRows + reservedCount];
        int p1 = 0;
        int p2 = 0;
        for (int pos = 0; pos < n; pos++) {
            if (!reserved[pos]) {
                phase1[p1++] = shuffledRows[pos];
            }
            int id = typeIdOfRow[shuffledRows[pos]];
            if (id >= 0 && isHard[id]) {
                phase2[p2++] = shuffledRows[pos];
            }
        }
        for (int pos = 0; pos < n; pos++) {
            if (reserved[pos]) {
                phase2[p2++] = shuffledRows[pos];
            }
        }
        return new SplitResult(phase1, phase2, shuffledRows, quota, List.copyOf(samples));
    }

    /**
     * Splits a frame given its column names and the type cell of each row, checking first (as
     * the reference does) that the type column exists. A cell's type string is
     * {@link #typeString(PyValue)}.
     */
    public static SplitResult split(Collection<String> columns, String typeKey, List<PyValue> typeCells,
                                    Collection<String> hardTypes, long seed, boolean shuffle) {
        requireTypeColumn(columns, typeKey);
        List<String> types = new ArrayList<>(typeCells.size());
        for (PyValue cell : typeCells) {
            types.add(typeString(cell));
        }
        return split(types, hardTypes, seed, shuffle);
    }

    /**
     * The reference's first check: {@code type_key in df.columns}.
     *
     * @throws IllegalArgumentException "DataFrame is missing type column 'kind'." (Python repr quoting)
     */
    public static void requireTypeColumn(Collection<String> columns, String typeKey) {
        if (!columns.contains(typeKey)) {
            throw new IllegalArgumentException("DataFrame is missing type column " + PyText.repr(typeKey) + ".");
        }
    }

    /**
     * The type string of one cell: {@code null} for Python {@code None} or a float NaN (pandas
     * treats both as missing: never hard, never grouped), else {@code str(value)}.
     *
     * <p>Known difference: pandas compares non-str cells by value, so an int {@code 1} would not
     * match a hard type {@code "1"} there, while it does here. Type columns are strings in
     * practice (Spark collects them as strings) and no golden case has a non-str type.
     */
    public static String typeString(PyValue cell) {
        if (cell == null || cell instanceof PyValue.None || cell.isNaN()) {
            return null;
        }
        return cell.pyStr();
    }
}
