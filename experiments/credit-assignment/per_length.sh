#!/usr/bin/env bash
# Held-out exact match of each finished reverse_bleu run, split by string length (3..8), with
# ./tokenrl eval on one-length variants of the task. Shows where the accuracy plateaus.
# Usage: experiments/credit-assignment/per_length.sh [runs/reverse_bleu]
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
RUNS="${1:-$HERE/runs/reverse_bleu}"
printf '| run | len 3 | len 4 | len 5 | len 6 | len 7 | len 8 |\n|---|---|---|---|---|---|---|\n'
for dir in "$RUNS"/*-seed*; do
  row="| $(basename "$dir")"
  for len in 3 4 5 6 7 8; do
    acc=$("$ROOT/tokenrl" eval "$dir" task.min_len=$len task.max_len=$len task.train_size=100 \
      task.eval_size=100 --size 100 | python3 -c 'import json,sys; print(json.load(sys.stdin)["accuracy"])')
    row="$row | $acc"
  done
  echo "$row |"
done
