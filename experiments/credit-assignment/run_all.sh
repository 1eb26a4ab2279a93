#!/usr/bin/env bash
# Runs GRPO, GRPO+D3S, TEMPO, TEMPO+D3S, GSPO, RLOO and REINFORCE++ (and, when asked,
# REINFORCE++ with a group baseline) on arith, reverse+BLEU and long sort+BLEU, 3 seeds each, then
# prints the summary tables. Each run is its own TensorBoard run under
# runs/<task>/<algorithm>-seed<N>:
#   tensorboard --logdir experiments/credit-assignment/runs
# Usage: experiments/credit-assignment/run_all.sh [--jobs 2] [--tasks "arith reverse_bleu sort_long"]
#          [--seeds "1 2 3"] [--algos "grpo grpo_d3s tempo tempo_d3s gspo rloo reinforce_pp"]
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
source "$HERE/../lib.sh"
JOBS=2; TASKS="arith reverse_bleu sort_long"; SEEDS="1 2 3"
ALGOS="grpo grpo_d3s tempo tempo_d3s gspo rloo reinforce_pp"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --jobs) JOBS="$2"; shift 2 ;;
    --tasks) TASKS="$2"; shift 2 ;;
    --seeds) SEEDS="$2"; shift 2 ;;
    --algos) ALGOS="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
declare -A ALGO=(
  [grpo]="algorithm=grpo"
  [grpo_d3s]="algorithm=d3s algorithm.base=grpo"
  [tempo]="algorithm=tempo"
  [tempo_d3s]="algorithm=d3s algorithm.base=tempo"
  [gspo]="algorithm=gspo"
  [rloo]="algorithm=rloo"
  [reinforce_pp]="algorithm=reinforce_pp"
  [reinforce_pp_baseline]="algorithm=reinforce_pp_baseline"
)
"$ROOT/tokenrl" --help > /dev/null   # build once before the parallel runs
jobs_list=()
for task in $TASKS; do
  for name in $ALGOS; do
    [[ -n "${ALGO[$name]:-}" ]] || { echo "unknown algorithm $name (one of ${!ALGO[*]})" >&2; exit 2; }
    for seed in $SEEDS; do
      dir="$HERE/runs/$task/$name-seed$seed"
      if finished "$dir"; then
        continue   # finished earlier
      fi
      rm -rf "$dir"
      jobs_list+=("$HERE/$task.conf ${ALGO[$name]} run.seed=$seed trainer.run_dir=\"$dir\"")
    done
  done
done
printf '%s\n' "${jobs_list[@]}" | run_jobs "$JOBS"
"$HERE/summarize.sh" --tasks "$TASKS"
