"""The sweep that chose chapter 07's toy settings: does the plain GAN train yet drop modes?

Run: OMP_NUM_THREADS=1 .venv/bin/python benchmarks/sweep_toy_gan.py '<json spec>'
e.g. '{"data": [{"kind": "grid", "sigma": 0.2}, {"kind": "spiral", "sigma_ratio": 0.2}],
       "betas": [0, 1], "seeds": [0, 1], "steps": 3000, "snaps": [1000, 2000, 3000],
       "lr": 1e-4, "hidden": [64, 64, 64]}'
(other GANConfig fields, d_noise and d_code may be given too). Every (data, beta, seed) run
is trained in one stacked computation; prints, per run and snapshot step, the modes covered,
the high-quality share in percent and the KL to uniform. Asserts nothing.

The grid sweep that chose chapter 07's grid settings (2-core machine, load ~2; plain GAN unless
marked; modes covered / high-quality % at the step, per seed):
- hidden 64 x 3, lr 1e-4, sigma 0.2 (the old setting): high-quality 31.7 % at 1000 steps,
  25.7 % at 5000 (the chapter's standard and long runs).
- hidden 128 x 3, lr 2e-4, sigma 0.05 / 0.1 / 0.2, 2000 steps: high-quality 1-2 / 6-7 / 23-35 %.
- hidden 128 x 3, lr 1e-3, 5000 steps, seeds 0-1: sigma 0.05: 14/77, 15/55 (48 % at 4000);
  sigma 0.1: 19/67, 20/86; sigma 0.2: 25/84, 24/85 (it keeps the modes).
- hidden 128 x 3, lr 2e-3, sigma 0.1, seeds 0-3, 3000 steps: 21/43, 14/68, 17/74, 17/35 (no
  faster than 1e-3).
- the same with batch 64, seeds 0-3, 4000 steps: 19/60, 23/51, 19/63, 24/31 (30 % cheaper a
  step, slower to train).
- chosen: hidden 128 x 3, lr 1e-3, sigma 0.1, 8 seeds x 2 betas (243 s for the 16 runs of 4000
  steps): GAN 20.1 modes, 63.9 % high quality, KL 1.10 at 4000 steps (46.9 % at 3000); GAN+MINE
  24.9 modes, 56.9 %, KL 0.50. The plain GAN's mean high-quality share at 3250 / 3500 / 3750
  steps: 53.8 / 55.3 / 54.0 % (it swings by seed and step; 4000 keeps a margin over 50 %).
- cost of chapter 07's toy part, standard, 8 seeds x 2 betas: the old single call (spiral and
  grid, 64 x 3, 1000 steps) 77 s; now the spiral alone 38 s + the grid (4000 steps) 243 s.
"""

from __future__ import annotations

import json
import sys
import time

from mine_lib.experiments import gan, modes
from mine_lib.experiments.gan import GANConfig


def sweep(spec: dict) -> list[list]:
    spec = dict(spec)
    datasets = []
    for d in spec.pop("data"):
        d = dict(d)
        kind = d.pop("kind")
        data = gan.grid_gaussians(**d) if kind == "grid" else gan.spiral_gaussians(**d)
        data.name = f"{kind} {d}"
        datasets.append(data)
    sizes = {k: tuple(spec.pop(k)) if k == "hidden" else spec.pop(k)
             for k in ("hidden", "d_noise", "d_code") if k in spec}
    if "adam_betas" in spec:
        spec["adam_betas"] = tuple(spec["adam_betas"])
    snaps, betas, seeds = tuple(spec.pop("snaps")), spec.pop("betas"), spec.pop("seeds")
    jobs = [(d, GANConfig(beta=b, seed=s, snapshot_at=snaps, snapshot_size=4000, **spec))
            for d in datasets for b in betas for s in seeds]
    start = time.time()
    runs = gan.train_toy_gans(jobs, **sizes)
    print(f"{len(jobs)} runs in {time.time() - start:.1f} s")
    rows = []
    for (d, c), r in zip(jobs, runs):
        row = [d.name, c.beta, c.seed]
        for step in snaps:
            m = modes.mode_metrics(r.snapshots[step], d.centers, d.sigma)
            row.append((step, m.modes_covered, round(100 * m.high_quality_share, 1),
                        round(m.kl_to_uniform, 2)))
        print(*row, flush=True)
        rows.append(row)
    return rows


if __name__ == "__main__":
    sweep(json.loads(sys.argv[1]))
