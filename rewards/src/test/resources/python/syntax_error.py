def compute_score(data_source, solution_str:
    return 1.0
