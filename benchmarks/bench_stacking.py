"""Training S seeds as one stacked computation against S runs one at a time.

Run: OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_stacking.py [--only gan] [--seeds 8]
Prints runs per second (a run = one model trained for the given steps) for each model
family, stacked and one at a time, and the speed-up. Asserts nothing (these machines are
shared and noisy: report the load beside the figures). One function per model family;
add a family by writing ``bench_<family>(seeds, quick)`` and listing it in ``FAMILIES``.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
import torch

from mine_lib.experiments import gan
from mine_lib.experiments.gan import GANConfig


def runs_per_second(train, n_runs: int) -> tuple[float, float]:
    """(runs per second, seconds) of ``train()``, which trains ``n_runs`` models."""
    start = time.perf_counter()
    train()
    seconds = time.perf_counter() - start
    return n_runs / seconds, seconds


def report(family: str, steps: int, seeds: int, stacked, alone) -> dict:
    (rate_s, sec_s), (rate_a, sec_a) = stacked, alone
    print(f"{family}: {seeds} runs of {steps} steps")
    print(f"  one at a time  {sec_a:7.1f} s   {rate_a * 60:7.2f} runs/min")
    print(f"  stacked        {sec_s:7.1f} s   {rate_s * 60:7.2f} runs/min   "
          f"speed-up {rate_s / rate_a:.1f}x")
    return {"family": family, "steps": steps, "seeds": seeds, "alone_s": sec_a,
            "stacked_s": sec_s, "speedup": rate_s / rate_a}


def bench_gan(seeds: int, quick: bool) -> list[dict]:
    """The toy GAN (+ MINE) of chapter 07 and its DCGAN (+ MINE) on stacked images."""
    out = []
    steps = 100 if quick else 500
    data = gan.grid_gaussians()
    cfgs = [GANConfig(beta=1.0, seed=s, steps=steps) for s in range(seeds)]
    stacked = runs_per_second(lambda: gan.train_toy_gans([(data, c) for c in cfgs]), seeds)
    alone = runs_per_second(lambda: [gan.train_toy_gan(data, c) for c in cfgs], seeds)
    out.append(report("toy GAN+MINE (MLP 64-64-64, batch 128)", steps, seeds, stacked, alone))

    n_dc = min(seeds, 4)
    steps = 10 if quick else 50
    images = np.random.default_rng(0).integers(0, 256, size=(2000, 3, 28, 28), dtype=np.uint8)
    cfgs = [GANConfig(beta=1.0, seed=s, steps=steps, batch_size=64, lr=2e-4, critic_lr=2e-4)
            for s in range(n_dc)]
    stacked = runs_per_second(lambda: gan.train_image_gans(images, cfgs), n_dc)
    alone = runs_per_second(lambda: [gan.train_image_gan(images, c) for c in cfgs], n_dc)
    out.append(report("DCGAN+MINE (batch 64; several seeds share one training loop)", steps,
                      n_dc, stacked, alone))
    return out


FAMILIES = {"gan": bench_gan}


def main(argv=None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=sorted(FAMILIES), action="append",
                        help="benchmark only this model family (repeatable)")
    parser.add_argument("--seeds", type=int, default=8, help="runs to train (default 8)")
    parser.add_argument("--quick", action="store_true", help="a few steps only")
    args = parser.parse_args(argv)
    if args.seeds < 1:
        parser.error("--seeds must be at least 1")
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, "
          f"load average {os.getloadavg()[0]:.2f}")
    rows = []
    for name in args.only or list(FAMILIES):
        rows += FAMILIES[name](args.seeds, args.quick)
    return rows


if __name__ == "__main__":
    main()
