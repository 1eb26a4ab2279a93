#!/usr/bin/env bash
# issue 29: GRPO, GRPO+D3S, TEMPO, GSPO, RLOO and REINFORCE++ on SmolLM2-135M-Instruct (LoRA), on
# the arith chat task and the two-step word problems, 3 seeds each, every cell with the same budget
# (trainer.steps x 8 prompts x 8 samples). Each cell is its own run directory and TensorBoard run:
#   results/<task>/<algorithm>-seed<N>/  (config.conf, metrics.jsonl, train.log, events.out.*)
#   tensorboard --logdir experiments/real-model/results   # HPARAMS: algorithm.name, run.seed, ...
# Finished cells are skipped, so a stopped matrix continues where it stopped; then the tables are
# printed (summarize.sh). Runs use one BLAS thread and one sampler thread each (deterministic:
# rerun_cell.sh reproduces a cell exactly); --jobs 2 runs two cells side by side on 2 cores.
# Usage: experiments/real-model/run_all.sh [--jobs 1] [--tasks "arith words"] [--seeds "1 2 3"]
#          [--steps 30] [--algos "grpo grpo_d3s tempo gspo rloo reinforce_pp"] [--dry-run]
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
source "$HERE/../lib.sh"
JOBS=1; TASKS="arith words"; SEEDS="1 2 3"; STEPS=""; DRY=false
ALGOS="grpo grpo_d3s tempo gspo rloo reinforce_pp"
declare -A ALGO=(
  [grpo]="algorithm=grpo"
  [grpo_d3s]="algorithm=d3s algorithm.base=grpo"
  [tempo]="algorithm=tempo"
  [gspo]="algorithm=gspo"
  [rloo]="algorithm=rloo"
  [reinforce_pp]="algorithm=reinforce_pp"
  [reinforce_pp_baseline]="algorithm=reinforce_pp_baseline"
)
usage() { sed -n '2,12p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }
while [[ $# -gt 0 ]]; do
  case "$1" in
    --jobs) JOBS="$2"; shift 2 ;;
    --tasks) TASKS="$2"; shift 2 ;;
    --seeds) SEEDS="$2"; shift 2 ;;
    --steps) STEPS="$2"; shift 2 ;;
    --algos) ALGOS="$2"; shift 2 ;;
    --dry-run) DRY=true; shift ;;
    -h|--help) usage ;;
    *) echo "run_all.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
[[ "$JOBS" =~ ^[1-9][0-9]*$ ]] || { echo "run_all.sh: --jobs must be a positive integer, got '$JOBS'" >&2; exit 2; }
[[ -z "$STEPS" || "$STEPS" =~ ^[1-9][0-9]*$ ]] || { echo "run_all.sh: --steps must be a positive integer, got '$STEPS'" >&2; exit 2; }
for task in $TASKS; do
  [[ -f "$HERE/$task.conf" ]] || { echo "run_all.sh: --tasks: no $task.conf in $HERE (tasks: arith words)" >&2; exit 2; }
done
for name in $ALGOS; do
  [[ -n "${ALGO[$name]:-}" ]] || { echo "run_all.sh: --algos: unknown '$name' (known: ${!ALGO[*]})" >&2; exit 2; }
done
for seed in $SEEDS; do
  [[ "$seed" =~ ^[0-9]+$ ]] || { echo "run_all.sh: --seeds: '$seed' is not a non-negative integer" >&2; exit 2; }
done

# Deterministic and polite on a shared machine: one BLAS thread per run (rollout.workers = 1 is in
# the task configs). Set before the launcher, which keeps a value the user exported.
export OMP_NUM_THREADS=1

# A finished cell's steps, from its kept config (to refuse mixing budgets in one table).
cell_steps() { sed -n '/^trainer {/,/^}/s/^ *"\{0,1\}steps"\{0,1\}=\([0-9]*\)$/\1/p' "$1/config.conf" | head -1; }

jobs_list=()
for task in $TASKS; do
  for name in $ALGOS; do
    for seed in $SEEDS; do
      dir="$HERE/results/$task/$name-seed$seed"
      if finished "$dir"; then
        done_steps="$(cell_steps "$dir")"
        if [[ -n "$STEPS" && "$done_steps" != "$STEPS" ]]; then
          echo "run_all.sh: $dir finished with trainer.steps=$done_steps, not --steps $STEPS;" \
            "remove it to rerun the cell with the new budget" >&2
        fi
        continue   # finished earlier
      fi
      $DRY || rm -rf "$dir"   # an unfinished (stopped, failed) cell starts from scratch
      extra=""
      [[ -n "$STEPS" ]] && extra="trainer.steps=$STEPS"
      jobs_list+=("$HERE/$task.conf ${ALGO[$name]} run.seed=$seed $extra trainer.run_dir=\"$dir\"")
    done
  done
done
echo "run_all.sh: ${#jobs_list[@]} cells to run, $JOBS at a time" >&2
if $DRY; then
  printf '  ./tokenrl train %s\n' "${jobs_list[@]}" >&2
  exit 0
fi
if [[ ${#jobs_list[@]} -gt 0 ]]; then
  "$ROOT/tokenrl" --help > /dev/null   # build once before the runs
  printf '%s\n' "${jobs_list[@]}" | run_jobs "$JOBS"
fi
"$HERE/summarize.sh" --tasks "$TASKS"
