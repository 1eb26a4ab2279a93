"""Whether two metrics.jsonl files hold the same numbers, timings aside (rerun_cell.sh).

    python3 experiments/real-model/same_metrics.py KEPT.jsonl RERUN.jsonl

Compares line by line: the same steps, the same keys and bit-identical values (JSON numbers parsed
to doubles), except the keys that measure time or speed, which no rerun reproduces: perf/time_*
(seconds per phase), perf/tokens_per_sec, distributed/weight_sync_ms and distributed/transport_ms
(docs/metrics.md). perf/rollout_tokens is a count and is compared. Prints "identical (...)" and
exits 0, or prints the first difference and exits 1.
"""
import json
import sys

TIMING_PREFIXES = ("perf/time_",)
TIMING_KEYS = {"perf/tokens_per_sec", "distributed/weight_sync_ms", "distributed/transport_ms"}


def timing(key):
    return key in TIMING_KEYS or key.startswith(TIMING_PREFIXES)


def rows(path):
    out = []
    with open(path) as f:
        for n, line in enumerate(f, 1):
            if line.strip():
                row = json.loads(line)
                out.append((n, {k: v for k, v in row.items() if not timing(k)}))
    return out


def main():
    kept, rerun = rows(sys.argv[1]), rows(sys.argv[2])
    compared = 0
    for (line, a), (_, b) in zip(kept, rerun):
        step = a.get("step")
        if a.get("step") != b.get("step"):
            print(f"first difference: line {line}: step {a.get('step')} (kept) vs {b.get('step')} (rerun)")
            return 1
        for key in sorted(set(a) | set(b)):
            if key not in b or key not in a:
                where = "rerun" if key not in b else "kept"
                print(f"first difference: step {step}: {key} missing in the {where} metrics")
                return 1
            if a[key] != b[key]:
                print(f"first difference: step {step}: {key} = {a[key]!r} (kept) vs {b[key]!r} (rerun)")
                return 1
            compared += 1
    if len(kept) != len(rerun):
        longer, n = ("kept", len(kept)) if len(kept) > len(rerun) else ("rerun", len(rerun))
        print(f"first difference: the {longer} metrics have {n} lines, the other "
              f"{min(len(kept), len(rerun))} (step {(kept if longer == 'kept' else rerun)[min(len(kept), len(rerun))][1].get('step')} onwards)")
        return 1
    print(f"identical ({len(kept)} lines, {compared} values; timings excluded)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
