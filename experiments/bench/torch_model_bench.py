#!/usr/bin/python3
"""PyTorch side of `./tokenrl bench model --vs-torch`: the same five cases, one CPU thread.

Run with Debian's PyTorch 1.13 (`apt-get install python3-torch`; never `pip install torch`):
  OMP_NUM_THREADS=1 /usr/bin/python3 experiments/bench/torch_model_bench.py [--quick] [--only SUBSTR]

Prints one JSON object per case (the same names and fields as `./tokenrl bench model --json`):
  {"case":"gpt-d128-L2 train B64 T16","train_step_ms":...}
  {"case":"gpt-d256-L6 train B16 T128","train_step_ms":...}
  {"case":"gpt-d128-L2 sample B64 P16 N32","tokens_per_sec":...}
  {"case":"llama-135m train B8 T64","train_step_ms":...}
  {"case":"llama-135m sample B16 P32 N32","tokens_per_sec":...}
Versions and thread counts go to stderr.

Models (random weights):
  gpt: tied embedding, learned positions, pre-LN LayerNorm, GELU MLP with d_ff = 4d, no linear biases,
       vocabulary 98 (tokenrl's character vocabulary).
  llama-135m: SmolLM2-135M's shape: vocabulary 49152, hidden 576, 30 layers, 9 heads, 3 KV heads,
       intermediate 1536, RMSNorm eps 1e-5, rope theta 100000 (rotate_half), SwiGLU, tied head.
Cases:
  train  = forward over B x T tokens, log-softmax, gather the target tokens' log-probs,
           loss = -mean(logp), backward, AdamW over every weight. Median step time.
  sample = prefill the prompts (P tokens each), then KV-cache decoding with multinomial sampling
           for exactly N new tokens a row (no early stop); tokens/s = B*N / wall time.
Each case warms up first (small cases for at least 5 s, as tokenrl's side) and reports the median
of several repetitions (--quick: fewer).
--cpu-time measures the main thread's CPU time instead of wall time: with one thread it does all
the work, and other jobs' load stays out of the number (same flag in ./tokenrl bench model).
"""
import argparse
import json
import math
import os
import statistics
import sys
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

torch.set_num_threads(1)


# ------------------------------------------------------------------------------------------------
# Attention with an optional KV cache; shared by both architectures.


def attend(q, k, v, causal):
    """q [B,H,Tq,hd], k/v [B,H,Tk,hd]; causal masks key j > query i + (Tk - Tq)."""
    scores = q @ k.transpose(-1, -2) / math.sqrt(q.shape[-1])  # [B,H,Tq,Tk]
    if causal:
        tq, tk = q.shape[-2], k.shape[-2]
        mask = torch.ones(tq, tk, dtype=torch.bool).triu(tk - tq + 1)
        scores = scores.masked_fill(mask, float("-inf"))
    return scores.softmax(-1) @ v


class GptBlock(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.heads = heads
        self.ln1, self.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.qkv = nn.Linear(d, 3 * d, bias=False)
        self.proj = nn.Linear(d, d, bias=False)
        self.up = nn.Linear(d, 4 * d, bias=False)
        self.down = nn.Linear(4 * d, d, bias=False)

    def forward(self, x, cache=None):
        B, T, d = x.shape
        q, k, v = self.qkv(self.ln1(x)).split(d, dim=-1)
        q, k, v = (t.view(B, T, self.heads, d // self.heads).transpose(1, 2) for t in (q, k, v))
        if cache is not None:
            if cache[0] is not None:
                k, v = torch.cat([cache[0], k], 2), torch.cat([cache[1], v], 2)
            cache[0], cache[1] = k, v
        a = attend(q, k, v, causal=True).transpose(1, 2).reshape(B, T, d)
        x = x + self.proj(a)
        return x + self.down(F.gelu(self.up(self.ln2(x))))


class Gpt(nn.Module):
    def __init__(self, vocab, d, layers, heads, max_pos):
        super().__init__()
        self.wte = nn.Embedding(vocab, d)
        self.wpe = nn.Embedding(max_pos, d)
        self.blocks = nn.ModuleList(GptBlock(d, heads) for _ in range(layers))
        self.ln_f = nn.LayerNorm(d)
        for p in self.parameters():
            if p.dim() == 2:
                nn.init.normal_(p, std=0.02)

    def forward(self, ids, caches=None, start=0):
        pos = torch.arange(start, start + ids.shape[1])
        x = self.wte(ids) + self.wpe(pos)
        for i, b in enumerate(self.blocks):
            x = b(x, None if caches is None else caches[i])
        return self.ln_f(x) @ self.wte.weight.t()  # tied head

    def new_caches(self):
        return [[None, None] for _ in self.blocks]


class RMSNorm(nn.Module):
    def __init__(self, d, eps):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(d))

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def rotate_half(x):
    h = x.shape[-1] // 2
    return torch.cat([-x[..., h:], x[..., :h]], -1)


class LlamaBlock(nn.Module):
    def __init__(self, d, inter, heads, kv_heads, eps):
        super().__init__()
        self.heads, self.kv_heads, self.hd = heads, kv_heads, d // heads
        self.input_layernorm = RMSNorm(d, eps)
        self.post_attention_layernorm = RMSNorm(d, eps)
        self.q_proj = nn.Linear(d, heads * self.hd, bias=False)
        self.k_proj = nn.Linear(d, kv_heads * self.hd, bias=False)
        self.v_proj = nn.Linear(d, kv_heads * self.hd, bias=False)
        self.o_proj = nn.Linear(heads * self.hd, d, bias=False)
        self.gate_proj = nn.Linear(d, inter, bias=False)
        self.up_proj = nn.Linear(d, inter, bias=False)
        self.down_proj = nn.Linear(inter, d, bias=False)

    def forward(self, x, cos, sin, cache=None):
        B, T, d = x.shape
        h = self.input_layernorm(x)
        q = self.q_proj(h).view(B, T, self.heads, self.hd).transpose(1, 2)
        k = self.k_proj(h).view(B, T, self.kv_heads, self.hd).transpose(1, 2)
        v = self.v_proj(h).view(B, T, self.kv_heads, self.hd).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        if cache is not None:  # the cache holds n_kv_heads, expanded for each step's product
            if cache[0] is not None:
                k, v = torch.cat([cache[0], k], 2), torch.cat([cache[1], v], 2)
            cache[0], cache[1] = k, v
        group = self.heads // self.kv_heads
        k, v = k.repeat_interleave(group, 1), v.repeat_interleave(group, 1)
        a = attend(q, k, v, causal=True).transpose(1, 2).reshape(B, T, d)
        x = x + self.o_proj(a)
        h = self.post_attention_layernorm(x)
        return x + self.down_proj(F.silu(self.gate_proj(h)) * self.up_proj(h))


class Llama(nn.Module):
    def __init__(self, vocab, d, inter, layers, heads, kv_heads, eps, theta):
        super().__init__()
        self.embed_tokens = nn.Embedding(vocab, d)
        self.layers = nn.ModuleList(LlamaBlock(d, inter, heads, kv_heads, eps) for _ in range(layers))
        self.norm = RMSNorm(d, eps)
        hd = d // heads
        self.register_buffer("inv_freq", theta ** (-torch.arange(0, hd, 2, dtype=torch.float32) / hd))
        for p in self.parameters():
            if p.dim() == 2:
                nn.init.normal_(p, std=0.02)

    def forward(self, ids, caches=None, start=0):
        pos = torch.arange(start, start + ids.shape[1], dtype=torch.float32)
        ang = torch.outer(pos, self.inv_freq)
        ang = torch.cat([ang, ang], -1)
        cos, sin = ang.cos(), ang.sin()  # [T, hd]
        x = self.embed_tokens(ids)
        for i, layer in enumerate(self.layers):
            x = layer(x, cos, sin, None if caches is None else caches[i])
        return self.norm(x) @ self.embed_tokens.weight.t()  # tied head

    def new_caches(self):
        return [[None, None] for _ in self.layers]


def gpt(d, layers, heads, max_pos):
    return Gpt(98, d, layers, heads, max_pos)


def llama_135m():
    return Llama(49152, 576, 1536, 30, 9, 3, 1e-5, 100000.0)


# ------------------------------------------------------------------------------------------------
# Cases


def train_step_ms(model, vocab, batch, seq, warmup, reps):
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4)
    g = torch.Generator().manual_seed(1)
    ids = torch.randint(0, vocab, (batch, seq + 1), generator=g)
    inputs, targets = ids[:, :-1], ids[:, 1:]  # T scored tokens a row

    def step():
        logits = model(inputs)  # [B, T, V]
        logp = logits.log_softmax(-1).gather(-1, targets.unsqueeze(-1)).squeeze(-1)  # [B, T]
        loss = -logp.mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    return 1e3 * timed(step, warmup, reps)


def sample_tokens_per_sec(model, vocab, batch, prompt_len, new_tokens, warmup, reps):
    g = torch.Generator().manual_seed(2)
    prompts = torch.randint(0, vocab, (batch, prompt_len), generator=g)

    @torch.no_grad()
    def run():
        caches = model.new_caches()
        logits = model(prompts, caches)[:, -1]  # prefill
        out = []
        for i in range(new_tokens):
            nxt = torch.multinomial(logits.softmax(-1), 1, generator=g)  # [B, 1]
            out.append(nxt)
            if i + 1 < new_tokens:
                logits = model(nxt, caches, start=prompt_len + i)[:, -1]
        return torch.cat(out, 1)

    return batch * new_tokens / timed(run, warmup, reps)


CLOCK = time.perf_counter  # time.thread_time with --cpu-time


WARMUP_SECONDS = 5.0  # small cases; the same rule as ./tokenrl bench model (ModelBench.java)


def timed(fn, warmup, reps):
    """Warm up for `warmup` runs (and WARMUP_SECONDS when warmup > 1), then the median of `reps`."""
    start = time.perf_counter()
    done = 0
    while done < warmup or (warmup > 1 and time.perf_counter() - start < WARMUP_SECONDS):
        fn()
        done += 1
    times = []
    for _ in range(reps):
        t0 = CLOCK()
        fn()
        times.append(CLOCK() - t0)
    return statistics.median(times)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="fewer repetitions")
    ap.add_argument("--only", default="", help="run the cases whose name contains this text")
    ap.add_argument("--cpu-time", action="store_true", help="time with the main thread's CPU time, not wall time")
    a = ap.parse_args()
    global CLOCK
    if a.cpu_time:
        CLOCK = time.thread_time
    small, large = (1, 3) if a.quick else (2, 9), (1, 2) if a.quick else (1, 3)
    cases = [
        ("gpt-d128-L2 train B64 T16", "train_step_ms",
         lambda: train_step_ms(gpt(128, 2, 4, 64), 98, 64, 16, *small)),
        ("gpt-d256-L6 train B16 T128", "train_step_ms",
         lambda: train_step_ms(gpt(256, 6, 8, 128), 98, 16, 128, *large)),
        ("gpt-d128-L2 sample B64 P16 N32", "tokens_per_sec",
         lambda: sample_tokens_per_sec(gpt(128, 2, 4, 64), 98, 64, 16, 32, *small)),
        ("llama-135m train B8 T64", "train_step_ms",
         lambda: train_step_ms(llama_135m(), 49152, 8, 64, *large)),
        ("llama-135m sample B16 P32 N32", "tokens_per_sec",
         lambda: sample_tokens_per_sec(llama_135m(), 49152, 16, 32, 32, *large)),
    ]
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()},"
          f" OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS')}, clock {CLOCK.__name__}", file=sys.stderr)
    for name, field, run in cases:
        if a.only in name:
            torch.manual_seed(0)
            value = run()
            print(json.dumps({"case": name, field: round(value, 1)}, separators=(",", ":")), flush=True)


if __name__ == "__main__":
    main()
