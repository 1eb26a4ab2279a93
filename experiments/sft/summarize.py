#!/usr/bin/env python3
"""Summarises experiments/sft/runs: held-out accuracy in distribution and on longer numbers."""
import json
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tables import fmt  # noqa: E402

ORDER = ["sft", "otr"]


def run_stats(run_dir: Path):
    rows = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    evals = [r for r in rows if r.get("eval/accuracy") is not None]
    main = [r for r in rows if "optim/lr" in r]
    if not evals:
        return None
    longer = run_dir / "longer.json"
    return {
        "start": next((r["eval/accuracy"] for r in evals if r["step"] == 200), float("nan")),
        "final": evals[-1]["eval/accuracy"],
        "best": max(r["eval/accuracy"] for r in evals),
        "longer": json.loads(longer.read_text())["accuracy"] if longer.exists() else None,
        "seconds": sum(r.get("perf/time_step", 0.0) for r in main if r["step"] > 200),
    }




def main(root: Path):
    print("| algorithm | seeds | after warm-up | final acc (2-digit) | best acc (2-digit) "
          "| acc on 3-digit operands | main-phase wall time s |")
    print("|---|---|---|---|---|---|---|")
    for name in ORDER:
        stats = [s for s in (run_stats(d) for d in sorted(root.glob(f"{name}-seed*"))
                             if (d / "metrics.jsonl").exists()) if s]
        if not stats:
            continue
        print(f"| {name} | {len(stats)} | {fmt([s['start'] for s in stats], '.3f')} "
              f"| {fmt([s['final'] for s in stats], '.3f')} "
              f"| {fmt([s['best'] for s in stats], '.3f')} "
              f"| {fmt([s['longer'] for s in stats], '.3f')} "
              f"| {fmt([s['seconds'] for s in stats], '.0f')} |")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).parent / "runs"))
