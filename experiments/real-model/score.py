"""Accuracy of `./tokenrl generate --prompts-file` output against expected answers (one per line).

Correct = the last integer of the decoded answer equals the expected one (arith's verifier with
task.chat = true); "number only" = the answer is just an integer (what the format reward checks).
Prints the accuracy with its binomial standard error sqrt(p(1-p)/n).
    python3 experiments/real-model/score.py OUT.jsonl ANSWERS.txt
"""
import json
import math
import re
import sys

rows = [json.loads(line) for line in open(sys.argv[1])]
answers = [line.strip() for line in open(sys.argv[2])][: len(rows)]
n = len(rows)
correct = only = 0
for row, answer in zip(rows, answers):
    numbers = re.findall(r"-?\d+", row["text"])
    correct += bool(numbers) and numbers[-1] == answer
    only += re.fullmatch(r"\s*-?\d+\s*\.?\s*", row["text"]) is not None
p = correct / n
print(
    f"{correct}/{n} = {p:.3f} ± {math.sqrt(p * (1 - p) / n):.3f}; number-only answers {only}/{n};"
    f" mean new tokens {sum(len(r['ids']) for r in rows) / n:.1f}"
)
