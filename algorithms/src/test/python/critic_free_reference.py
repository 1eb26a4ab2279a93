"""Independent numpy reference for GSPO, RLOO and REINFORCE++ (tokenrl algorithms tests).

Written from the definitions, not from tokenrl's Java:
  - GSPO: Zheng et al. 2025 (arXiv 2507.18071) eq. 5-7 and GSPO-token eq. 13-14, in verl's padded
    [batch, length] form (log-ratio mean over the response mask, seq-mean-token-mean aggregation).
  - RLOO: verl compute_rloo_outcome_advantage (r_i * G/(G-1) - mean * G/(G-1); a group of one keeps r).
  - REINFORCE++: verl compute_reinforce_plus_plus_outcome_advantage (reverse cumulative return of
    the outcome reward placed at the last response token, gamma = 1, then masked_whiten over the
    batch: unbiased masked variance, (x - mean) * rsqrt(var + 1e-8)).
  - REINFORCE++-baseline: verl compute_reinforce_plus_plus_baseline_outcome_advantage (subtract the
    group mean, 0 for a group of one; tile over the response; masked_whiten).
  - the token-level PPO clipped loss with token-mean aggregation (verl compute_policy_loss_vanilla).

Reads a JSON list of cases on stdin, prints a JSON list of {"advantages": [[...]], "loss": x}.
Rows are padded to the longest response; the padding is masked out.
"""

import json
import sys

import numpy as np


def padded(rows, length, fill=0.0):
    out = np.full((len(rows), length), fill, dtype=np.float64)
    for i, r in enumerate(rows):
        out[i, : len(r)] = r
    return out


def masked_mean(x, m):
    return (x * m).sum() / m.sum()


def masked_whiten(x, m):
    mean = masked_mean(x, m)
    centred = x - mean
    var = masked_mean(centred**2, m)
    count = m.sum()
    var = var * count / (count - 1)  # unbiased, as verl's masked_var
    return (x - mean) / np.sqrt(var + 1e-8)


def group_ids(n, g):
    return np.arange(n) // g


def grpo_advantage(scores, g, eps):
    ids = group_ids(len(scores), g)
    adv = np.zeros_like(scores)
    for k in np.unique(ids):
        sel = ids == k
        s = scores[sel]
        if len(s) == 1 or np.all(s == s[0]):
            continue
        adv[sel] = (s - s.mean()) / (s.std(ddof=1) + eps)
    return adv


def rloo_advantage(scores, g):
    ids = group_ids(len(scores), g)
    adv = scores.copy()
    for k in np.unique(ids):
        sel = ids == k
        n = sel.sum()
        if n > 1:
            adv[sel] = scores[sel] * n / (n - 1) - scores[sel].mean() * n / (n - 1)
    return adv


def reinforce_pp_token_advantage(scores, mask):
    # outcome reward on the last response token; returns by a reverse scan with gamma = 1
    b, length = mask.shape
    token_rewards = np.zeros((b, length))
    for i in range(b):
        last = np.nonzero(mask[i])[0]
        if len(last):
            token_rewards[i, last[-1]] = scores[i]
    returns = np.zeros_like(token_rewards)
    running = np.zeros(b)
    for t in reversed(range(length)):
        running = token_rewards[:, t] + running
        returns[:, t] = running
        running = running * mask[:, t]
    return masked_whiten(returns, mask) * mask


def reinforce_pp_baseline_advantage(scores, g, mask):
    ids = group_ids(len(scores), g)
    x = scores.copy()
    for k in np.unique(ids):
        sel = ids == k
        if sel.sum() > 1:
            x[sel] = scores[sel] - scores[sel].mean()
    tiled = np.tile(x[:, None], (1, mask.shape[1])) * mask
    return masked_whiten(tiled, mask) * mask


def ppo_token_mean_loss(lp_new, lp_old, adv, mask, eps_low, eps_high):
    ratio = np.exp(np.clip(lp_new - lp_old, -20, 20))
    pg = np.maximum(-adv * ratio, -adv * np.clip(ratio, 1 - eps_low, 1 + eps_high))
    return masked_mean(pg, mask)


def gspo_loss(lp_new, lp_old, adv, mask, eps_low, eps_high):
    # the value of s_i,t = sg[s_i] * exp(logp_t - sg[logp_t]) is s_i on every token
    lengths = np.maximum(mask.sum(-1), 1)
    seq_log_ratio = ((lp_new - lp_old) * mask).sum(-1) / lengths
    s = np.exp(np.clip(seq_log_ratio, -20, 20))[:, None] * np.ones_like(lp_new)
    pg = np.maximum(-adv * s, -adv * np.clip(s, 1 - eps_low, 1 + eps_high))
    seq = (pg * mask).sum(-1) / lengths  # seq-mean-token-mean
    return seq.mean()


def run(case):
    mask = padded(case["mask"], max(len(r) for r in case["mask"])).astype(np.float64)
    length = mask.shape[1]
    scores = np.asarray(case["rewards"], dtype=np.float64)
    g = case["group_size"]
    algo = case["algo"]
    if algo == "gspo":
        adv = grpo_advantage(scores, g, case["eps_adv"])[:, None] * mask
    elif algo == "rloo":
        adv = rloo_advantage(scores, g)[:, None] * mask
    elif algo == "reinforce_pp":
        adv = reinforce_pp_token_advantage(scores, mask)
    elif algo == "reinforce_pp_baseline":
        adv = reinforce_pp_baseline_advantage(scores, g, mask)
    else:
        raise ValueError(algo)
    lp_new = padded(case["logp_new"], length)
    lp_old = padded(case["logp_old"], length)
    if algo == "gspo":
        loss = gspo_loss(lp_new, lp_old, adv, mask, case["eps_low"], case["eps_high"])
    else:
        loss = ppo_token_mean_loss(lp_new, lp_old, adv, mask, case["eps_low"], case["eps_high"])
    rows = [adv[i, : len(case["mask"][i])].tolist() for i in range(len(scores))]
    return {"advantages": rows, "loss": float(loss)}


if __name__ == "__main__":
    print(json.dumps([run(c) for c in json.load(sys.stdin)]))
