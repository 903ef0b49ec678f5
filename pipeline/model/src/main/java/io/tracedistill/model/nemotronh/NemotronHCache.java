package io.tracedistill.model.nemotronh;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.tracedistill.model.DecodeCache;

/**
 * Nemotron-H's decoding state (transformers' {@code HybridMambaAttentionDynamicCache}): per attention layer
 * the keys/values {@code [B, H_kv, S, d]}; per Mamba layer the last K-1 pre-conv inputs
 * {@code [B, K-1, conv_dim]} and the SSM state {@code [B, nh, P, N]}. The Mamba entries have a fixed size,
 * so a decoding step costs the same whatever the length in those layers. Arrays live in the cache's own
 * manager; close the cache when done.
 */
public final class NemotronHCache implements DecodeCache {
    private final NDManager manager;
    private final NDArray[] keys;
    private final NDArray[] values;
    private final NDArray[] conv;
    private final NDArray[] ssm;
    private long past;

    NemotronHCache(int layers, NDManager parent) {
        this.manager = parent.newSubManager();
        this.keys = new NDArray[layers];
        this.values = new NDArray[layers];
        this.conv = new NDArray[layers];
        this.ssm = new NDArray[layers];
    }

    @Override
    public long pastLength() {
        return past;
    }

    void advance(long tokens) {
        past += tokens;
    }

    NDArray convState(int layer) {
        return conv[layer];
    }

    NDArray ssmState(int layer) {
        return ssm[layer];
    }

    void setConvState(int layer, NDArray v) {
        conv[layer] = keep(conv[layer], v);
    }

    void setSsmState(int layer, NDArray v) {
        ssm[layer] = keep(ssm[layer], v);
    }

    /** Appends this step's {@code k, v [B, H_kv, T, d]}; returns the full {k, v}. */
    NDArray[] appendKv(int layer, NDArray k, NDArray v) {
        NDArray fullK = keys[layer] == null ? k : keys[layer].concat(k, 2);
        NDArray fullV = values[layer] == null ? v : values[layer].concat(v, 2);
        keys[layer] = keep(keys[layer], fullK);
        values[layer] = keep(values[layer], fullV);
        return new NDArray[] {keys[layer], values[layer]};
    }

    /** A copy of {@code v} owned by the cache (detached from autograd), replacing and closing {@code old}. */
    private NDArray keep(NDArray old, NDArray v) {
        NDArray copy = v.stopGradient().duplicate();
        copy.attach(manager);
        if (old != null) {
            old.close();
        }
        return copy;
    }

    @Override
    public void close() {
        manager.close();
    }
}
