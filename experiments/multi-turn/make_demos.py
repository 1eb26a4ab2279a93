#!/usr/bin/env python3
"""Writes tool-call demonstrations for the calculator experiment (README.md).

Each row is one conversation in TRL's format ({"messages": [...]}) that a multi-turn rollout of
calculator.conf would produce for a perfect policy:

  user       What is A + B? <task.instruction>       (the arith task's chat prompt, verbatim)
  assistant  <tool_call>
             {"name": "calculator", "arguments": {"expression": "A + B"}}
             </tool_call>
  tool       A+B                                      (the calculator's result text: the integer)
  assistant  A + B = A+B.

The operands are 3-4 digit integers like the task's; every pair in the held-out prompts (given by
--exclude, one prompt per line, e.g. from HeldOutPrompts.java) is left out in either order, so the
warm-up never sees a held-out question. No "tools" column: the trainer takes the tools of
rollout.env (the calculator), so the prompt describes the tool exactly as rollouts do.

  python3 experiments/multi-turn/make_demos.py --n 512 --exclude heldout.txt --out demos.jsonl
"""
import argparse
import json
import random
import re

INSTRUCTION = "Use the calculator tool, then answer with the number only."  # calculator.conf


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=512, help="demonstrations to write")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--min-digits", type=int, default=3)
    ap.add_argument("--digits", type=int, default=4)
    ap.add_argument("--exclude", help="held-out prompts, one per line ('What is A + B?')")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()

    held_out = set()
    if args.exclude:
        with open(args.exclude, encoding="utf-8") as f:
            for line in f:
                m = re.fullmatch(r"What is (\d+) \+ (\d+)\?", line.strip())
                if not m:
                    raise SystemExit(f"{args.exclude}: not an addition prompt: {line.strip()!r}")
                a, b = int(m.group(1)), int(m.group(2))
                held_out.add((min(a, b), max(a, b)))

    rng = random.Random(args.seed)
    low, high = 10 ** (args.min_digits - 1), 10 ** args.digits - 1
    seen = set()
    rows = []
    while len(rows) < args.n:
        a, b = rng.randint(low, high), rng.randint(low, high)
        key = (min(a, b), max(a, b))
        if key in held_out or key in seen:
            continue
        seen.add(key)
        expression = f"{a} + {b}"
        call = json.dumps({"name": "calculator", "arguments": {"expression": expression}})
        rows.append({"messages": [
            {"role": "user", "content": f"What is {a} + {b}? {INSTRUCTION}"},
            {"role": "assistant", "content": f"<tool_call>\n{call}\n</tool_call>"},
            {"role": "tool", "content": str(a + b)},
            {"role": "assistant", "content": f"{expression} = {a + b}."},
        ]})
    with open(args.out, "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r) + "\n")
    print(f"wrote {len(rows)} demonstrations to {args.out} ({len(held_out)} held-out pairs left out)")


if __name__ == "__main__":
    main()
