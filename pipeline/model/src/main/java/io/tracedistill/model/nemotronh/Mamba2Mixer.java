package io.tracedistill.model.nemotronh;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.convolutional.Conv1d;
import io.tracedistill.model.LinearProjection;
import java.util.List;

/**
 * Nemotron-H's Mamba-2 mixer ({@code M}), as transformers' {@code NemotronHMamba2Mixer.torch_forward}:
 * {@code in_proj} split into {@code [z | xBC | dt]}, causal depthwise conv over time + SiLU on x, B and C,
 * {@code dt = clamp(softplus(dt + dt_bias))}, {@code A = -exp(A_log)}, the SSD scan in chunks of
 * {@code chunk_size} with the state carried between chunks, the {@code D} skip, {@code y·silu(z)} then an
 * RMSNorm per group of {@code I / n_groups} channels, {@code out_proj}.
 *
 * <p>One code path serves training, prefill and decoding: the conv reads its K-1 previous inputs and the
 * scan its initial state from the cache (zeros without one), so a decoding step costs the same whatever
 * the sequence length. Padded tokens (mask 0) are zeroed before {@code in_proj} and after the conv, so
 * they add nothing to the conv window or the state (left and right padding give the unpadded result).
 */
final class Mamba2Mixer extends Mixer {
    static final String IN_PROJ = "in_proj";
    static final String OUT_PROJ = "out_proj";

    private final NemotronHConfig cfg;
    private final NDArray convWeight; // [conv_dim, 1, K]
    private final NDArray convBias;   // [conv_dim] or null
    private final NDArray dtBias;     // [nh]
    private final NDArray aLog;       // [nh]
    private final NDArray d;          // [nh]
    private final NDArray normWeight; // [I]

    Mamba2Mixer(NemotronHConfig cfg, LinearProjection inProj, LinearProjection outProj, NDArray convWeight, NDArray convBias,
                NDArray dtBias, NDArray aLog, NDArray d, NDArray normWeight) {
        this.cfg = cfg;
        slot(IN_PROJ, inProj);
        slot(OUT_PROJ, outProj);
        this.convWeight = convWeight;
        this.convBias = convBias;
        this.dtBias = dtBias;
        this.aLog = aLog;
        this.d = d;
        this.normWeight = normWeight;
    }

    @Override
    List<String> moduleNames() {
        return List.of(IN_PROJ, "conv1d", "act", "norm", OUT_PROJ);
    }

    @Override
    String kind() {
        return "Mamba-2";
    }

    @Override
    NDArray forward(NDArray h, ForwardContext ctx) {
        NDManager m = h.getManager();
        Shape s = h.getShape();
        long b = s.get(0);
        long t = s.get(1);
        int inner = cfg.mambaInner();
        int convDim = cfg.convDim();
        int nh = cfg.mambaHeads();
        int p = cfg.mambaHeadDim();
        int g = cfg.nGroups();
        int n = cfg.ssmStateSize();
        int k = cfg.convKernel();
        NDArray mask = ctx.tokenMask() == null ? null : ctx.tokenMask().expandDims(2); // [B, T, 1]
        if (mask != null) {
            h = h.mul(mask);
        }
        NDArray zxbcdt = proj(IN_PROJ).forward(h, ctx.training());                // [B, T, I + conv + nh]
        // One split rather than three slices: each slice's backward writes into a zero tensor of the whole input.
        NDList parts = zxbcdt.split(new long[] {inner, inner + convDim}, 2);
        NDArray z = parts.get(0);                                                 // [B, T, I]
        NDArray xbc = parts.get(1);                                               // [B, T, conv]
        NDArray dt = parts.get(2);                                                // [B, T, nh]

        // 1. Causal depthwise conv: the K-1 previous inputs (cache, else zeros) then this chunk's.
        NemotronHCache cache = ctx.cache();
        NDArray prev = cache != null ? cache.convState(ctx.layer()) : null;
        if (prev == null) {
            prev = m.zeros(new Shape(b, k - 1, convDim), DataType.FLOAT32);
        }
        NDArray window = prev.concat(xbc, 1);                                     // [B, K-1+T, conv]
        if (cache != null) {
            cache.setConvState(ctx.layer(), window.get(new NDIndex(":, {}:, :", t)));
        }
        // Depthwise (groups = conv_dim) conv over the window, no padding: T outputs. [B, conv, K-1+T] -> [B, conv, T]
        NDArray acc = Conv1d.conv1d(window.transpose(0, 2, 1), convWeight, convBias, new Shape(1), new Shape(0),
                new Shape(1), convDim).singletonOrThrow().transpose(0, 2, 1);     // [B, T, conv]
        NDArray conv = silu(acc);
        if (mask != null) {
            conv = conv.mul(mask);
        }
        NDList xbcParts = conv.split(new long[] {inner, inner + g * n}, 2);
        NDArray x = xbcParts.get(0).reshape(b, t, nh, p);
        NDArray bm = xbcParts.get(1).reshape(b, t, g, n);
        NDArray cm = xbcParts.get(2).reshape(b, t, g, n);

        // 2. dt and A.
        // torch's own softplus (one op; identity above 20, as F.softplus in the reference).
        NDArray dtv = Activation.softPlus(dt.add(dtBias)).clip(cfg.dtClampMin(),
                Double.isInfinite(cfg.dtClampMax()) ? Float.MAX_VALUE : cfg.dtClampMax()); // [B, T, nh]
        NDArray a = aLog.exp().neg();                                             // [nh]

        // 3. Chunked SSD scan, heads first: x [B, nh, T, P], dt [B, nh, T], B/C per head [B, nh, T, N].
        NDArray xh = x.transpose(0, 2, 1, 3);
        NDArray dth = dtv.transpose(0, 2, 1);
        NDArray bh = perHead(bm, b, t, nh, g, n);
        NDArray ch = perHead(cm, b, t, nh, g, n);
        NDArray state = cache != null ? cache.ssmState(ctx.layer()) : null;      // [B, nh, P, N] or null
        NDArray[] scanned = chunkScan(xh, dth, a, bh, ch, state, cfg.chunkSize());
        NDArray y = scanned[0];                                                   // [B, nh, T, P]
        state = scanned[1];                                                       // [B, nh, P, N]
        if (cache != null) {
            cache.setSsmState(ctx.layer(), state);
        }
        y = y.transpose(0, 2, 1, 3)                                            // [B, T, nh, P]
                .add(x.mul(d.reshape(1, 1, nh, 1)))                               // D skip on post-conv x
                .reshape(b, t, inner);
        // 4. Gate before the norm, then RMSNorm per group of I/G channels.
        NDArray gated = y.mul(silu(z)).reshape(b, t, g, inner / g);
        NDArray variance = gated.square().mean(new int[] {-1}, true);
        NDArray normed = gated.div(variance.add((float) cfg.eps()).sqrt()).reshape(b, t, inner).mul(normWeight);
        return proj(OUT_PROJ).forward(normed, ctx.training());
    }

    /** {@code [B, T, G, N] -> [B, nh, T, N]}: head h reads group {@code h / (nh / G)}. */
    private static NDArray perHead(NDArray v, long b, long t, int nh, int g, int n) {
        return v.expandDims(3).broadcast(b, t, g, nh / g, n).reshape(b, t, nh, n).transpose(0, 2, 1, 3);
    }

    /**
     * The SSD scan over all chunks at once, as transformers' {@code torch_forward}: a fixed number of batched ops
     * whatever the length (a loop over chunks made the step's op count, and DJL's per-op cost, grow with T).
     * {@code x [B, nh, T, P]}, {@code dt [B, nh, T]}, {@code a [nh]}, {@code bm}/{@code cm [B, nh, T, N]},
     * {@code state [B, nh, P, N]} (the carried-in state, or null for zeros). Returns {@code y [B, nh, T, P]}
     * and the state after the last position {@code [B, nh, P, N]}.
     */
    static NDArray[] chunkScan(NDArray x, NDArray dt, NDArray a, NDArray bm, NDArray cm, NDArray state, int chunkSize) {
        NDManager m = x.getManager();
        Shape s = x.getShape();
        long b = s.get(0);
        long nh = s.get(1);
        long t = s.get(2);
        long p = s.get(3);
        long n = bm.getShape().get(3);
        long len = Math.min(chunkSize, t);
        long chunks = (t + len - 1) / len;
        long pad = chunks * len - t;
        if (pad > 0) {
            // Zero rows at the end, as the reference pads: dt = 0 there, so they neither decay nor feed the
            // state, and their outputs are cut below.
            x = x.concat(m.zeros(new Shape(b, nh, pad, p)), 2);
            dt = dt.concat(m.zeros(new Shape(b, nh, pad)), 2);
            bm = bm.concat(m.zeros(new Shape(b, nh, pad, n)), 2);
            cm = cm.concat(m.zeros(new Shape(b, nh, pad, n)), 2);
        }
        NDArray xc = x.reshape(b, nh, chunks, len, p);
        NDArray dtc = dt.reshape(b, nh, chunks, len);
        NDArray bc = bm.reshape(b, nh, chunks, len, n);
        NDArray cc = cm.reshape(b, nh, chunks, len, n);
        NDArray acum = dtc.mul(a.reshape(1, nh, 1, 1)).cumSum(3);               // [B, nh, C, L], decreasing
        // 1. Within each chunk: y_t = sum_{s <= t} (C_t·B_s) exp(acum_t - acum_s) dt_s x_s; the -inf mask above
        //    the diagonal makes exp give 0 there (and no overflow).
        NDArray decay = acum.expandDims(4).sub(acum.expandDims(3)).add(causalMask(m, len)).exp(); // [B, nh, C, L, L]
        NDArray y = cc.matMul(bc.transpose(0, 1, 2, 4, 3))                        // [B, nh, C, L, L] C_t·B_s
                .mul(decay).mul(dtc.expandDims(3))                                // × dt_s
                .matMul(xc);                                                      // [B, nh, C, L, P]
        // 2. Each chunk's own end state, from zero: sum_s exp(acum_last - acum_s) dt_s x_s B_s^T.
        NDArray acumLast = acum.get(new NDIndex(":, :, :, {}:", len - 1));      // [B, nh, C, 1]
        NDArray w = acumLast.sub(acum).exp().mul(dtc);                            // [B, nh, C, L]
        NDArray own = xc.mul(w.expandDims(4)).transpose(0, 1, 2, 4, 3).matMul(bc); // [B, nh, C, P, N]
        // 3. Between chunks: with G the cumulative chunk decays (G_0 = 0 for the carried-in state), the state
        //    entering chunk c is sum_{z <= c} exp(G_c - G_z) S_z over S = [carried-in, own_0 .. own_{C-1}];
        //    row C is the final state.
        NDArray init = state != null ? state.expandDims(2) : m.zeros(new Shape(b, nh, 1, p, n));
        NDArray states = init.concat(own, 2).reshape(b, nh, chunks + 1, p * n); // [B, nh, C+1, P·N]
        NDArray gsum = m.zeros(new Shape(b, nh, 1)).concat(acumLast.squeeze(3), 2).cumSum(2); // [B, nh, C+1]
        NDArray chunkDecay = gsum.expandDims(3).sub(gsum.expandDims(2)).add(causalMask(m, chunks + 1)).exp();
        NDList entering = chunkDecay.matMul(states).split(new long[] {chunks}, 2); // [B, nh, C, P·N], [B, nh, 1, P·N]
        // 4. The entering state seen from each position of its chunk: exp(acum_t) · state · C_t.
        NDArray carried = cc.matMul(entering.get(0).reshape(b, nh, chunks, p, n).transpose(0, 1, 2, 4, 3))
                .mul(acum.exp().expandDims(4));                                   // [B, nh, C, L, P]
        y = y.add(carried).reshape(b, nh, chunks * len, p);
        if (pad > 0) {
            y = y.get(new NDIndex(":, :, 0:{}", t));
        }
        return new NDArray[] {y, entering.get(1).reshape(b, nh, p, n)};
    }

    /** {@code [len, len]}: 0 on and below the diagonal, -inf above (added before an exp, it zeroes the future). */
    private static NDArray causalMask(NDManager m, long len) {
        int l = (int) len;
        float[] v = new float[l * l];
        for (int i = 0; i < l; i++) {
            for (int j = i + 1; j < l; j++) {
                v[i * l + j] = Float.NEGATIVE_INFINITY;
            }
        }
        return m.create(v, new Shape(len, len));
    }

    static NDArray silu(NDArray v) {
        return v.mul(Activation.sigmoid(v));
    }
}
