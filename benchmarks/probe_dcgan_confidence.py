"""How many steps until chapter 07's stacked-data DCGAN baseline "trains" (issue 13)?

Run: PYTHONPATH=$PWD OMP_NUM_THREADS=1 python benchmarks/probe_dcgan_confidence.py
     [--lrs 2e-4 5e-4] [--steps 300 600 1000 1500 2000] [--time-steps 10]

Builds the stacked Fashion-MNIST data and the classifier ("judge") exactly as chapter 07 does
in its standard/long profile (60 000 classifier images, 1 epoch, seed 0; 60 000 stacked
training pictures, seed 0; 10 000 stacked test pictures, seed 1, for the real confidence),
then trains ONE DCGAN (beta = 0, seed 0, batch 64, critic_lr 2e-4, Adam betas (0.5, 0.999),
as the chapter) per learning rate, with snapshots of 2000 samples (eval mode) at the given
steps, and prints the judge's mean confidence on them, modes covered and KL to uniform.
The chapter's gate: confidence >= 0.9 x the confidence on real stacked pictures.
Finally it times steps of the chapter's 6-run stacked training (3 seeds x DCGAN, DCGAN+MINE)
so that the cost of the long profile's stacked part at N steps can be extrapolated.

Measured output (2026-12-03, this 2-core machine shared with two other jobs, load ~2-2.8;
command: the default arguments with --time-steps 20; "~s" = the run's seconds pro rata):

    data: Fashion-MNIST; judge trained in 60 s; confidence on real stacked pictures 86.4 %,
      gate 77.7 %
    6-run stacked training: 20 steps in 11.4 s = 0.571 s/step; 600 steps ~6 min,
      1000 steps ~10 min, 1500 steps ~14 min, 2000 steps ~19 min
    lr 0.0002: 2000 steps in 263 s (0.132 s/step, snapshots included)
      lr 0.0002 step   300: confidence  37.6 %  modes   31  KL 4.48  ~40 s  fail
      lr 0.0002 step   600: confidence  61.3 %  modes   71  KL 4.30  ~79 s  fail
      lr 0.0002 step  1000: confidence  54.1 %  modes  288  KL 2.12  ~132 s  fail
      lr 0.0002 step  1500: confidence  60.2 %  modes  474  KL 1.32  ~198 s  fail
      lr 0.0002 step  2000: confidence  62.1 %  modes  447  KL 1.33  ~263 s  fail
    lr 0.0005: 2000 steps in 207 s (0.104 s/step, snapshots included)
      lr 0.0005 step   300: confidence  54.6 %  modes   10  KL 4.87  ~31 s  fail
      lr 0.0005 step   600: confidence  61.1 %  modes   30  KL 5.36  ~62 s  fail
      lr 0.0005 step  1000: confidence  60.3 %  modes  333  KL 2.11  ~104 s  fail
      lr 0.0005 step  1500: confidence  65.9 %  modes  422  KL 1.37  ~156 s  fail
      lr 0.0005 step  2000: confidence  64.1 %  modes  481  KL 1.19  ~207 s  fail

Second run, longer (command: --time-steps 0 --lrs 5e-4 2e-4 --steps 1000 2000 3000 4000; the
same seed, so steps 1000 and 2000 repeat the numbers above exactly):

    lr 0.0005: 4000 steps in 459 s (0.115 s/step, snapshots included)
      lr 0.0005 step  1000: confidence  60.3 %  modes  333  KL 2.11  ~115 s  fail
      lr 0.0005 step  2000: confidence  64.1 %  modes  481  KL 1.19  ~230 s  fail
      lr 0.0005 step  3000: confidence  64.2 %  modes  450  KL 1.30  ~344 s  fail
      lr 0.0005 step  4000: confidence  64.7 %  modes  514  KL 1.10  ~459 s  fail
    lr 0.0002: 4000 steps in 497 s (0.124 s/step, snapshots included)
      lr 0.0002 step  1000: confidence  54.1 %  modes  288  KL 2.12  ~124 s  fail
      lr 0.0002 step  2000: confidence  62.1 %  modes  447  KL 1.33  ~249 s  fail
      lr 0.0002 step  3000: confidence  64.0 %  modes  473  KL 1.20  ~373 s  fail
      lr 0.0002 step  4000: confidence  64.4 %  modes  442  KL 1.24  ~497 s  fail

Neither learning rate passes the gate (77.7 %) within 2000 steps: the confidence rises to about 60 %
by step 600 and then stays at 60-66 % while the modes covered grow (to ~450-480) and the KL falls
(to ~1.2-1.3); at 4000 steps it is still 64.4 % (lr 2e-4) and 64.7 % (lr
5e-4). The 6-run stacked step costs 0.57 s here
(the chapter's long run: 474 s / 600 steps = 0.79 s/step), so the long profile's stacked part costs
about 19-26 min at 2000 steps.
"""

from __future__ import annotations

import argparse
import os
import time

from mine_lib.datasets import stack_channels
from mine_lib.experiments import gan, modes
from mine_lib.experiments.classifier import load_chapter_data, train_classifier
from mine_lib.experiments.gan import GANConfig

TRAINED_CONFIDENCE = 0.9  # the chapter's gate


def chapter_config(beta: float, seed: int, steps: int, lr: float, snaps=(), size=64):
    """The chapter's dc_cfgs entry, with the generator/discriminator lr as a parameter."""
    return GANConfig(beta=beta, seed=seed, steps=steps, batch_size=64, lr=lr, critic_lr=2e-4,
                     snapshot_at=tuple(snaps), snapshot_size=size)


def build_judge():
    """The chapter's classifier and stacked data (its long/standard sizes)."""
    data = load_chapter_data()
    train, test = data.train, data.test
    start = time.perf_counter()
    judge = train_classifier(train.images[:60000], train.labels[:60000], epochs=1, seed=0)
    stacked_train, _ = stack_channels(train.images, train.labels, 60000, seed=0)
    stacked_ref, _ = stack_channels(test.images, test.labels, 10000, seed=1)
    _, ref_conf = modes.stacked_readout(stacked_ref, judge)
    real = float(ref_conf.mean())
    print(f"data: {data.name}; judge trained in {time.perf_counter() - start:.0f} s; "
          f"confidence on real stacked pictures {100 * real:.1f} %, "
          f"gate {100 * TRAINED_CONFIDENCE * real:.1f} %", flush=True)
    return judge, stacked_train, real


def probe(stacked_train, judge, real: float, lr: float, steps: list[int]) -> list[dict]:
    cfg = chapter_config(0.0, 0, max(steps), lr, steps, size=2000)
    run = gan.train_image_gans(stacked_train, [cfg])[0]
    rows = []
    for step in steps:
        labels, conf = modes.stacked_readout(run.snapshots[step], judge)
        m = modes.label_metrics(labels)
        rows.append({"lr": lr, "step": step, "conf": 100 * float(conf.mean()),
                     "modes": m.modes_covered, "kl": m.kl_to_uniform,
                     "passed": float(conf.mean()) >= TRAINED_CONFIDENCE * real})
    seconds = run.seconds
    print(f"lr {lr:g}: {max(steps)} steps in {seconds:.0f} s "
          f"({seconds / max(steps):.3f} s/step, snapshots included)", flush=True)
    for r in rows:
        r["seconds_est"] = seconds * r["step"] / max(steps)
        print(f"  lr {lr:g} step {r['step']:5d}: confidence {r['conf']:5.1f} %  "
              f"modes {r['modes']:4d}  KL {r['kl']:.2f}  ~{r['seconds_est']:.0f} s  "
              f"{'PASS' if r['passed'] else 'fail'}", flush=True)
    return rows


def time_six(stacked_train, steps: int) -> float:
    """Seconds per step of the chapter's 6-run stacked training (3 seeds x 2 models)."""
    cfgs = [chapter_config(beta, seed, steps, 2e-4) for beta in (0.0, 1.0) for seed in (0, 1, 2)]
    run = gan.train_image_gans(stacked_train, cfgs)[0]
    per_step = run.seconds / steps
    print(f"6-run stacked training: {steps} steps in {run.seconds:.1f} s = {per_step:.3f} s/step; "
          + ", ".join(f"{n} steps ~{n * per_step / 60:.0f} min" for n in
                      (600, 1000, 1500, 2000)), flush=True)
    return per_step


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lrs", type=float, nargs="+", default=[2e-4, 5e-4])
    parser.add_argument("--steps", type=int, nargs="+", default=[300, 600, 1000, 1500, 2000])
    parser.add_argument("--time-steps", type=int, default=10)
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores, "
          f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS')}", flush=True)
    judge, stacked_train, real = build_judge()
    if args.time_steps > 0:
        time_six(stacked_train, args.time_steps)
    for lr in args.lrs:
        probe(stacked_train, judge, real, lr, sorted(args.steps))


if __name__ == "__main__":
    main()
