# Shared by the experiments' run_all.sh scripts (sourced, not run).

# Whether the run in directory $1 finished (its log has the final held-out accuracy line).
finished() { [[ -f "$1/metrics.jsonl" ]] && grep -q "held-out accuracy:" "$1/train.log" 2>/dev/null; }

# Runs `./tokenrl train <args>` for each line of stdin, $1 at a time; reports failures on stderr.
run_jobs() {
  xargs -P "$1" -I{} sh -c "\"$ROOT/tokenrl\" train {} > /dev/null 2>&1 || echo 'failed: {}' >&2"
}
