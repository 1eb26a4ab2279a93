"""Shared by the experiments' summarize.py scripts: `./tokenrl compare --json` and mean ± std cells.

`./tokenrl compare` groups runs over seeds and computes the common columns; these scripts add only
what it cannot know (e.g. an extra evaluation's JSON file next to each run)."""
import json
import statistics
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def compare(*args):
    """The report of `./tokenrl compare ARGS --json` as a dict."""
    out = subprocess.run([str(ROOT / "tokenrl"), "compare", *map(str, args), "--json"],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def label(group):
    """The group's name: the values of the config keys that tell the groups apart."""
    return " ".join(group["label"].values()) or "all"


def stat(group, name, spec):
    """A compare statistic of the group as 'mean ± std' (the mean alone for one run)."""
    s = group["stats"][name]
    if s["n"] == 0 or s["mean"] is None:
        return "—"
    if s["std"] is None:
        return format(s["mean"], spec)
    return f"{format(s['mean'], spec)} ± {format(s['std'], spec)}"


def fmt(values, spec):
    """'mean ± std' of the non-None values in format `spec`; '—' when there are none."""
    values = [v for v in values if v is not None]
    if not values:
        return "—"
    mean = statistics.mean(values)
    if len(values) == 1:
        return format(mean, spec)
    return f"{format(mean, spec)} ± {format(statistics.stdev(values), spec)}"
