"""Writes the candidate prompt sets measured in README.md: N prompts (default 64) per task, seed 7.
    python3 experiments/real-model/prompts.py OUTDIR [N]
Each task gives OUTDIR/<task>.txt (one prompt per line) and OUTDIR/<task>.ans (the sums).
"""
import random
import sys

out = sys.argv[1]
n = int(sys.argv[2]) if len(sys.argv) > 2 else 64
rng = random.Random(7)
ONLY = " Answer with the number only."


def write(name, items):
    with open(f"{out}/{name}.txt", "w") as f:
        f.writelines(p + "\n" for p, _ in items)
    with open(f"{out}/{name}.ans", "w") as f:
        f.writelines(f"{a}\n" for _, a in items)


def pairs(lo, hi):
    return [(rng.randint(lo, hi), rng.randint(lo, hi)) for _ in range(n)]


write("add1", [(f"What is {a} + {b}?", a + b) for a, b in pairs(0, 9)])
write("add2fmt", [(f"What is {a} + {b}?{ONLY}", a + b) for a, b in pairs(10, 99)])
write("add1fmt", [(f"What is {a} + {b}?{ONLY}", a + b) for a, b in pairs(0, 9)])
