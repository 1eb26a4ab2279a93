#!/usr/bin/env bash
# Reruns one cell of the matrix from scratch, as its kept config.conf records it, into a temporary
# directory, and checks that its metrics.jsonl has the same numbers as the kept one (every metric
# but timings and throughput: same_metrics.py). Prints the first difference or "identical".
# Usage: experiments/real-model/rerun_cell.sh TASK ALGO SEED     e.g. arith grpo_d3s 2
#        experiments/real-model/rerun_cell.sh RUN_DIR            any run directory
#        (--keep: leave the rerun's directory in place and print its path)
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
KEEP=false
args=()
for a in "$@"; do [[ "$a" == --keep ]] && KEEP=true || args+=("$a"); done
case ${#args[@]} in
  3) cell="$HERE/results/${args[0]}/${args[1]}-seed${args[2]}" ;;
  1) cell="${args[0]}" ;;
  *) sed -n '2,7p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
for f in config.conf metrics.jsonl; do
  [[ -f "$cell/$f" ]] || { echo "rerun_cell.sh: $cell/$f not found (run the cell first: run_all.sh)" >&2; exit 2; }
done
# The matrix's runs use one BLAS thread (run_all.sh); the sums' rounding depends on it.
export OMP_NUM_THREADS=1
tmp="$(mktemp -d "${TMPDIR:-/tmp}/rerun-cell.XXXXXX")"
$KEEP || trap 'rm -rf "$tmp"' EXIT
echo "rerun_cell.sh: rerunning $cell into $tmp/run" >&2
# The run file, group selections and overrides the cell was started with (cell_command.py).
mapfile -t cmd < <(python3 "$HERE/cell_command.py" "$cell/config.conf")
echo "rerun_cell.sh: ./tokenrl train ${cmd[*]}" >&2
if ! (cd "$ROOT" && ./tokenrl train "${cmd[@]}" trainer.run_dir="$tmp/run") > "$tmp/stdout.txt" 2>&1; then
  echo "rerun_cell.sh: the rerun failed:" >&2; tail -20 "$tmp/stdout.txt" >&2; exit 1
fi
$KEEP && echo "rerun_cell.sh: kept the rerun in $tmp/run" >&2
python3 "$HERE/same_metrics.py" "$cell/metrics.jsonl" "$tmp/run/metrics.jsonl"
