#!/usr/bin/python3
"""GEMM speed of PyTorch's OpenBLAS at the engine's shapes, one thread, under each OpenBLAS kernel.

OpenBLAS chooses its kernels from the CPU model; 0.3.21 does not know recent Xeons and falls back to
SSE3 ("Prescott"). Compare (OPENBLAS_VERBOSE=2 prints the kernels chosen):
  OMP_NUM_THREADS=1 OPENBLAS_VERBOSE=2 /usr/bin/python3 experiments/bench/openblas_kernels.py
  OMP_NUM_THREADS=1 OPENBLAS_VERBOSE=2 OPENBLAS_CORETYPE=SkylakeX /usr/bin/python3 experiments/bench/openblas_kernels.py
"""
import time

import torch

torch.set_num_threads(1)
for m, k, n in [(16, 576, 1536), (16, 576, 49152), (512, 576, 1536), (64, 128, 512)]:
    a, b = torch.randn(m, k), torch.randn(n, k)
    for _ in range(3):
        a @ b.t()
    reps = 20
    t0 = time.perf_counter()
    for _ in range(reps):
        a @ b.t()
    dt = (time.perf_counter() - t0) / reps
    print(f"{m}x{k} . {k}x{n}: {2 * m * k * n / dt / 1e9:.1f} GFLOP/s")
