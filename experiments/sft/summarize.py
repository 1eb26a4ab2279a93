#!/usr/bin/env python3
"""The SFT vs OTR table: `./tokenrl compare` columns plus held-out accuracy on 3-digit operands,
which run_all.sh writes next to each run as longer.json (`./tokenrl eval` on a longer task)."""
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tables import compare, fmt, label, stat  # noqa: E402


def longer(run_dir):
    f = Path(run_dir) / "longer.json"
    return json.loads(f.read_text())["accuracy"] if f.exists() else None


def main(root: Path):
    report = compare(root)
    print("| algorithm | seeds | after warm-up | final acc (2-digit) | best acc (2-digit) "
          "| acc on 3-digit operands | main-phase wall time s |")
    print("|---|---|---|---|---|---|---|")
    for g in report["groups"]:
        print(f"| {label(g)} | {g['seeds']} | {stat(g, 'start_accuracy', '.3f')} "
              f"| {stat(g, 'final_accuracy', '.3f')} | {stat(g, 'best_accuracy', '.3f')} "
              f"| {fmt([longer(r['dir']) for r in g['runs']], '.3f')} "
              f"| {stat(g, 'main_wall_seconds', '.0f')} |")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).parent / "runs"))
