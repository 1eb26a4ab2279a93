"""Functions that fail in each way PythonRewardTest checks."""
import time


def raises_on_boom(data_source, solution_str, ground_truth, extra_info=None):
    if solution_str == "boom":
        return 1 / 0
    return 1.0


def infinite(data_source, solution_str, ground_truth, extra_info=None):
    return float("inf") if solution_str == "inf" else 1.0


def not_a_number(data_source, solution_str, ground_truth, extra_info=None):
    return "high"


def wrong_count(prompts, completions, completion_ids, **kwargs):
    return [1.0]


def batch_raises(prompts, completions, completion_ids, **kwargs):
    if "boom" in completions:
        raise ValueError("cannot score 'boom'")
    return [0.5 for _ in completions]


def slow(prompts, completions, completion_ids, **kwargs):
    time.sleep(30)
    return [0.0 for _ in completions]


def exits(prompts, completions, completion_ids, **kwargs):
    import os
    os._exit(7)


def unknown_shape(a, b):
    return 0.0


def noisy(prompts, completions, completion_ids, **kwargs):
    print("this print must not break the protocol")
    return [0.25 for _ in completions]
