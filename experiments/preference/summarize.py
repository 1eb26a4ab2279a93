#!/usr/bin/env python3
"""Summarises experiments/preference/runs into a Markdown table (mean ± std over seeds)."""
import json
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tables import fmt  # noqa: E402

ORDER = ["dpo", "treg", "cdpo", "dpo_b1", "treg_b1", "cdpo_b01"]


def run_stats(run_dir: Path):
    rows = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    main = [r for r in rows if "pref/accuracy" in r]
    if not main:
        return None
    start_rows = [json.loads(l) for l in
                  (run_dir.parent / ("sft_start-" + run_dir.name.split("-")[-1]) / "metrics.jsonl")
                  .read_text().splitlines()] if (run_dir.parent / ("sft_start-" + run_dir.name.split("-")[-1])).exists() else []
    sft_end = [r for r in start_rows if r.get("eval/accuracy") is not None][-1:]
    evals = [r for r in main if r.get("eval/accuracy") is not None]
    log = (run_dir / "train.log").read_text()
    pairs = next((l.split("preference pairs: ")[1].split(" ")[0]
                  for l in log.splitlines() if "preference pairs: " in l and " from " in l), "?")
    logp_start = next((float(l.split("logp accuracy ")[1].split(" ")[0])
                       for l in log.splitlines() if "held-out preference pairs at the start" in l), None)
    return {
        "logp_start": logp_start,
        "start": sft_end[0]["eval/accuracy"] if sft_end else float("nan"),
        "final": evals[-1]["eval/accuracy"],
        "pref_final": evals[-1].get("eval/pref_accuracy"),
        "logp_final": evals[-1].get("eval/logp_accuracy"),
        "train_pref": statistics.mean(r["pref/accuracy"] for r in main[-10:]),
        "margin": statistics.mean(r["pref/reward_margin"] for r in main[-10:]),
        "pairs": pairs,
        "seconds": sum(r.get("perf/time_step", 0.0) for r in main),
    }




def main(root: Path):
    print("| run | seeds | pairs | SFT start acc | final acc | held-out pref acc "
          "| held-out logp acc (start → end) | train pref acc, last 10 | reward margin, last 10 | wall time s |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name in ORDER:
        stats = [s for s in (run_stats(d) for d in sorted(root.glob(f"{name}-seed*"))
                             if (d / "metrics.jsonl").exists()) if s]
        if not stats:
            continue
        print(f"| {name} | {len(stats)} | {'/'.join(s['pairs'] for s in stats)} "
              f"| {fmt([s['start'] for s in stats], '.3f')} "
              f"| {fmt([s['final'] for s in stats], '.3f')} "
              f"| {fmt([s['pref_final'] for s in stats], '.3f')} "
              f"| {fmt([s['logp_start'] for s in stats], '.3f')} → "
              f"{fmt([s['logp_final'] for s in stats], '.3f')} "
              f"| {fmt([s['train_pref'] for s in stats], '.3f')} "
              f"| {fmt([s['margin'] for s in stats], '.3f')} "
              f"| {fmt([s['seconds'] for s in stats], '.0f')} |")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).parent / "runs"))
