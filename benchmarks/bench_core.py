"""Speed of the trainer against a plain PyTorch DV loop, and estimate error on Gaussians.

Run: OMP_NUM_THREADS=2 .venv/bin/python benchmarks/bench_core.py [--quick]
Prints figures; asserts nothing (these machines are shared and noisy).
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np
import torch

from mine_lib import TrainConfig, estimate_mi, train_critic
from mine_lib.critics import mlp
from mine_lib.tasks import correlated_gaussian, gaussian_mi


def plain_dv_loop(x, z, steps, batch, hidden, lr=5e-4):
    """The 20-line loop people write by hand: same network, batch and optimiser."""
    x, z = torch.as_tensor(x), torch.as_tensor(z)
    net = mlp(x.shape[1] + z.shape[1], hidden, 1)
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    for _ in range(steps):
        idx = torch.randint(len(x), (batch,))
        xb, zb = x[idx], z[idx]
        zm = zb[torch.randperm(batch)]
        t_joint = net(torch.cat([xb, zb], 1))
        t_marg = net(torch.cat([xb, zm], 1))
        loss = -(t_joint.mean() - (torch.logsumexp(t_marg, 0) - math.log(batch)))
        opt.zero_grad()
        loss.backward()
        opt.step()


def steps_per_second(fn, steps):
    fn(steps // 10)  # warm-up
    start = time.perf_counter()
    fn(steps)
    return steps / (time.perf_counter() - start)


def speed(steps, batch=256, hidden=(256, 256)):
    x, z = correlated_gaussian(20000, 3, 0.9, seed=0)
    plain = steps_per_second(lambda s: plain_dv_loop(x, z, s, batch, hidden), steps)

    def ours(s, eval_every):
        cfg = TrainConfig(max_steps=s, batch_size=batch, hidden=hidden, early_stopping=False,
                          eval_every=eval_every)
        train_critic(x, z, cfg)

    bare = steps_per_second(lambda s: ours(s, s), steps)  # one evaluation at the end
    usual = steps_per_second(lambda s: ours(s, 100), steps)  # validation every 100 steps
    print(f"speed (batch {batch}, critic {hidden}, {torch.get_num_threads()} threads, {steps} steps)")
    print(f"  plain 20-line DV loop        {plain:8.1f} steps/s")
    print(f"  mine_lib trainer, bare       {bare:8.1f} steps/s   ratio {bare / plain:.2f}")
    print(f"  mine_lib trainer, validating {usual:8.1f} steps/s   ratio {usual / plain:.2f}")


def accuracy(seeds, n=10000):
    print(f"accuracy of default estimate_mi on Gaussians (n = {n}, seeds {list(seeds)})")
    print(f"  {'method':7s} {'d':>3s} {'rho':>5s} {'true':>6s} {'mean':>7s} {'sd':>6s} {'max|err|':>8s} {'s/run':>6s}")
    for method in ("mine", "mine-f", "ksg"):
        for dim, rho in ((1, 0.5), (1, 0.9), (3, 0.9), (10, 0.5)):
            truth = gaussian_mi(dim, rho)
            values, start = [], time.perf_counter()
            for seed in seeds:
                x, z = correlated_gaussian(n, dim, rho, seed=100 + seed)
                values.append(estimate_mi(x, z, method=method, seed=seed).mi)
            values = np.array(values)
            secs = (time.perf_counter() - start) / len(seeds)
            print(f"  {method:7s} {dim:3d} {rho:5.2f} {truth:6.3f} {values.mean():7.3f} {values.std():6.3f}"
                  f" {np.abs(values - truth).max():8.3f} {secs:6.1f}")


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="fewer steps and seeds")
    args = ap.parse_args()
    speed(500 if args.quick else 2000)
    accuracy(range(2) if args.quick else range(3))
