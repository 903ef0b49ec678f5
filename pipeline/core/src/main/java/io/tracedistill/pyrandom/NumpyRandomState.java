package io.tracedistill.pyrandom;

import java.math.BigInteger;

/**
 * numpy 1.24's legacy {@code numpy.random.RandomState(seed)} for an int seed, bit for bit, as far
 * as the reference uses it.
 *
 * <p>The reference shuffles the input frame with {@code df.sample(frac=1, random_state=seed)};
 * pandas 1.5 turns that into {@code RandomState(seed).choice(n, n, replace=False)}, which is
 * {@code permutation(n)}. Sources: numpy 1.24 {@code numpy/random/mtrand.pyx}
 * ({@code _legacy_seeding}, {@code shuffle}, {@code permutation}, {@code randint}),
 * {@code src/mt19937/mt19937.c} ({@code mt19937_seed}) and {@code src/distributions/distributions.c}
 * ({@code random_interval}). Pinned by {@code golden/numpy_random_state.json}; every permutation
 * there was also checked against {@code DataFrame.sample(frac=1, random_state=seed)}.
 *
 * <p>Unlike CPython's {@code random.Random}, the seed is used directly with
 * {@code init_genrand} and must lie in {@code 0 .. 2**32 - 1}. Not thread-safe.
 */
public final class NumpyRandomState {

    /** numpy's {@code ValueError} text for a seed outside {@code 0 .. 2**32 - 1}. */
    public static final String SEED_RANGE_MESSAGE = "Seed must be between 0 and 2**32 - 1";

    private static final long MAX_SEED = 0xffffffffL;

    private final Mt19937 mt = new Mt19937();

    /**
     * {@code RandomState(seed)}.
     *
     * @throws IllegalArgumentException if seed is outside {@code 0 .. 2**32 - 1}; the message starts
     *     with numpy's {@value #SEED_RANGE_MESSAGE} and names the seed
     */
    public NumpyRandomState(long seed) {
        checkSeed(BigInteger.valueOf(seed));
        mt.initGenrand((int) seed);
    }

    /** {@code RandomState(seed)} for an arbitrary-size int seed; same range rule as {@link #NumpyRandomState(long)}. */
    public NumpyRandomState(BigInteger seed) {
        checkSeed(seed);
        mt.initGenrand(seed.intValue());
    }

    /** Throws numpy's seed-range error unless {@code 0 <= seed <= 2**32 - 1}. */
    public static void checkSeed(BigInteger seed) {
        if (seed.signum() < 0 || seed.compareTo(BigInteger.valueOf(MAX_SEED)) > 0) {
            throw new IllegalArgumentException(SEED_RANGE_MESSAGE + " (got " + seed
                    + "; numpy's RandomState takes no negative or wider seeds)");
        }
    }

    /** The next raw 32-bit word ({@code next_uint32}), unsigned. */
    public long nextUint32() {
        return mt.nextUint32();
    }

    /** {@code random_sample()}: a 53-bit double in [0, 1), same formula as CPython {@code random()}. */
    public double randomSample() {
        return mt.nextDouble53();
    }

    /**
     * {@code randint(low, high, dtype=uint64)} for one value with {@code 0 < high - low <= 2**32}
     * (the legacy masked path): {@code rng = high - low - 1}; {@code rng == 0} draws nothing;
     * {@code rng == 2**32 - 1} returns {@code low + next_uint32}; otherwise
     * {@code next_uint32 & mask} is redrawn until {@code <= rng}.
     */
    public long randintUint64(long low, long high) {
        long span = high - low;
        if (span <= 0 || span > (1L << 32)) {
            throw new IllegalArgumentException("randintUint64 supports 0 < high - low <= 2**32, got low="
                    + low + ", high=" + high);
        }
        long rng = span - 1;
        if (rng == 0) {
            return low;
        }
        if (rng == MAX_SEED) {
            return low + mt.nextUint32();
        }
        return low + boundedMasked(rng);
    }

    /**
     * {@code random_interval(max)}: 0 if max is 0, else {@code next_uint32 & mask} (mask = max with
     * every lower bit set) redrawn until {@code <= max}.
     */
    long randomInterval(long max) {
        if (max == 0) {
            return 0;
        }
        return boundedMasked(max);
    }

    private long boundedMasked(long max) {
        if (max > MAX_SEED) {
            throw new IllegalArgumentException("bounded draws above 2**32 - 1 are not implemented, got " + max);
        }
        long mask = max;
        mask |= mask >>> 1;
        mask |= mask >>> 2;
        mask |= mask >>> 4;
        mask |= mask >>> 8;
        mask |= mask >>> 16;
        long value;
        do {
            value = mt.nextUint32() & mask;
        } while (value > max);
        return value;
    }

    /**
     * Legacy {@code shuffle(x)} of a 1-d array, in place: for {@code i} from {@code n-1} down to 1,
     * {@code j = random_interval(i)}, swap {@code x[i]} and {@code x[j]}.
     */
    public void shuffle(int[] x) {
        for (int i = x.length - 1; i >= 1; i--) {
            int j = (int) randomInterval(i);
            int t = x[i];
            x[i] = x[j];
            x[j] = t;
        }
    }

    /** {@code permutation(n)}: {@code arange(n)} shuffled by {@link #shuffle(int[])}. */
    public int[] permutation(int n) {
        if (n < 0) {
            throw new IllegalArgumentException("permutation needs n >= 0, got n=" + n);
        }
        int[] arr = new int[n];
        for (int i = 0; i < n; i++) {
            arr[i] = i;
        }
        shuffle(arr);
        return arr;
    }
}
