#!/usr/bin/env bash
# The credit-assignment tables, one per task, by ./tokenrl compare: mean ± std over seeds of the
# held-out accuracy at the end of the SFT warm-up ("start acc") and at the end, the BLEU/exact-match
# reward over the last 10 RL steps, and the RL steps, rollout tokens and wall seconds until held-out
# accuracy first reached the task's target. Also writes runs/<task>.html (curves with seed bands).
# Usage: experiments/credit-assignment/summarize.sh [--tasks "arith reverse_bleu sort_long"]
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
TASKS="arith reverse_bleu sort_long"
[[ "${1:-}" == "--tasks" ]] && TASKS="$2"
declare -A TARGET=([arith]=0.80 [reverse_bleu]=0.45 [sort_long]=0.37)
for task in $TASKS; do
  [[ -d "$HERE/runs/$task" ]] || continue
  echo; echo "### $task (target held-out accuracy ${TARGET[$task]})"; echo
  "$ROOT/tokenrl" compare "$HERE/runs/$task" --target "eval/accuracy=${TARGET[$task]}" \
    --metric train/reward_mean:last10 --html "$HERE/runs/$task.html" | grep -v '^target:\|^wrote\|^$'
done
