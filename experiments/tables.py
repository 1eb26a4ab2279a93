"""Shared by the experiments' summarize.py scripts: mean ± std cells over seeds."""
import statistics


def fmt(values, spec):
    """'mean ± std' of the non-None values in format `spec`; '—' when there are none."""
    values = [v for v in values if v is not None]
    if not values:
        return "—"
    mean = statistics.mean(values)
    if len(values) == 1:
        return format(mean, spec)
    return f"{format(mean, spec)} ± {format(statistics.stdev(values), spec)}"
