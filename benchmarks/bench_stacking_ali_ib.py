"""Seeds of ALI trained as one stacked computation against one at a time (chapter 08).

Run: PYTHONPATH=. OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_stacking_ali_ib.py [--quick]
Prints runs per second (one run = one seed trained for the given steps) and the speed-up;
asserts nothing (these machines are shared and noisy: read the load it prints).

The information-bottleneck seeds (chapter 09) are trained one at a time: their networks
(784 -> 256 -> 256 -> 64 on batches of 100) keep one core busy with matrix products, so a
stack would save only the per-operation overhead. The last part prints that overhead as the
share of an IB step a stack could save at most (time of a step with 1 row against 100 rows).
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
import torch

from mine_lib.experiments import ali, ib


def images(n: int = 2000, seed: int = 0) -> np.ndarray:
    """Random 28x28 images in [0, 1]: the speed does not depend on what they show."""
    return np.random.default_rng(seed).random((n, 1, 28, 28), dtype=np.float32)


def ali_config(model: str, steps: int) -> ali.ALIConfig:
    return ali.ALIConfig(model=model, latent_dim=64, hidden=128, critic_hidden=(128, 128),
                         steps=steps, lr=5e-4, device="cpu")


def runs_per_second(fn, n_runs: int, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return n_runs / best


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="fewer steps, one repeat")
    args = ap.parse_args()
    steps, repeats = (30, 1) if args.quick else (150, 2)
    torch.set_num_threads(1)
    x = images()
    print(f"threads 1, load average {os.getloadavg()[0]:.2f}, {steps} steps per run")
    print(f"{'model':>9s} {'S':>2s} {'stacked runs/s':>15s} {'one at a time':>14s} {'speed-up':>9s}")
    for model in ("ali", "ali+mine"):
        cfg = ali_config(model, steps)
        for n in (3, 5):
            seeds = list(range(n))
            stacked = runs_per_second(lambda c=cfg, s=seeds: ali.train_ali_seeds(x, c, s),
                                      n, repeats)
            alone = runs_per_second(
                lambda c=cfg, s=seeds: [ali.train_ali_seeds(x, c, [one]) for one in s], n, repeats)
            print(f"{model:>9s} {n:2d} {stacked:15.3f} {alone:14.3f} {stacked / alone:8.2f}x")
    # IB: how much of a step is per-operation overhead (what a stack could save at most)
    cfg = ib.IBConfig(hidden=(256, 256), code_dim=64, critic_hidden=(256, 256), epochs=1,
                      lr=1e-3, critic_lr=1e-3, lr_decay=1.0, regularizer="mine",
                      encoder="additive", device="cpu")
    xi = images(2000).reshape(2000, -1)
    y = np.random.default_rng(0).integers(0, 10, 2000)
    for batch in (100, 2):
        c = ib.replace(cfg, batch_size=batch)
        n_steps = 2000 // batch
        n = n_steps * batch
        sec = 1.0 / runs_per_second(lambda c=c, n=n: ib.train_ib(xi[:n], y[:n], c), 1, repeats)
        print(f"MINE-IB step, batch {batch:3d}: {1000 * sec / n_steps:.2f} ms")


if __name__ == "__main__":
    main()
