#!/usr/bin/env python3
"""transformers' generate beside io.tracedistill.tools.EvalBench, for scripts/bench-eval.

Reads the decode plan EvalBench wrote (the same token ids, the same batches in the same order, the same
max_new_tokens, eos ids and pad id, and EvalBench's own outputs per arm and row), then decodes it with
AutoModelForCausalLM + PEFT's PeftModel (adapter unmerged, as the eval reference runs it): the base arm under
disable_adapter(), the adapter arm with the adapter on. Greedy (do_sample=False), left-padded batches, the
attention mask of the padding. Times one warm-up pass and then one pass per thread count, like EvalBench, and prints
one JSON line per pass. New tokens per row are counted as EvalBench counts them: up to and including the first eos.
Also prints how many decoded texts (skip_special_tokens=True) equal EvalBench's. Not used by tests or CI.

Shape of the plan file (JSON): {"model": dir, "adapter": dir, "max_new_tokens": n, "eos": [ids], "pad": id,
"batches": [[{"row": i, "ids": [..]}, ...], ...], "outputs": {"base": {"row": text}, "<arm>": {...}}}.
"""
import argparse
import json
import resource
import time

import torch
import transformers
from peft import PeftModel
from transformers import AutoModelForCausalLM, AutoTokenizer


def decode_pass(model, plan, arm_is_base):
    """Every batch of the plan under one arm; returns ({row: new token ids}, tokens)."""
    eos = set(plan["eos"])
    pad = plan["pad"]
    out, tokens = {}, 0
    for batch in plan["batches"]:
        width = max(len(p["ids"]) for p in batch)
        ids = torch.full((len(batch), width), pad, dtype=torch.long)
        mask = torch.zeros((len(batch), width), dtype=torch.long)
        for i, p in enumerate(batch):
            n = len(p["ids"])
            ids[i, width - n:] = torch.tensor(p["ids"], dtype=torch.long)
            mask[i, width - n:] = 1
        kwargs = dict(input_ids=ids, attention_mask=mask, do_sample=False, max_new_tokens=plan["max_new_tokens"],
                      eos_token_id=plan["eos"], pad_token_id=pad, num_beams=1, use_cache=True)
        with torch.inference_mode():
            if arm_is_base:
                with model.disable_adapter():
                    seq = model.generate(**kwargs)
            else:
                seq = model.generate(**kwargs)
        new = seq[:, width:].tolist()
        for i, p in enumerate(batch):
            row = []
            for t in new[i]:
                row.append(t)
                if t in eos:
                    break
            out[p["row"]] = row
            tokens += len(row)
    return out, tokens


def main():
    a = argparse.ArgumentParser()
    a.add_argument("plan")
    a.add_argument("--threads", default="1,2", help="comma-separated intra-op thread counts, one timed pass each")
    args = a.parse_args()
    with open(args.plan, encoding="utf-8") as f:
        plan = json.load(f)
    torch.set_num_interop_threads(1)
    transformers.logging.set_verbosity_error()
    base = AutoModelForCausalLM.from_pretrained(plan["model"], torch_dtype=torch.float32, attn_implementation="eager")
    model = PeftModel.from_pretrained(base, plan["adapter"]).eval()
    tok = AutoTokenizer.from_pretrained(plan["model"])
    arms = list(plan["outputs"].keys())  # "base" first, then the adapter arm, as EvalBench decodes them

    def all_arms():
        got, n = {}, 0
        for arm in arms:
            got[arm], k = decode_pass(model, plan, arm == "base")
            n += k
        return got, n

    torch.set_num_threads(1)
    t0 = time.perf_counter()
    got, _ = all_arms()  # warm-up: first use of every shape
    warm = time.perf_counter() - t0
    same = total = 0
    for arm in arms:
        for row, ids in got[arm].items():
            total += 1
            same += tok.decode(ids, skip_special_tokens=True) == plan["outputs"][arm][str(row)]
    for threads in [int(t) for t in args.threads.split(",")]:
        torch.set_num_threads(threads)
        t0 = time.perf_counter()
        _, n = all_arms()
        sec = time.perf_counter() - t0
        print(json.dumps(dict(impl="transformers %s generate, torch %s, peft unmerged" % (
            transformers.__version__, torch.__version__), threads=threads, tokens=n, seconds=round(sec, 3),
            tokens_per_s=round(n / sec, 1), warmup_s=round(warm, 2), outputs_identical="%d/%d" % (same, total),
            peak_rss_mb=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1))))


if __name__ == "__main__":
    main()
