#!/usr/bin/env python3
"""Plain-PyTorch twin of io.tracedistill.model.ModelBenchmark, for scripts/bench-model.

Times one LoRA training step (forward + HF ForCausalLMLoss + backward; frozen base, LoRA r on all 7
projections) of a random Qwen2-shaped decoder in eager mode, written the way transformers'
modeling_qwen2.py computes it (RMSNorm in float32, rotate_half rotary, repeat_kv GQA, eager softmax
attention, SwiGLU MLP) and PEFT's lora.Linear (y = base(x) + scaling * B(A(x))). Prints one JSON line.
Not used by tests or CI.
"""
import argparse
import json
import math
import resource
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class RMSNorm(nn.Module):
    def __init__(self, d, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(d))
        self.eps = eps

    def forward(self, x):
        v = x.float().pow(2).mean(-1, keepdim=True)
        return self.weight * (x * torch.rsqrt(v + self.eps))


class LoraLinear(nn.Module):
    def __init__(self, inp, out, bias, r, alpha):
        super().__init__()
        self.base_layer = nn.Linear(inp, out, bias=bias)
        self.lora_A = nn.Linear(inp, r, bias=False)
        self.lora_B = nn.Linear(r, out, bias=False)
        nn.init.kaiming_uniform_(self.lora_A.weight, a=math.sqrt(5))
        nn.init.zeros_(self.lora_B.weight)
        self.scaling = alpha / r

    def forward(self, x):
        return self.base_layer(x) + self.lora_B(self.lora_A(x)) * self.scaling


def rotate_half(x):
    x1, x2 = x.chunk(2, dim=-1)
    return torch.cat((-x2, x1), dim=-1)


class Layer(nn.Module):
    def __init__(self, a):
        super().__init__()
        d, hd = a.hidden, a.hidden // a.heads
        self.heads, self.kv, self.hd = a.heads, a.kv_heads, hd
        lin = lambda i, o, b: LoraLinear(i, o, b, a.rank, 2 * a.rank)
        self.q_proj, self.k_proj = lin(d, a.heads * hd, True), lin(d, a.kv_heads * hd, True)
        self.v_proj, self.o_proj = lin(d, a.kv_heads * hd, True), lin(a.heads * hd, d, False)
        self.gate_proj, self.up_proj, self.down_proj = lin(d, a.ff, False), lin(d, a.ff, False), lin(a.ff, d, False)
        self.input_layernorm, self.post_attention_layernorm = RMSNorm(d, 1e-6), RMSNorm(d, 1e-6)

    def forward(self, x, cos, sin, mask):
        b, t, _ = x.shape
        h = self.input_layernorm(x)
        q = self.q_proj(h).view(b, t, self.heads, self.hd).transpose(1, 2)
        k = self.k_proj(h).view(b, t, self.kv, self.hd).transpose(1, 2)
        v = self.v_proj(h).view(b, t, self.kv, self.hd).transpose(1, 2)
        q, k = q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin
        rep = self.heads // self.kv
        k = k[:, :, None].expand(b, self.kv, rep, t, self.hd).reshape(b, self.heads, t, self.hd)  # repeat_kv
        v = v[:, :, None].expand(b, self.kv, rep, t, self.hd).reshape(b, self.heads, t, self.hd)
        w = torch.matmul(q, k.transpose(2, 3)) / math.sqrt(self.hd) + mask
        w = F.softmax(w, dim=-1, dtype=torch.float32)
        o = torch.matmul(w, v).transpose(1, 2).reshape(b, t, -1)
        x = x + self.o_proj(o)
        h = self.post_attention_layernorm(x)
        return x + self.down_proj(F.silu(self.gate_proj(h)) * self.up_proj(h))


class Model(nn.Module):
    def __init__(self, a):
        super().__init__()
        self.embed_tokens = nn.Embedding(a.vocab, a.hidden)
        self.layers = nn.ModuleList(Layer(a) for _ in range(a.layers))
        self.norm = RMSNorm(a.hidden, 1e-6)
        self.lm_head = nn.Linear(a.hidden, a.vocab, bias=False)
        hd = a.hidden // a.heads
        self.inv_freq = 1.0 / (1e6 ** (torch.arange(0, hd, 2, dtype=torch.int64).float() / hd))

    def forward(self, ids):
        b, t = ids.shape
        pos = torch.arange(t)[None].expand(b, t).float()
        freqs = pos[..., None] * self.inv_freq
        emb = torch.cat((freqs, freqs), dim=-1)[:, None]
        cos, sin = emb.cos(), emb.sin()
        mask = torch.full((t, t), torch.finfo(torch.float32).min).triu(1)[None, None]
        x = self.embed_tokens(ids)
        for layer in self.layers:
            x = layer(x, cos, sin, mask)
        return self.lm_head(self.norm(x))


def main():
    p = argparse.ArgumentParser()
    for k, v in dict(hidden=256, ff=1280, heads=4, kv_heads=2, layers=4, vocab=259, seq=128, batch=4, rank=8,
                     steps=20, warmup=3, threads=2, seed=0).items():
        p.add_argument("--" + k.replace("_", "-"), type=int, default=v)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.set_num_interop_threads(1)
    torch.manual_seed(a.seed)
    m = Model(a)
    for name, prm in m.named_parameters():
        if "lora_" not in name:
            prm.requires_grad_(False)
            if prm.dim() == 2:
                nn.init.normal_(prm, 0, 0.02)
            elif "bias" in name:
                nn.init.zeros_(prm)
    base = sum(p.numel() for n, p in m.named_parameters() if "lora_" not in n)
    lora = sum(p.numel() for n, p in m.named_parameters() if "lora_" in n)
    g = torch.Generator().manual_seed(a.seed)
    ids = torch.randint(0, a.vocab, (a.batch, a.seq), generator=g)
    times, cpu_times, loss_v = [], [], 0.0
    for s in range(a.warmup + a.steps):
        t0, c0 = time.perf_counter(), time.process_time()
        logits = m(ids)
        # HF ForCausalLMLoss: labels shifted left by one, mean over valid targets.
        loss = F.cross_entropy(logits[:, :-1].reshape(-1, a.vocab).float(), ids[:, 1:].reshape(-1))
        loss.backward()
        loss_v = loss.item()
        t1, c1 = time.perf_counter(), time.process_time()
        if s >= a.warmup:
            times.append((t1 - t0) * 1000)
            cpu_times.append((c1 - c0) * 1000)
    times.sort()
    med = times[len(times) // 2]
    cpu_med = sorted(cpu_times)[len(cpu_times) // 2]
    print(json.dumps(dict(impl="torch " + torch.__version__, base_params=base, lora_params=lora, batch=a.batch,
                          seq=a.seq, threads=a.threads, steps=a.steps, ms_per_step_median=round(med, 2),
                          ms_per_step_mean=round(sum(times) / len(times), 2), cpu_ms_per_step_median=round(cpu_med, 2),
                          tokens_per_s=round(a.batch * a.seq / (med / 1000), 1), loss=round(loss_v, 5),
                          peak_rss_mb=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1))))


if __name__ == "__main__":
    main()
