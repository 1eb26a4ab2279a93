#!/usr/bin/env bash
# SFT vs OTR on arith, 3 seeds each. After training, every run's final checkpoint is also evaluated
# on longer numbers (3-digit operands, never seen in training) with ./tokenrl eval, then the summary
# table is printed. Each run is its own TensorBoard run under runs/<algorithm>-seed<N>.
# Usage: experiments/sft/run_all.sh [--jobs 1] [--seeds "1 2 3"]
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
source "$HERE/../lib.sh"
JOBS=1; SEEDS="1 2 3"; ALGORITHMS="sft otr"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --jobs) JOBS="$2"; shift 2 ;;
    --seeds) SEEDS="$2"; shift 2 ;;
    --algorithms) ALGORITHMS="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
"$ROOT/tokenrl" --help > /dev/null   # build once before the runs
jobs_list=()
for name in $ALGORITHMS; do
  for seed in $SEEDS; do
    dir="$HERE/runs/$name-seed$seed"
    if finished "$dir"; then
      continue   # finished earlier
    fi
    rm -rf "$dir"
    jobs_list+=("$HERE/arith.conf algorithm=$name run.seed=$seed trainer.run_dir=\"$dir\"")
  done
done
if [[ ${#jobs_list[@]} -gt 0 ]]; then
  printf '%s\n' "${jobs_list[@]}" | run_jobs "$JOBS"
fi
# Generalisation: the same checkpoints on 3-digit operands (sums up to 1998).
for dir in "$HERE"/runs/*-seed*; do
  [[ -f "$dir/longer.json" ]] && continue
  "$ROOT/tokenrl" eval "$dir" task.digits=3 task.min_digits=3 --size 500 > "$dir/longer.json"
done
python3 "$HERE/summarize.py" "$HERE/runs"   # ./tokenrl compare --json plus the extra columns
