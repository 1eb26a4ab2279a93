#!/usr/bin/env python3
"""Summarises experiments/credit-assignment/runs into a Markdown table (mean ± std over seeds).

For each run: held-out accuracy at the end of the SFT warm-up and at the end, the RL steps and
rollout tokens until held-out accuracy first reached the task's target, and the RL wall time.
"""
import json
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tables import fmt  # noqa: E402

TARGETS = {"arith": 0.80, "reverse_bleu": 0.45, "sort_long": 0.37}
ORDER = ["grpo", "grpo_d3s", "tempo", "tempo_d3s"]


def run_stats(run_dir: Path):
    rows = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    rl = [r for r in rows if "train/reward_mean" in r]
    if not rl:
        return None
    first_rl = rl[0]["step"]
    sft_end = [r for r in rows if r["step"] == first_rl - 1 and r.get("eval/accuracy") is not None]
    evals = [r for r in rl if r.get("eval/accuracy") is not None]
    target = TARGETS[run_dir.parent.name]
    tokens = 0.0
    reached_step = reached_tokens = None
    for r in rl:
        tokens += r.get("perf/rollout_tokens", 0.0)
        acc = r.get("eval/accuracy")
        if reached_step is None and acc is not None and acc >= target:
            reached_step, reached_tokens = r["step"] - first_rl + 1, tokens
    return {
        "start": sft_end[0]["eval/accuracy"] if sft_end else float("nan"),
        "final": evals[-1]["eval/accuracy"] if evals else float("nan"),
        "reward_last10": statistics.mean(r["train/reward_mean"] for r in rl[-10:]),
        "steps": reached_step,
        "tokens": reached_tokens,
        "seconds": sum(r.get("perf/time_step", 0.0) for r in rl),
        "done": len(rl),
    }




def main(root: Path):
    for task_dir in sorted(p for p in root.iterdir() if p.is_dir()):
        target = TARGETS.get(task_dir.name)
        print(f"\n### {task_dir.name} (target held-out accuracy {target})\n")
        print("| algorithm | seeds | SFT start acc | final acc | reward, last 10 steps "
              "| reached target | RL steps to target | rollout tokens to target | RL wall time s |")
        print("|---|---|---|---|---|---|---|---|---|")
        for name in ORDER:
            stats = [s for s in (run_stats(d) for d in sorted(task_dir.glob(f"{name}-seed*"))
                                 if (d / "metrics.jsonl").exists()) if s]
            if not stats:
                continue
            reached = [s for s in stats if s["steps"] is not None]
            print(f"| {name} | {len(stats)} | {fmt([s['start'] for s in stats], '.3f')} "
                  f"| {fmt([s['final'] for s in stats], '.3f')} "
                  f"| {fmt([s['reward_last10'] for s in stats], '.3f')} "
                  f"| {len(reached)}/{len(stats)} | {fmt([s['steps'] for s in reached], '.0f')} "
                  f"| {fmt([s['tokens'] for s in reached], ',.0f')} "
                  f"| {fmt([s['seconds'] for s in stats], '.0f')} |")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).parent / "runs"))
