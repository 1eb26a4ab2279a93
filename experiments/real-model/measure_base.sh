#!/usr/bin/env bash
# Held-out accuracy of the base model (no training) on a task config, as the README's task choice
# measured it: a one-step run at learning rate 0 (LoRA's B stays zero, so the policy is exactly
# SmolLM2-135M-Instruct) whose end-of-run evaluation is greedy accuracy on N held-out prompts,
# judged by the task's verifier with the config's chat format and rollout.max_new_tokens.
# Usage: experiments/real-model/measure_base.sh CONFIG N [key=value ...]
#   e.g. measure_base.sh experiments/real-model/words.conf 100 task.path=... task.eval_path=...
# Prints the accuracy with its binomial s.e., the first greedy answers and the wall time.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
[[ $# -ge 2 && "$2" =~ ^[1-9][0-9]*$ ]] || { sed -n '2,8p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }
conf="$1"; n="$2"; shift 2
export OMP_NUM_THREADS=1
tmp="$(mktemp -d "${TMPDIR:-/tmp}/measure-base.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
"$ROOT/tokenrl" train "$conf" "$@" trainer.steps=1 trainer.learning_rate=0 \
  trainer.prompts_per_step=1 trainer.group_size=2 trainer.eval_before_train=false \
  trainer.eval_every=0 trainer.eval_size="$n" trainer.checkpoint_every=0 rollout.workers=1 \
  tensorboard.samples=16 tensorboard.sample_chars=600 trainer.run_dir="$tmp/run" > "$tmp/out.txt" 2>&1 \
  || { tail -20 "$tmp/out.txt" >&2; exit 1; }
python3 - "$tmp/run" <<'PY'
import glob, json, math, re, sys
run = sys.argv[1]
log = open(f"{run}/train.log").read()
m = re.search(r"held-out accuracy: ([0-9.]+) \((\d+) eval examples\)", log)
p, n = float(m.group(1)), int(m.group(2))
print(f"accuracy {p:.3f} ± {math.sqrt(p * (1 - p) / n):.3f} ({round(p * n)}/{n})")
# The greedy answers TensorBoard's samples/eval table got (first 16 prompts).
from tensorboard.backend.event_processing import event_accumulator as ea
acc = ea.EventAccumulator(run, size_guidance={"tensors": 0}); acc.Reload()
for tag in [t for t in acc.Tags()["tensors"] if t.startswith("samples/eval")][:1]:
    for row in acc.Tensors(tag)[-1].tensor_proto.string_val[:6]:
        print("  ", row.decode())
PY
echo "wall ${SECONDS} s (model load, one step at lr 0 and the evaluation)"
