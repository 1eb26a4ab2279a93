"""A TRL-style batched reward: None for responses saying "skip"."""


def length_reward(prompts, completions, completion_ids, **kwargs):
    scores = []
    for prompt, completion, ids, truth in zip(prompts, completions, completion_ids,
                                              kwargs["ground_truth"]):
        if completion == "skip":
            scores.append(None)
        else:
            scores.append(len(ids) / 10.0 + (1.0 if prompt == "q0" else 0.0)
                          + (0.5 if completion == truth else 0.0))
    return scores
