package io.tracedistill.model.nemotronh;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import io.tracedistill.model.LinearProjection;
import java.util.ArrayList;
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
        NDArray z = zxbcdt.get(new NDIndex(":, :, 0:{}", inner));                 // [B, T, I]
        NDArray xbc = zxbcdt.get(new NDIndex(":, :, {}:{}", inner, inner + convDim)); // [B, T, conv]
        NDArray dt = zxbcdt.get(new NDIndex(":, :, {}:", inner + convDim));       // [B, T, nh]

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
        NDArray acc = convBias != null ? convBias : null;
        for (int j = 0; j < k; j++) {
            NDArray tap = window.get(new NDIndex(":, {}:{}, :", j, j + t))        // [B, T, conv]
                    .mul(convWeight.get(new NDIndex(":, 0, {}", j)));             // weight [conv] per channel
            acc = acc == null ? tap : acc.add(tap);
        }
        NDArray conv = silu(acc);
        if (mask != null) {
            conv = conv.mul(mask);
        }
        NDArray x = conv.get(new NDIndex(":, :, 0:{}", inner)).reshape(b, t, nh, p);
        NDArray bm = conv.get(new NDIndex(":, :, {}:{}", inner, inner + g * n)).reshape(b, t, g, n);
        NDArray cm = conv.get(new NDIndex(":, :, {}:", inner + g * n)).reshape(b, t, g, n);

        // 2. dt and A.
        NDArray dtv = softplus(dt.add(dtBias)).clip(cfg.dtClampMin(),
                Double.isInfinite(cfg.dtClampMax()) ? Float.MAX_VALUE : cfg.dtClampMax()); // [B, T, nh]
        NDArray a = aLog.exp().neg();                                             // [nh]

        // 3. Chunked SSD scan, heads first: x [B, nh, T, P], dt [B, nh, T], B/C per head [B, nh, T, N].
        NDArray xh = x.transpose(0, 2, 1, 3);
        NDArray dth = dtv.transpose(0, 2, 1);
        NDArray bh = perHead(bm, b, t, nh, g, n);
        NDArray ch = perHead(cm, b, t, nh, g, n);
        NDArray state = cache != null ? cache.ssmState(ctx.layer()) : null;      // [B, nh, P, N] or null
        NDArray aCol = a.reshape(1, nh, 1);
        List<NDArray> ys = new ArrayList<>();
        int chunk = cfg.chunkSize();
        // The chunks along T, cut by one split per tensor: one slice per chunk would make autograd write each
        // chunk's gradient into a zero tensor of the whole [B, nh, T, ·] (slice_backward), T/chunk times over.
        long[] cuts = new long[(int) ((t - 1) / chunk)];
        for (int i = 0; i < cuts.length; i++) {
            cuts[i] = (long) (i + 1) * chunk;
        }
        NDList xs = cuts.length == 0 ? new NDList(xh) : xh.split(cuts, 2);
        NDList dts = cuts.length == 0 ? new NDList(dth) : dth.split(cuts, 2);
        NDList bs = cuts.length == 0 ? new NDList(bh) : bh.split(cuts, 2);
        NDList cs = cuts.length == 0 ? new NDList(ch) : ch.split(cuts, 2);
        for (int ci = 0; ci < xs.size(); ci++) {
            NDArray xc = xs.get(ci);                                              // [B, nh, L, P]
            NDArray dtc = dts.get(ci);                                            // [B, nh, L]
            NDArray bc = bs.get(ci);                                              // [B, nh, L, N]
            NDArray cc = cs.get(ci);                                              // [B, nh, L, N]
            long len = xc.getShape().get(2);
            NDArray acum = dtc.mul(aCol).cumSum(2);                               // [B, nh, L], decreasing
            // decay[t, s] = exp(acum_t - acum_s) for s <= t, else 0 (masked before exp: no overflow).
            NDArray tril = lowerTriangle(m, len);                                 // [L, L] 1/0
            NDArray diff = acum.expandDims(3).sub(acum.expandDims(2)).mul(tril);  // [B, nh, L, L]
            NDArray decay = diff.exp().mul(tril);
            NDArray scores = cc.matMul(bc.transpose(0, 1, 3, 2))                  // [B, nh, L, L] C_t·B_s
                    .mul(decay).mul(dtc.expandDims(2));                           // × dt_s
            NDArray y = scores.matMul(xc);                                        // [B, nh, L, P]
            NDArray acumLast = acum.get(new NDIndex(":, :, {}:{}", len - 1, len)); // [B, nh, 1]
            if (state != null) {
                // The carried state seen from each position: exp(acum_t) · state · C_t.
                y = y.add(cc.matMul(state.transpose(0, 1, 3, 2)).mul(acum.exp().expandDims(3)));
            }
            NDArray w = acumLast.sub(acum).exp().mul(dtc);                        // [B, nh, L]
            NDArray next = xc.mul(w.expandDims(3)).transpose(0, 1, 3, 2).matMul(bc); // [B, nh, P, N]
            if (state != null) {
                next = next.add(state.mul(acumLast.exp().expandDims(3)));
            }
            state = next;
            ys.add(y);
        }
        if (cache != null) {
            cache.setSsmState(ctx.layer(), state);
        }
        NDArray y = (ys.size() == 1 ? ys.get(0) : NDArrays.concat(new NDList(ys), 2)) // [B, nh, T, P]
                .transpose(0, 2, 1, 3)                                            // [B, T, nh, P]
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

    private static NDArray lowerTriangle(NDManager m, long len) {
        NDArray rows = m.arange(0, (int) len, 1, DataType.INT32).reshape(len, 1);
        NDArray cols = m.arange(0, (int) len, 1, DataType.INT32).reshape(1, len);
        return cols.lte(rows).toType(DataType.FLOAT32, false);
    }

    static NDArray silu(NDArray v) {
        return v.mul(Activation.sigmoid(v));
    }

    /** torch's softplus without overflow: {@code max(v, 0) + log(1 + exp(-|v|))}. */
    private static NDArray softplus(NDArray v) {
        return Activation.relu(v).add(v.abs().neg().exp().add(1f).log());
    }
}
