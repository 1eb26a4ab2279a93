"""Scores (response, reference) pairs with HuggingFace math-verify, the independent reference for
MathVerifyTest. Reads JSON lines {"id", "response", "reference"} on stdin; prints one line
"id score" per row (score 1 or 0) and a first line "version X". The reference is wrapped in
\\boxed{} as verl's math_verify reward does (verl/utils/reward_score/math_verify.py); both sides go
through math-verify's default parse (LaTeX and expression extraction) and verify (float_rounding=6)."""
import json
import sys
import warnings
from importlib.metadata import version

warnings.filterwarnings("ignore")
from math_verify import parse, verify  # noqa: E402

print("version", version("math-verify"))
for line in sys.stdin:
    if not line.strip():
        continue
    row = json.loads(line)
    gold = parse("\\boxed{" + row["reference"] + "}")
    pred = parse(row["response"])
    ok = bool(gold) and bool(pred) and verify(gold, pred)
    print(row["id"], 1 if ok else 0)
