#!/usr/bin/env python3
"""transformers' eager NemotronHForCausalLM twin of `ModelBenchmark --model DIR`, for scripts/bench-model.

Times one LoRA training step (forward with labels = HF ForCausalLMLoss, backward; frozen base, fresh LoRA r with
alpha 2r on the nn.Linear modules whose names end with one of --targets, PEFT's suffix rule, y = base(x) +
scaling * B(A(x)), A kaiming-uniform, B = 0) of the checkpoint folder --model, in float32 on the CPU, with eager
attention and eager experts (the implementation the tiny-nemotron-h fixture was generated with). transformers 5
stacks the routed experts into 3-D parameters, which are no nn.Linear: --targets must leave them out (the DJL side
is given the same list). Step loop, windows and JSON line: step_timing.py. Not used by tests or CI.
"""
import argparse
import math

import torch
import torch.nn as nn
from transformers import NemotronHForCausalLM

import step_timing


class LoraLinear(nn.Module):
    def __init__(self, base, r, alpha):
        super().__init__()
        self.base_layer = base
        self.lora_A = nn.Linear(base.in_features, r, bias=False)
        self.lora_B = nn.Linear(r, base.out_features, bias=False)
        nn.init.kaiming_uniform_(self.lora_A.weight, a=math.sqrt(5))
        nn.init.zeros_(self.lora_B.weight)
        self.scaling = alpha / r

    # The Mamba mixer hands out_proj.weight/.bias to mamba_ssm's fused kernel in training; on the CPU there is none
    # (the call returns None) and the torch path below it calls out_proj(x), so the LoRA applies.
    @property
    def weight(self):
        return self.base_layer.weight

    @property
    def bias(self):
        return self.base_layer.bias

    def forward(self, x):
        return self.base_layer(x) + self.lora_B(self.lora_A(x)) * self.scaling


def inject(model, targets, r, alpha):
    names = [n for n, m in model.named_modules() if isinstance(m, nn.Linear)
             and any(n == t or n.endswith("." + t) for t in targets)]
    for n in names:
        parent_name, _, leaf = n.rpartition(".")
        parent = model.get_submodule(parent_name)
        setattr(parent, leaf, LoraLinear(getattr(parent, leaf), r, alpha))
    return names


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--model", required=True)
    p.add_argument("--targets", required=True)
    p.add_argument("--seq", type=int, default=128)
    p.add_argument("--batch", type=int, default=4)
    p.add_argument("--rank", type=int, default=8)
    step_timing.add_args(p)
    a, _ = p.parse_known_args()  # the random-model options of ModelBenchmark are ignored here
    torch.set_num_threads(a.threads)
    torch.set_num_interop_threads(1)
    torch.manual_seed(a.seed)
    model = NemotronHForCausalLM.from_pretrained(a.model, dtype=torch.float32, attn_implementation="eager",
                                                 experts_implementation="eager")
    base_params = sum(t.numel() for t in model.parameters())
    for t in model.parameters():
        t.requires_grad_(False)
    adapted = inject(model, a.targets.split(","), a.rank, 2 * a.rank)
    model.train()
    lora_params = sum(t.numel() for t in model.parameters() if t.requires_grad)
    vocab = model.config.vocab_size
    ids = torch.tensor(step_timing.java_random_ints(a.seed, a.batch * a.seq, vocab),
                       dtype=torch.long).view(a.batch, a.seq)
    mask = torch.ones_like(ids)

    def step():
        out = model(input_ids=ids, attention_mask=mask, labels=ids, use_cache=False)
        out.loss.backward()
        for t in model.parameters():
            t.grad = None
        return out.loss.item()

    step_timing.run(step, a, {
        "impl": "transformers-eager", "model": a.model.rstrip("/").split("/")[-1], "adapted_linears": len(adapted),
        "base_params": base_params, "lora_params": lora_params,
        "transformers": __import__("transformers").__version__, "torch": torch.__version__})


if __name__ == "__main__":
    main()
