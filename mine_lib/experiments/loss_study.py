"""The loss study: training objectives x correlations x batch sizes x seeds on correlated
Gaussians, each critic trained for a fixed number of steps and read out with its
``estimate`` (the DV bound for every DV-family loss) on held-out samples.

``run_study`` returns a tidy table, one row per run, and the validation curves;
``summarise`` and ``compare`` turn the table into the chapter's summaries and verdicts.
Every critic is also read out with the DV bound on the same test rows (``mi_dv``), whatever
it was trained with, so that the losses are compared with one ruler; MINE-f keeps its own
f-divergence readout (``mi``) beside it. ``compare`` pairs each loss with the baseline
within each (rho, batch size) cell, over seeds, and never pools one standard error over
cells whose errors differ in size.
A run that diverges (``DivergenceError``) is recorded as diverged, never raised.

Layer: the book's experiments. May import the library and other experiment modules;
the library never imports this one.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
import torch
from scipy import stats

from .. import bounds
from ..errors import DivergenceError, InputError
from ..estimator import TrainConfig, held_out_estimate, split_rows, standardize, train_critic
from ..objectives import LOSSES, Objective, make_loss
from ..tasks import gaussian_task
from .sweeps import held_out_rows

# the paper's three losses first, then the report's six, then the corrected version
STUDY_LOSSES = ("dv", "mine", "mine-f", "eam", "softplus", "clipped", "lse", "lse-corrected",
                "regularised", "noise")
BASELINES = ("dv", "mine", "mine-f")
COLLAPSE = 1.0  # nats: a run "collapsed" when it ended this far below its best validation value


@dataclass
class StudyConfig:
    """Sizes of the study; a profile changes these, never the code path."""

    losses: tuple[str, ...] = STUDY_LOSSES
    rhos: tuple[float, ...] = (0.1, 0.5, 0.9, 0.99)
    batch_sizes: tuple[int, ...] = (64, 256)
    seeds: tuple[int, ...] = (0, 1)
    dim: int = 3
    n_samples: int = 10_000  # per run: train / validation / test split by the trainer
    steps: int = 600  # fixed: no early stopping, every loss gets the same budget
    eval_every: int = 25
    hidden: tuple[int, ...] = (64, 64)
    lr: float = 3e-3
    tolerance: float = 0.1  # nats: "within tolerance of the truth"
    window: int = 50  # steps in the running mean of the training curve
    n_eval: int = 4096  # fresh pairs for the loss's own value and the critic's offset

    def check(self) -> None:
        unknown = [name for name in self.losses if name not in LOSSES]
        if unknown:
            raise InputError(f"unknown loss(es) {unknown}; choose from {sorted(LOSSES)}")
        if not (self.losses and self.rhos and self.batch_sizes and self.seeds):
            raise InputError("losses, rhos, batch_sizes and seeds must all be non-empty")
        for name in ("steps", "eval_every", "window", "n_eval", "dim"):
            if int(getattr(self, name)) < 1:
                raise InputError(f"{name} must be a positive integer, got {getattr(self, name)!r}")
        if self.tolerance <= 0:
            raise InputError(f"tolerance must be positive, got {self.tolerance!r}")


# ---------------------------------------------------------------- curves

def first_within(steps, values, target: float, tolerance: float) -> float:
    """The first step whose value lies within ``tolerance`` of ``target``; NaN if none."""
    values = np.asarray(values, dtype=float)
    hits = np.nonzero(np.abs(values - target) <= tolerance)[0]
    return float(np.asarray(steps)[hits[0]]) if hits.size else math.nan


def jitter(values) -> float:
    """Mean absolute change between consecutive values over the second half of a curve."""
    values = np.asarray(values, dtype=float)
    half = values[values.size // 2:]
    return float(np.abs(np.diff(half)).mean()) if half.size > 1 else math.nan


def running_mean(values, window: int) -> np.ndarray:
    """Mean of the last ``window`` values at each step (fewer at the start)."""
    values = np.asarray(values, dtype=float)
    if values.size == 0:
        return values
    sums = np.cumsum(np.insert(values, 0, 0.0))
    ends = np.arange(1, values.size + 1)
    starts = np.maximum(ends - window, 0)
    return (sums[ends] - sums[starts]) / (ends - starts)


# ---------------------------------------------------------------- one run

@torch.no_grad()
def fresh_readouts(critic, objective: Objective, x_train, z_train, x_new, z_new,
                   batch_size: int, seed: int) -> dict:
    """On pairs the critic never saw, in blocks of the training batch size: the DV bound, the
    loss's own formula (``written_value``, NaN if it has none) and the offset log E_Q[e^T]."""
    x_new = torch.as_tensor(standardize(x_new, x_train), dtype=torch.float32)
    z_new = torch.as_tensor(standardize(z_new, z_train), dtype=torch.float32)
    gen = torch.Generator().manual_seed(seed)
    device = next(critic.parameters()).device
    written = getattr(objective, "written_value", None)
    dv, own, marg = [], [], []
    critic.eval()
    for start in range(0, x_new.shape[0] - batch_size + 1, batch_size):
        xb = x_new[start:start + batch_size].to(device)
        zb = z_new[start:start + batch_size].to(device)
        perm = torch.randperm(batch_size, generator=gen).to(device)
        t_joint, t_marg = critic(xb, zb), critic(xb, zb[perm])
        dv.append(float(bounds.dv_bound(t_joint, t_marg)))
        own.append(float(written(t_joint, t_marg)) if written else math.nan)
        marg.append(t_marg)
    critic.train()
    offset = float(bounds.log_mean_exp(torch.cat(marg))) if marg else math.nan
    return {"dv_fresh": float(np.mean(dv)) if dv else math.nan,
            "own": float(np.mean(own)) if own else math.nan, "offset": offset}


def dv_readout(critic, x, z, train_cfg: TrainConfig) -> float:
    """The DV bound of a trained critic on the trainer's own test rows and shuffles.

    For every DV-family loss this is the trainer's estimate itself; for MINE-f it is the
    DV reading of the same critic, which can only be higher than its f-divergence reading
    (``log a <= a / e``), so every loss is measured with one bound.
    """
    train_idx = split_rows(x.shape[0], train_cfg, np.random.default_rng(train_cfg.seed))[0]
    test_idx, perms = held_out_rows(x.shape[0], train_cfg)
    device = next(critic.parameters()).device

    def tensor(a):
        return torch.as_tensor(standardize(a, a[train_idx])[test_idx], dtype=torch.float32,
                               device=device)

    return held_out_estimate(critic, make_loss("dv"), tensor(x), tensor(z),
                             [torch.as_tensor(p, device=device) for p in perms],
                             min(train_cfg.batch_size, len(train_idx)))


def run_one(loss: str, rho: float, batch_size: int, seed: int,
            cfg: StudyConfig) -> tuple[dict, list]:
    """Train one critic; return its table row and its validation curve (rows)."""
    task = gaussian_task(cfg.dim, rho)
    x, z = task.sample(cfg.n_samples, seed=seed)
    train_cfg = TrainConfig(loss=loss, hidden=tuple(cfg.hidden), batch_size=batch_size, lr=cfg.lr,
                            max_steps=cfg.steps, eval_every=cfg.eval_every, early_stopping=False,
                            seed=seed, device="cpu")
    objective = make_loss(loss)
    row = {"loss": loss, "rho": rho, "batch_size": batch_size, "seed": seed,
           "true_mi": task.true_mi, "mi": math.nan, "error": math.nan,
           "mi_dv": math.nan, "error_dv": math.nan, "val_best": math.nan,
           "val_last": math.nan, "val_jitter": math.nan,
           "dv_fresh": math.nan, "own": math.nan, "offset": math.nan,
           "steps_val": math.nan, "steps_train": math.nan, "best_step": math.nan,
           "diverged": False, "seconds": math.nan, "message": ""}
    start = time.perf_counter()
    try:
        result = train_critic(x, z, train_cfg, objective)
    except DivergenceError as err:
        row.update(diverged=True, seconds=time.perf_counter() - start, message=str(err))
        return row, []
    hist = result.history
    train_idx = split_rows(x.shape[0], train_cfg, np.random.default_rng(seed))[0]
    x_new, z_new = task.sample(cfg.n_eval, seed=10_000 + seed)
    row.update(fresh_readouts(result.critic, objective, x[train_idx], z[train_idx],
                              x_new, z_new, batch_size, seed))
    train_curve = running_mean(hist["train_estimate"], cfg.window)
    mi_dv = dv_readout(result.critic, x, z, train_cfg)
    row.update(
        mi=result.mi, error=result.mi - task.true_mi, mi_dv=mi_dv, error_dv=mi_dv - task.true_mi,
        val_best=float(np.max(hist["val_estimate"])),
        val_last=float(hist["val_estimate"][-1]), val_jitter=jitter(hist["val_estimate"]),
        steps_val=first_within(hist["val_step"], hist["val_estimate"], task.true_mi, cfg.tolerance),
        steps_train=first_within(np.arange(1, train_curve.size + 1), train_curve,
                                 task.true_mi, cfg.tolerance),
        best_step=result.best_step, seconds=result.seconds,
    )
    curve = [{"loss": loss, "rho": rho, "batch_size": batch_size, "seed": seed, "step": int(s),
              "val_estimate": float(v)} for s, v in zip(hist["val_step"], hist["val_estimate"])]
    return row, curve


# ---------------------------------------------------------------- the grid

@dataclass
class StudyResult:
    runs: pd.DataFrame  # one row per (loss, rho, batch size, seed)
    curves: pd.DataFrame  # validation curves, one row per evaluation
    config: dict
    seconds: float


def run_study(cfg: StudyConfig | None = None, progress: bool = False) -> StudyResult:
    """Every loss x rho x batch size x seed; the same data and seed for every loss."""
    cfg = cfg or StudyConfig()
    cfg.check()
    rows, curves = [], []
    start = time.perf_counter()
    grid = [(r, b, s, loss) for r in cfg.rhos for b in cfg.batch_sizes for s in cfg.seeds
            for loss in cfg.losses]
    for i, (rho, batch, seed, loss) in enumerate(grid, 1):
        row, curve = run_one(loss, rho, batch, seed, cfg)
        rows.append(row)
        curves.extend(curve)
        if progress:
            print(f"[{i}/{len(grid)}] {loss:>13} rho={rho:<5g} batch={batch:<4d} seed={seed} "
                  f"mi={row['mi']:.3f} (true {row['true_mi']:.3f}) {row['seconds']:.1f}s")
    return StudyResult(runs=pd.DataFrame(rows), curves=pd.DataFrame(curves), config=asdict(cfg),
                       seconds=time.perf_counter() - start)


# ---------------------------------------------------------------- summaries

def summarise(runs: pd.DataFrame) -> pd.DataFrame:
    """Per loss, rho and batch size: bias and sd of the final estimate (diverged runs left
    out; ``bias`` with the loss's own readout, ``bias_dv`` with the DV readout; ``sd`` is NaN
    with fewer than two runs), median steps to come within tolerance (inf: never), runs
    reaching it, divergences, and the mean gap between the loss's own formula and DV on the
    same critic and pairs."""
    keys = ["loss", "rho", "batch_size"]
    rows = []
    for values, g in runs.groupby(keys, sort=False):
        ok = g[~g["diverged"]]
        steps = ok["steps_val"].fillna(math.inf).to_numpy()
        rows.append({
            **dict(zip(keys, values)),
            "true_mi": float(g["true_mi"].iloc[0]),
            "bias": float(ok["error"].mean()),
            "bias_dv": float(ok["error_dv"].mean()),
            "sd": float(ok["mi"].std(ddof=1)) if len(ok) > 1 else math.nan,
            "n_ok": len(ok),
            "mae": float(ok["error"].abs().mean()),
            "val_last": float(ok["val_last"].mean()),
            "jitter": float(ok["val_jitter"].mean()),
            "collapsed": int((ok["val_best"] - ok["val_last"] > COLLAPSE).sum()),
            "steps_val_median": float(np.median(steps)) if len(steps) else math.nan,
            "reached": int(np.isfinite(steps).sum()),
            "diverged": int(g["diverged"].sum()),
            "runs": len(g),
            "own_minus_dv": float((ok["own"] - ok["dv_fresh"]).mean()),
            "offset": float(ok["offset"].mean()),
            "seconds": float(g["seconds"].mean()),
        })
    return pd.DataFrame(rows)


CELL = ["rho", "batch_size"]


def paired_cells(runs: pd.DataFrame, loss: str, baseline: str = "dv", value: str = "mi_dv",
                 absolute_error: bool = True) -> pd.DataFrame:
    """``loss`` against ``baseline`` within each (rho, batch size) cell, paired by seed.

    One row per cell: ``n`` (seeds where neither diverged), the mean and sd over seeds of the
    paired difference (loss minus baseline) of the absolute error |value - truth| (or of
    ``value`` itself with ``absolute_error=False``, e.g. for the jitter), and ``max_gap``,
    the largest |difference of the two values|.
    """
    keys = CELL + ["seed"]

    def side(name):
        part = runs[(runs["loss"] == name) & ~runs["diverged"]].set_index(keys)
        measure = (part[value] - part["true_mi"]).abs() if absolute_error else part[value]
        return part[value], measure

    (va, ea), (vb, eb) = side(loss), side(baseline)
    common = ea.index.intersection(eb.index)
    pairs = pd.DataFrame({"diff": ea[common] - eb[common],
                          "gap": (va[common] - vb[common]).abs()}, index=common).reset_index()
    if pairs.empty:
        return pd.DataFrame(columns=CELL + ["n", "mean", "sd", "max_gap"])
    return (pairs.groupby(CELL, sort=True)
            .agg(n=("diff", "size"), mean=("diff", "mean"), sd=("diff", "std"),
                 max_gap=("gap", "max"))
            .reset_index())


def stratified_difference(cells: pd.DataFrame, level: float = 0.95) -> dict:
    """The mean over cells of the per-cell paired mean differences, with a t interval whose
    standard error comes from the seed-to-seed spread within each cell only (so a cell with
    large errors does not lend its spread to the others, and the spread between cells, which
    is the effect of rho and batch size, is not counted as noise).

    ``se`` and the interval are NaN when any cell has fewer than two paired seeds.
    """
    k = len(cells)
    if k == 0:
        return {"mean": math.nan, "se": math.nan, "low": math.nan, "high": math.nan, "df": 0,
                "cells": 0, "min_seeds": 0}
    mean = float(cells["mean"].mean())
    min_seeds = int(cells["n"].min())
    if min_seeds < 2:
        return {"mean": mean, "se": math.nan, "low": math.nan, "high": math.nan, "df": 0,
                "cells": k, "min_seeds": min_seeds}
    se = float(math.sqrt((cells["sd"] ** 2 / cells["n"]).sum()) / k)
    df = int((cells["n"] - 1).sum())
    half = float(stats.t.ppf(0.5 + level / 2, df)) * se
    return {"mean": mean, "se": se, "low": mean - half, "high": mean + half, "df": df,
            "cells": k, "min_seeds": min_seeds}


def compare(runs: pd.DataFrame, baseline: str = "dv", margin: float = 0.1,
            same_within: float = 0.01, value: str = "mi_dv", level: float = 0.95) -> pd.DataFrame:
    """Per loss, against ``baseline`` on the same data and seeds (diverged runs left out),
    every critic read with ``value`` (default: the DV readout, one bound for every loss).

    The difference of absolute errors (loss minus baseline; negative = closer to the truth)
    is paired by seed within each (rho, batch size) cell (``paired_cells``) and summarised
    over cells by ``stratified_difference``: ``diff_vs_baseline`` with ``diff_low`` and
    ``diff_high`` (a ``level`` t interval; NaN with one seed). ``max_gap``: the largest
    difference between the two estimates. jitter_ratio: the mean jitter of its validation
    curves over the baseline's (below 1 = smoother); jitter_diff, jitter_low, jitter_high:
    the same stratified paired difference for the jitter itself. vs_baseline: "same" when every estimate
    is within ``same_within`` nats of the baseline's; else "better" / "worse" when the
    interval excludes zero; "no clear difference" when it does not; "one seed, no spread"
    without an interval. usable: nothing diverged and the upper end of the interval (the
    point estimate with one seed) is at most ``margin`` nats worse than the baseline.
    """
    keys = ["rho", "batch_size", "seed"]
    base = runs[(runs["loss"] == baseline) & ~runs["diverged"]].set_index(keys)
    rows = []
    for loss, g in runs.groupby("loss", sort=False):
        ok = g[~g["diverged"]].set_index(keys)
        common = ok.index.intersection(base.index)
        cells = paired_cells(runs, loss, baseline, value)
        d = stratified_difference(cells, level)
        j = stratified_difference(paired_cells(runs, loss, baseline, "val_jitter", False), level)
        max_gap = float(cells["max_gap"].max()) if len(cells) else math.nan
        base_jitter = float(base.loc[common, "val_jitter"].mean()) if len(common) else math.nan
        if loss == baseline:
            vs = "baseline"
        elif not len(cells):
            vs = "no comparable runs"
        elif max_gap <= same_within:
            vs = "same"
        elif not math.isfinite(d["se"]):
            vs = "one seed, no spread"
        elif d["high"] < 0:
            vs = "better"
        elif d["low"] > 0:
            vs = "worse"
        else:
            vs = "no clear difference"
        worst_case = d["high"] if math.isfinite(d["high"]) else d["mean"]
        diverged = int(g["diverged"].sum())
        rows.append({
            "loss": loss, "runs": len(g), "diverged": diverged,
            "mae": float(ok[value].sub(ok["true_mi"]).abs().mean()) if len(ok) else math.nan,
            "diff_vs_baseline": d["mean"], "diff_se": d["se"], "diff_low": d["low"],
            "diff_high": d["high"], "diff_df": d["df"], "cells": d["cells"],
            "seeds_per_cell": d["min_seeds"],
            "max_gap": max_gap, "vs_baseline": vs,
            "jitter_ratio": float(ok.loc[common, "val_jitter"].mean()) / base_jitter
            if len(common) and base_jitter > 0 else math.nan,
            "jitter_diff": j["mean"], "jitter_low": j["low"], "jitter_high": j["high"],
            "collapsed": int((ok["val_best"] - ok["val_last"] > COLLAPSE).sum()),
            "reached_fraction": float(np.isfinite(ok["steps_val"]).mean()) if len(ok) else 0.0,
            "seconds": float(g["seconds"].mean()),
            "usable": bool(diverged == 0 and len(cells) > 0 and worst_case <= margin),
        })
    return pd.DataFrame(rows)
