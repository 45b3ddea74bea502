"""Seeds of ALI trained as one stacked computation against one at a time (chapter 08).

Run: PYTHONPATH=. OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_stacking_ali_ib.py [--quick]
Prints runs per second (one run = one seed trained for the given steps) and the speed-up;
asserts nothing (these machines are shared and noisy: read the load it prints).

The information-bottleneck seeds (chapter 09) are trained one at a time, in a loop. The
last lines print what a stack could save there at most: a MINE-IB step on a batch of 2
against a batch of 100 (the chapter's). The batch-2 step is the part of a step that does not
grow with the batch: per-operation overhead, which a stack shares, and per-parameter work
(Adam's updates, weight reads), which it does not.
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
    for batch in (100, 2):
        print(f"MINE-IB training step, batch {batch:3d}: {1000 * ib_step_seconds(batch, steps):.2f} ms")


def ib_step_seconds(batch: int, steps: int) -> float:
    """Seconds per MINE-IB training step (forward, both backward passes, both Adam steps),
    the chapter's standard networks, no evaluation."""
    cfg = ib.IBConfig(hidden=(256, 256), code_dim=64, critic_hidden=(256, 256),
                      regularizer="mine", encoder="additive", beta=0.03, device="cpu")
    gens = ib.generators(0)
    net = ib.build(cfg, 784, gens["init"])
    params = list(net.encoder.parameters()) + list(net.decoder.parameters())
    opt, opt_t = torch.optim.Adam(params), torch.optim.Adam(net.critic.parameters())
    mine_loss = ib.MineLoss(cfg.ema_rate)
    x = torch.rand(batch, 784)
    y = torch.randint(0, 10, (batch,))

    def step():
        out = ib.step_losses(net, cfg, x, y, mine_loss, gens["noise"], torch.randperm(batch))
        opt.zero_grad()
        opt_t.zero_grad()
        out.critic.backward(inputs=list(net.critic.parameters()), retain_graph=True)
        out.total.backward(inputs=params)
        opt_t.step()
        opt.step()

    for _ in range(10):
        step()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    return (time.perf_counter() - start) / steps


if __name__ == "__main__":
    main()
