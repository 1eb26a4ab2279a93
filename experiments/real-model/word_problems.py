"""Writes the multi-step word problems of experiments/real-model (README, "The second task").

    python3 experiments/real-model/word_problems.py [--steps 2] [--top 9] [--train 2000] [--eval 300]

Writes experiments/real-model/data/words<steps>[-top<top>].jsonl and ...-eval.jsonl, one
{"prompt": ..., "answer": ...} object per line: the built-in jsonl task with match = last_number
reads them (the last number the model writes must be the answer). Every problem chains `steps`
small integer operations on a story ("Mia has 7 apples. Then she buys 5 more ..."): start and
added amounts in 2..top, gifts and losses leave at least 1, doubling only up to top. With the
default top = 9 every number is small, so the difficulty is in reading and chaining the steps. The eval file's prompts never occur in the train file. The same arguments
always write the same files (seeded), so the committed files can be checked by rerunning this.
"""
import argparse
import json
import os
import random

NAMES = [("Mia", "she"), ("Tom", "he"), ("Ava", "she"), ("Leo", "he"), ("Zoe", "she"),
         ("Sam", "he"), ("Ivy", "she"), ("Ben", "he"), ("Lily", "she"), ("Max", "he")]
ITEMS = ["apples", "marbles", "stickers", "pencils", "cookies", "stamps", "cards", "shells"]
FRIENDS = ["a friend", "a cousin", "a classmate", "a neighbour"]


def step_text(rng, value, item, pron, top):
    """One operation on `value` (added amounts up to `top`): (sentence, new value) or None."""
    kind = rng.choice(["buy", "give", "double", "find", "lose"])
    if kind == "buy":
        n = rng.randint(2, top)
        return f"Then {pron} buys {n} more {item}.", value + n
    if kind == "find":
        n = rng.randint(2, top)
        return f"Then {pron} finds {n} more.", value + n
    if kind == "give" and value > 2:
        n = rng.randint(1, value - 1)
        return f"Then {pron} gives {n} of them to {rng.choice(FRIENDS)}.", value - n
    if kind == "lose" and value > 2:
        n = rng.randint(1, value - 1)
        return f"Then {pron} loses {n} of them.", value - n
    if kind == "double" and value <= top:
        return f"Then the number of {item} {pron} has doubles.", value * 2
    return None


def problem(rng, steps, top):
    name, pron = rng.choice(NAMES)
    item = rng.choice(ITEMS)
    value = rng.randint(3, top)
    parts = [f"{name} has {value} {item}."]
    while len(parts) < steps + 1:
        s = step_text(rng, value, item, pron, top)
        if s is None or not 0 <= s[1] <= 200:
            continue
        parts.append(s[0])
        value = s[1]
    parts.append(f"How many {item} does {name} have now?")
    return " ".join(parts), str(value)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=2)
    ap.add_argument("--train", type=int, default=2000)
    ap.add_argument("--eval", type=int, default=300)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--top", type=int, default=9,
                    help="largest starting amount and added amount (9: one-digit numbers)")
    a = ap.parse_args()
    rng = random.Random(a.seed * 1000 + a.steps * 100 + a.top)
    seen, rows = set(), []
    while len(rows) < a.train + a.eval:
        p, ans = problem(rng, a.steps, a.top)
        if p not in seen:
            seen.add(p)
            rows.append({"prompt": p, "answer": ans})
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")
    os.makedirs(out, exist_ok=True)
    stem = f"words{a.steps}" + ("" if a.top == 9 else f"-top{a.top}")
    for name, part in ((f"{stem}.jsonl", rows[a.eval:]), (f"{stem}-eval.jsonl", rows[: a.eval])):
        with open(os.path.join(out, name), "w") as f:
            f.writelines(json.dumps(r) + "\n" for r in part)
        print(f"wrote {os.path.join(out, name)} ({len(part)} problems)")


if __name__ == "__main__":
    main()
