"""A verl-style reward: exact match, or a tenth of the length; a dict with extra metrics."""
from helpers import normalise  # a sibling module: the file's directory is on sys.path


def compute_score(data_source, solution_str, ground_truth, extra_info=None):
    if normalise(solution_str) == normalise(ground_truth):
        score = 1.0
    else:
        score = 0.1 * len(solution_str)
    if data_source == "plain":
        return score
    return {"score": score, "length": len(solution_str), "row": extra_info["index"], "note": "text"}
