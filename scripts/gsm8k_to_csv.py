#!/usr/bin/env python3
"""GSM8K -> the CoT CSV this project reads (prompt, generated_cot, answer, type), as the reference's GSM8K
experiment (examples/gsm8k_trace_distillation.py, load_gsm8k_df) builds its frames:

  * rows: the split shuffled with `datasets` (seed 42), the first N taken;
  * answer: the number after "####" in the worked solution, commas removed (rows without one are skipped);
  * generated_cot: the worked solution without the "#### N" line and without the <<calculator>> annotations, stripped;
  * type: steps_le2 / steps_3_4 / steps_ge5 by the number of <<...>> steps in the solution (steps_ge5 is the hard type).

    pip install datasets
    python3 scripts/gsm8k_to_csv.py --out data/gsm8k                    # train.csv 1,200 rows, test.csv 200 rows
    python3 scripts/gsm8k_to_csv.py --out data/gsm8k --train-size 1500 --test-size 400   # the script's defaults

Needs network access to the Hugging Face Hub (dataset openai/gsm8k). Not run on the machine this was written on.
"""
import argparse
import csv
import os
import re

FINAL = re.compile(r"####\s*([\-0-9,\.]+)")
CALCULATOR = re.compile(r"<<[^>]*>>")


def bucket(solution: str) -> str:
    steps = solution.count("<<")
    return "steps_le2" if steps <= 2 else ("steps_3_4" if steps <= 4 else "steps_ge5")


def convert(split: str, size: int, seed: int, path: str) -> int:
    from datasets import load_dataset  # imported here so --help works without it

    ds = load_dataset("openai/gsm8k", "main", split=split)
    if size:
        ds = ds.shuffle(seed=seed).select(range(min(size, len(ds))))
    written = 0
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["prompt", "generated_cot", "answer", "type"])
        for ex in ds:
            solution = ex["answer"]
            final = FINAL.search(solution)
            if final is None:
                continue
            trace = CALCULATOR.sub("", FINAL.sub("", solution).strip())
            w.writerow([ex["question"], trace, final.group(1).replace(",", "").strip(), bucket(solution)])
            written += 1
    return written


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True, help="folder for train.csv and test.csv")
    ap.add_argument("--train-size", type=int, default=1200)
    ap.add_argument("--test-size", type=int, default=200)
    ap.add_argument("--seed", type=int, default=42)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    for split, size, name in (("train", a.train_size, "train.csv"), ("test", a.test_size, "test.csv")):
        n = convert(split, size, a.seed, os.path.join(a.out, name))
        print(f"{split}: {n} rows -> {os.path.join(a.out, name)}")


if __name__ == "__main__":
    main()
