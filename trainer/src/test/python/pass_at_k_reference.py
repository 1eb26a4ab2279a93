"""Reference pass@k and majority vote, written from their published definitions, not from tokenrl.

pass@k: HumanEval's estimate_pass_at_k (Chen et al. 2021, "Evaluating Large Language Models
Trained on Code", figure 3), numerically stable product form in numpy, cross-checked here against
the exact rational 1 - C(n-c, k) / C(n, k) from math.comb.

maj: lighteval's MajAtK: majority = max(answers, key=answers.count), i.e. the most frequent answer,
ties to the one that occurs first; None (no extracted answer) is one more answer.

stdin: {"pass": [[n, c, k], ...], "maj": [[answer or null, ...], ...]}
stdout: {"pass": [float, ...], "pass_exact": [float, ...], "maj": [index of the winner, ...]}
"""
import json
import math
import sys
from fractions import Fraction

import numpy as np


def estimate_pass_at_k(n, c, k):
    """HumanEval: 1 - comb(n - c, k) / comb(n, k), as a product."""
    if n - c < k:
        return 1.0
    return 1.0 - np.prod(1.0 - k / np.arange(n - c + 1, n + 1))


def exact_pass_at_k(n, c, k):
    return float(1 - Fraction(math.comb(n - c, k), math.comb(n, k)))


def majority_index(answers):
    winner = max(answers, key=answers.count)
    return answers.index(winner)


data = json.load(sys.stdin)
print(json.dumps({
    "pass": [float(estimate_pass_at_k(n, c, k)) for n, c, k in data["pass"]],
    "pass_exact": [exact_pass_at_k(n, c, k) for n, c, k in data["pass"]],
    "maj": [majority_index(a) for a in data["maj"]],
}))
