#!/usr/bin/env python3
"""The preference table: `./tokenrl compare` columns plus what lives outside metrics.jsonl — the
pairs built (train.log), the held-out log-prob accuracy before the first step (train.log) and the
accuracy of the seed's shared SFT start (the sft_start-seedN run the algorithms start from)."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tables import compare, fmt, label, stat  # noqa: E402


def log_value(run_dir, marker, after):
    """The word after `after` on the first train.log line holding `marker` and `after`."""
    log = Path(run_dir) / "train.log"
    for line in log.read_text().splitlines() if log.exists() else []:
        if marker in line and after in line:
            return line.split(after)[1].split(" ")[0]
    return None


def start_accuracy(run_dir):
    """Held-out accuracy at the end of the seed's SFT start run (compare's final accuracy there)."""
    seed = Path(run_dir).name.split("-")[-1]
    start = Path(run_dir).parent / f"sft_start-{seed}"
    if not start.exists():
        return None
    value = compare(start)["groups"][0]["stats"]["final_accuracy"]["mean"]
    return value


def main(root: Path):
    runs = sorted(d for d in root.glob("*-seed*") if not d.name.startswith("sft_start-"))
    report = compare(*runs, "--metric", "pref/accuracy:last10", "--metric",
                     "pref/reward_margin:last10", "--metric", "eval/pref_accuracy",
                     "--metric", "eval/logp_accuracy")
    print("| run | seeds | pairs | SFT start acc | final acc | held-out pref acc "
          "| held-out logp acc (start → end) | train pref acc, last 10 | reward margin, last 10 "
          "| wall time s |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for g in report["groups"]:
        dirs = [r["dir"] for r in g["runs"]]
        pairs = "/".join(log_value(d, " from ", "preference pairs: ") or "?" for d in dirs)
        logp_start = [log_value(d, "held-out preference pairs at the start", "logp accuracy ")
                      for d in dirs]
        print(f"| {label(g)} | {g['seeds']} | {pairs} "
              f"| {fmt([start_accuracy(d) for d in dirs], '.3f')} "
              f"| {stat(g, 'final_accuracy', '.3f')} | {stat(g, 'eval/pref_accuracy', '.3f')} "
              f"| {fmt([float(v) for v in logp_start if v], '.3f')} → "
              f"{stat(g, 'eval/logp_accuracy', '.3f')} "
              f"| {stat(g, 'pref/accuracy:last10', '.3f')} "
              f"| {stat(g, 'pref/reward_margin:last10', '.3f')} "
              f"| {stat(g, 'main_wall_seconds', '.0f')} |")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).parent / "runs"))
