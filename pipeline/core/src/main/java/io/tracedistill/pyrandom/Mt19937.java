package io.tracedistill.pyrandom;

/**
 * The Mersenne Twister MT19937 state shared by {@link PyRandom} and {@link NumpyRandomState}.
 *
 * <p>Both CPython ({@code Modules/_randommodule.c}) and numpy ({@code
 * numpy/random/src/mt19937/mt19937.c}) use the generator of Matsumoto and Nishimura (1998),
 * "Mersenne Twister: a 623-dimensionally equidistributed uniform pseudo-random number
 * generator", with the same tempering; they differ only in how they seed it:
 * CPython uses {@link #initByArray} over the words of {@code abs(seed)}, numpy's legacy
 * {@code RandomState(int)} uses {@link #initGenrand}.
 *
 * <p>All words are unsigned 32-bit values held in Java {@code int}s; Java's wrapping
 * {@code int} multiplication and {@code >>>} give exactly the C {@code uint32_t} arithmetic.
 */
final class Mt19937 {

    private static final int N = 624;
    private static final int M = 397;
    private static final int MATRIX_A = 0x9908b0df;
    private static final int UPPER_MASK = 0x80000000;
    private static final int LOWER_MASK = 0x7fffffff;

    private final int[] mt = new int[N];
    private int index = N + 1;

    /** Classic {@code init_genrand(s)}: numpy's {@code mt19937_seed}, CPython's first step. */
    void initGenrand(int s) {
        mt[0] = s;
        for (int i = 1; i < N; i++) {
            mt[i] = 1812433253 * (mt[i - 1] ^ (mt[i - 1] >>> 30)) + i;
        }
        index = N;
    }

    /** {@code init_by_array(key)}: CPython's seeding of {@code random.Random(int)}. */
    void initByArray(int[] key) {
        if (key.length == 0) {
            throw new IllegalArgumentException("init_by_array needs at least one key word");
        }
        initGenrand(19650218);
        int i = 1;
        int j = 0;
        for (int k = Math.max(N, key.length); k > 0; k--) {
            mt[i] = (mt[i] ^ ((mt[i - 1] ^ (mt[i - 1] >>> 30)) * 1664525)) + key[j] + j; // non linear
            i++;
            j++;
            if (i >= N) {
                mt[0] = mt[N - 1];
                i = 1;
            }
            if (j >= key.length) {
                j = 0;
            }
        }
        for (int k = N - 1; k > 0; k--) {
            mt[i] = (mt[i] ^ ((mt[i - 1] ^ (mt[i - 1] >>> 30)) * 1566083941)) - i; // non linear
            i++;
            if (i >= N) {
                mt[0] = mt[N - 1];
                i = 1;
            }
        }
        mt[0] = UPPER_MASK; // MSB is 1, assuring a non-zero initial array
        index = N;
    }

    /** Next tempered output word, {@code genrand_uint32()}, as an unsigned value in an int. */
    int nextInt() {
        if (index >= N) {
            twist();
        }
        int y = mt[index++];
        y ^= (y >>> 11);
        y ^= (y << 7) & 0x9d2c5680;
        y ^= (y << 15) & 0xefc60000;
        y ^= (y >>> 18);
        return y;
    }

    /** Next output word as an unsigned value in {@code [0, 2**32)}. */
    long nextUint32() {
        return nextInt() & 0xffffffffL;
    }

    /** Regenerates all N words at once (the reference's "generate N words at one time" block). */
    private void twist() {
        if (index == N + 1) {
            throw new IllegalStateException("MT19937 used before it was seeded");
        }
        int kk;
        for (kk = 0; kk < N - M; kk++) {
            int y = (mt[kk] & UPPER_MASK) | (mt[kk + 1] & LOWER_MASK);
            mt[kk] = mt[kk + M] ^ (y >>> 1) ^ ((y & 1) == 0 ? 0 : MATRIX_A);
        }
        for (; kk < N - 1; kk++) {
            int y = (mt[kk] & UPPER_MASK) | (mt[kk + 1] & LOWER_MASK);
            mt[kk] = mt[kk + (M - N)] ^ (y >>> 1) ^ ((y & 1) == 0 ? 0 : MATRIX_A);
        }
        int y = (mt[N - 1] & UPPER_MASK) | (mt[0] & LOWER_MASK);
        mt[N - 1] = mt[M - 1] ^ (y >>> 1) ^ ((y & 1) == 0 ? 0 : MATRIX_A);
        index = 0;
    }

    /** 53-bit double in [0, 1): CPython {@code random()} and numpy's legacy {@code random_sample}. */
    double nextDouble53() {
        long a = nextUint32() >>> 5; // 27 bits
        long b = nextUint32() >>> 6; // 26 bits
        return (a * 67108864.0 + b) * (1.0 / 9007199254740992.0);
    }
}
