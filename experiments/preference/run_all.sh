#!/usr/bin/env bash
# DPO, T-REG and cDPO on arith preference pairs, 3 seeds each, then the summary table.
# Each run is its own TensorBoard run under runs/<algorithm>-seed<N>:
#   tensorboard --logdir experiments/preference/runs
# Usage: experiments/preference/run_all.sh [--jobs 1] [--seeds "1 2 3"] [--algorithms "dpo treg ..."]
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
source "$HERE/../lib.sh"
JOBS=1; SEEDS="1 2 3"; ALGORITHMS="dpo treg cdpo dpo_b1 treg_b1 cdpo_b01"
# The three algorithms at their defaults (DPO and T-REG beta = 0.1, cDPO gamma = 1.0 as in its
# paper), and each at the other beta, which separates the effect of beta from the token credit.
declare -A ALGO=(
  [dpo]="algorithm=dpo"
  [treg]="algorithm=treg"
  [cdpo]="algorithm=cdpo"
  [dpo_b1]="algorithm=dpo algorithm.beta=1.0"
  [treg_b1]="algorithm=treg algorithm.beta=1.0"
  [cdpo_b01]="algorithm=cdpo algorithm.beta=0.1"
)
while [[ $# -gt 0 ]]; do
  case "$1" in
    --jobs) JOBS="$2"; shift 2 ;;
    --seeds) SEEDS="$2"; shift 2 ;;
    --algorithms) ALGORITHMS="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
"$ROOT/tokenrl" --help > /dev/null   # build once before the runs
# 1. The shared SFT start of each seed: the warm-up alone (no main phase).
for seed in $SEEDS; do
  start="$HERE/runs/sft_start-seed$seed"
  if ! finished "$start"; then
    rm -rf "$start"
    "$ROOT/tokenrl" train "$HERE/arith.conf" algorithm=sft trainer.steps=0 run.seed="$seed" \
      trainer.run_dir="\"$start\"" > /dev/null 2>&1 || echo "failed: SFT start of seed $seed" >&2
  fi
done
# 2. Every algorithm from its seed's start.
jobs_list=()
for name in $ALGORITHMS; do
  for seed in $SEEDS; do
    dir="$HERE/runs/$name-seed$seed"
    if finished "$dir"; then
      continue
    fi
    rm -rf "$dir"
    jobs_list+=("$HERE/arith.conf ${ALGO[$name]} run.seed=$seed sft.steps=0 run.init_from=\"$HERE/runs/sft_start-seed$seed\" trainer.run_dir=\"$dir\"")
  done
done
if [[ ${#jobs_list[@]} -gt 0 ]]; then
  printf '%s\n' "${jobs_list[@]}" | run_jobs "$JOBS"
fi
python3 "$HERE/summarize.py" "$HERE/runs"   # ./tokenrl compare --json plus the extra columns
