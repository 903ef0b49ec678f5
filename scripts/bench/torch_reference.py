#!/usr/bin/env python3
"""Plain-PyTorch twin of io.tracedistill.tools.ModelBenchmark, for scripts/bench-model.

Times one LoRA training step (forward + HF ForCausalLMLoss + backward; frozen base, LoRA r on all 7
projections) of a random Qwen2-shaped decoder (the same weights and ids as ModelBenchmark) in eager mode, written
the way transformers' modeling_qwen2.py computes it (RMSNorm in float32, rotate_half rotary, repeat_kv GQA, eager softmax
attention, SwiGLU MLP) and PEFT's lora.Linear (y = base(x) + scaling * B(A(x))). Step loop, windows and JSON
line: step_timing.py.
Not used by tests or CI.
"""
import argparse
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

import step_timing


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


def java_order_init(m, seed):
    """The base weights ModelBenchmark#randomLora draws, in its order from a generator seeded the same way (DJL's
    Engine.setRandomSeed is torch.manual_seed, randomNormal is normal_ on libtorch's CPU generator): embed_tokens, per
    layer q, k, v, o, gate, up, down, then lm_head, each N(0, 0.02); biases 0, norms 1. Both sides then hold the same
    model and give the same loss."""
    torch.manual_seed(seed)
    with torch.no_grad():
        m.embed_tokens.weight.normal_(0, 0.02)
        for layer in m.layers:
            for name in ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"):
                lin = getattr(layer, name).base_layer
                lin.weight.normal_(0, 0.02)
                if lin.bias is not None:
                    lin.bias.zero_()
        m.lm_head.weight.normal_(0, 0.02)


def main():
    p = argparse.ArgumentParser()
    for k, v in dict(hidden=256, ff=1280, heads=4, kv_heads=2, layers=4, vocab=259, seq=128, batch=4, rank=8).items():
        p.add_argument("--" + k.replace("_", "-"), type=int, default=v)
    step_timing.add_args(p)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.set_num_interop_threads(1)
    torch.manual_seed(a.seed)
    m = Model(a)
    for name, prm in m.named_parameters():
        if "lora_" not in name:
            prm.requires_grad_(False)
    java_order_init(m, a.seed)
    base = sum(p.numel() for n, p in m.named_parameters() if "lora_" not in n)
    lora = sum(p.numel() for n, p in m.named_parameters() if "lora_" in n)
    ids = torch.tensor(step_timing.java_random_ints(a.seed, a.batch * a.seq, a.vocab), dtype=torch.long).view(a.batch, a.seq)

    def step():
        logits = m(ids)
        # HF ForCausalLMLoss: labels shifted left by one, mean over valid targets.
        loss = F.cross_entropy(logits[:, :-1].reshape(-1, a.vocab).float(), ids[:, 1:].reshape(-1))
        loss.backward()
        for prm in m.parameters():
            prm.grad = None
        return loss.item()

    step_timing.run(step, a, dict(impl="torch " + torch.__version__, model="random qwen2", base_params=base,
                                  lora_params=lora))

if __name__ == "__main__":
    main()
