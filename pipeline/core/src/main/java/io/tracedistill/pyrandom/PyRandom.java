package io.tracedistill.pyrandom;

import java.math.BigInteger;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * CPython 3.11's {@code random.Random}, bit for bit, for integer seeds.
 *
 * <p>The reference seeds {@code random.Random(seed)} in {@code build_stratified_index_order}
 * (shuffles) and {@code two_phase_split} ({@code Random(seed + 1).sample}); reproducing the
 * reference order therefore needs CPython's exact word consumption, not just the same
 * generator. Sources: CPython 3.11 {@code Modules/_randommodule.c} ({@code random_seed},
 * {@code init_by_array}, {@code genrand_uint32}, {@code getrandbits}, {@code random}) and
 * {@code Lib/random.py} ({@code _randbelow_with_getrandbits}, {@code shuffle}, {@code sample}).
 * Pinned by {@code golden/python_random.json}.
 *
 * <p>Not thread-safe; one instance per computation, seeded explicitly.
 */
public final class PyRandom {

    private final Mt19937 mt = new Mt19937();

    /**
     * {@code random.Random(seed)} for an int seed of any size. CPython seeds with
     * {@code init_by_array} over the 32-bit little-endian words of {@code abs(seed)}
     * ({@code 0 → [0]}), so {@code -3} and {@code 3} give the same stream.
     */
    public PyRandom(BigInteger seed) {
        Objects.requireNonNull(seed, "seed");
        mt.initByArray(seedKey(seed));
    }

    /** {@code random.Random(seed)} for a seed that fits a long. */
    public PyRandom(long seed) {
        this(BigInteger.valueOf(seed));
    }

    /** The {@code init_by_array} key of {@code random_seed}: 32-bit words of |seed|, least significant first. */
    static int[] seedKey(BigInteger seed) {
        BigInteger n = seed.abs();
        int bits = n.bitLength();
        int words = bits == 0 ? 1 : (bits - 1) / 32 + 1;
        int[] key = new int[words];
        for (int w = 0; w < words; w++) {
            key[w] = n.shiftRight(32 * w).intValue(); // low 32 bits of the shifted value
        }
        return key;
    }

    /** {@code getrandbits(32)}: the next raw generator word, unsigned. */
    public long nextUint32() {
        return mt.nextUint32();
    }

    /**
     * {@code getrandbits(k)} for {@code 0 <= k <= 63}, as a non-negative long.
     * {@code k == 0} returns 0 without consuming a word (CPython ≥ 3.9).
     */
    public long getrandbitsLong(int k) {
        if (k < 0 || k > 63) {
            throw new IllegalArgumentException("getrandbitsLong needs 0 <= k <= 63, got k=" + k
                    + "; use getrandbits(k) for wider values");
        }
        if (k == 0) {
            return 0L;
        }
        if (k <= 32) {
            return mt.nextUint32() >>> (32 - k);
        }
        // k > 32: words fill from the least significant end; the last word keeps its top bits.
        long low = mt.nextUint32();
        long high = mt.nextUint32() >>> (64 - k);
        return (high << 32) | low;
    }

    /**
     * {@code getrandbits(k)} for any {@code k >= 0}: {@code k <= 32} uses one word shifted right by
     * {@code 32 - k}; larger {@code k} fills 32-bit words from the least significant end, and the
     * last (partial) word is shifted right to keep its most significant bits.
     *
     * @throws IllegalArgumentException for negative k (CPython: "number of bits must be non-negative")
     */
    public BigInteger getrandbits(int k) {
        if (k < 0) {
            throw new IllegalArgumentException("number of bits must be non-negative, got k=" + k);
        }
        if (k <= 63) {
            return BigInteger.valueOf(getrandbitsLong(k));
        }
        int words = (k - 1) / 32 + 1;
        BigInteger result = BigInteger.ZERO;
        int remaining = k;
        for (int i = 0; i < words; i++, remaining -= 32) {
            long r = mt.nextUint32();
            if (remaining < 32) {
                r >>>= (32 - remaining); // drop the least significant bits
            }
            result = result.or(BigInteger.valueOf(r).shiftLeft(32 * i));
        }
        return result;
    }

    /** {@code random()}: a 53-bit float in [0, 1) from two words ({@code a>>5}, {@code b>>6}). */
    public double random() {
        return mt.nextDouble53();
    }

    /**
     * {@code _randbelow(n)} = {@code _randbelow_with_getrandbits}: {@code k = n.bit_length()}, draw
     * {@code getrandbits(k)} until it is below n. Note {@code randbelow(1)} still draws one word
     * ({@code k = 1}) and always returns 0; this matters inside {@link #sample}.
     *
     * @throws IllegalArgumentException for {@code n <= 0} (CPython would loop forever on 0)
     */
    public long randbelow(long n) {
        if (n <= 0) {
            throw new IllegalArgumentException("randbelow needs n >= 1, got n=" + n);
        }
        int k = 64 - Long.numberOfLeadingZeros(n); // n.bit_length()
        long r = getrandbitsLong(k);
        while (r >= n) {
            r = getrandbitsLong(k);
        }
        return r;
    }

    /** {@link #randbelow(long)} for an int bound. */
    public int randbelow(int n) {
        return (int) randbelow((long) n);
    }

    /**
     * {@code shuffle(x)} in place: for {@code i} from {@code len-1} down to 1,
     * {@code j = _randbelow(i + 1)}, swap {@code x[i]} and {@code x[j]}.
     */
    public void shuffle(int[] x) {
        for (int i = x.length - 1; i >= 1; i--) {
            int j = randbelow(i + 1);
            int t = x[i];
            x[i] = x[j];
            x[j] = t;
        }
    }

    /** {@code shuffle(x)} in place over a mutable list, same draws as {@link #shuffle(int[])}. */
    public <T> void shuffle(List<T> x) {
        for (int i = x.size() - 1; i >= 1; i--) {
            int j = randbelow(i + 1);
            x.set(i, x.set(j, x.get(i)));
        }
    }

    /**
     * {@code sample(range(n), k)}: k distinct values of {@code [0, n)} in selection order.
     *
     * <p>CPython 3.11 picks one of two algorithms; which one decides how many words are drawn:
     * <ol>
     *   <li>{@code setsize = 21}, plus {@code 4 ** ceil(log(3k, 4))} when {@code k > 5}.</li>
     *   <li>{@code n <= setsize}: pool method — {@code j = _randbelow(n - i)}, take {@code pool[j]},
     *       move {@code pool[n - i - 1]} into the hole (so the last pick draws {@code _randbelow(1)}).</li>
     *   <li>otherwise: set method — {@code j = _randbelow(n)}, redrawn while already selected.</li>
     * </ol>
     *
     * @throws IllegalArgumentException unless {@code 0 <= k <= n} (CPython: "Sample larger than
     *     population or is negative")
     */
    public int[] sample(int n, int k) {
        if (n < 0 || k < 0 || k > n) {
            throw new IllegalArgumentException("Sample larger than population or is negative: k=" + k
                    + ", population size n=" + n + "; need 0 <= k <= n");
        }
        int[] result = new int[k];
        if (n <= sampleSetSize(k)) {
            int[] pool = new int[n];
            for (int i = 0; i < n; i++) {
                pool[i] = i;
            }
            for (int i = 0; i < k; i++) {
                int j = randbelow(n - i);
                result[i] = pool[j];
                pool[j] = pool[n - i - 1]; // move the non-selected item into the vacancy
            }
        } else {
            Set<Integer> selected = new HashSet<>();
            for (int i = 0; i < k; i++) {
                int j = randbelow(n);
                while (selected.contains(j)) {
                    j = randbelow(n);
                }
                selected.add(j);
                result[i] = j;
            }
        }
        return result;
    }

    /**
     * {@code setsize} of CPython's {@code sample}: {@code 21 + 4 ** ceil(log(3k, 4))} for k &gt; 5.
     * {@code 3k} is never a power of 4, so {@code ceil(log4(3k))} is the smallest m with
     * {@code 4**m >= 3k}; computed in integers here, which equals CPython's float result for every
     * int k (the nearest power of 4 is at least one unit away, far beyond double rounding).
     */
    static long sampleSetSize(int k) {
        long setsize = 21;
        if (k > 5) {
            long target = 3L * k;
            long pow = 1;
            while (pow < target) {
                pow *= 4;
            }
            setsize += pow;
        }
        return setsize;
    }
}
