"""The loss study: training objectives x correlations x batch sizes x seeds on correlated
Gaussians, each critic trained for a fixed number of steps and read out with its
``estimate`` (the DV bound for every DV-family loss) on held-out samples.

``run_study`` returns a tidy table, one row per run, and the validation curves;
``summarise`` and ``compare`` turn the table into the chapter's summaries and verdicts.
Every critic is also read out with the DV bound on the same test rows (``mi_dv``), whatever
it was trained with, so that the losses are compared with one ruler; MINE-f keeps its own
f-divergence readout (``mi``) beside it. ``compare`` pairs each loss with the baseline
within each (rho, batch size) cell, over seeds, and decides with ``evidence.difference``
(Holm-corrected over the cells); it never pools one standard error over cells whose errors
differ in size.
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

from .. import bounds
from ..errors import DivergenceError, InputError
from ..estimator import TrainConfig, held_out_estimate, split_rows, standardize, train_critic
from ..objectives import LOSSES, Objective, make_loss
from ..tasks import gaussian_task
from . import evidence
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


def cell_decisions(runs: pd.DataFrame, loss: str, baseline: str = "dv", value: str = "mi_dv",
                   absolute_error: bool = True, what: str = "|error|",
                   level: float = 0.95) -> list[tuple[float, int, evidence.Decision]]:
    """One ``evidence.difference`` per (rho, batch size) cell, paired by seed, Holm-corrected
    over the cells: [(rho, batch_size, decision), ...]. Lower is better (an error, a jitter).
    """
    keys = CELL + ["seed"]

    def side(name):
        part = runs[(runs["loss"] == name) & ~runs["diverged"]].set_index(keys)
        return (part[value] - part["true_mi"]).abs() if absolute_error else part[value]

    a, b = side(loss), side(baseline)
    common = a.index.intersection(b.index).sort_values()
    out = []
    for (rho, batch), _ in pd.Series(0, index=common).groupby(level=CELL, sort=True):
        idx = [i for i in common if i[0] == rho and i[1] == batch]
        out.append((rho, batch, evidence.difference(
            a[idx].to_numpy(), b[idx].to_numpy(), paired=True, names=(loss, baseline),
            what=f"{what} at rho = {rho:g}, batch {batch}", unit="nats", level=level,
            higher_is_better=False)))
    corrected = evidence.holm([d for _, _, d in out], level)
    return [(r, bs, d) for (r, bs, _), d in zip(out, corrected)]


def cell_counts(decisions) -> dict:
    """How many cells say lower, higher, no difference shown, one seed / NaN."""
    ds = [d for _, _, d in decisions]
    return {"cells": len(ds),
            "lower": sum(d.status == "measured" and d.estimate < 0 for d in ds),
            "higher": sum(d.status == "measured" and d.estimate > 0 for d in ds),
            "open": sum(d.status in ("no effect shown", "underpowered") for d in ds),
            "no_spread": sum(d.status in ("one seed, no spread", "nan") for d in ds),
            "min_pairs": min((d.n for d in ds), default=0)}


def counts_word(c: dict, lower: str, higher: str) -> str:
    """One word for a loss from its cell counts."""
    if c["cells"] == 0:
        return "not tested"
    if c["no_spread"] == c["cells"]:
        return "one seed, no spread"
    if c["lower"] and c["higher"]:
        return "mixed"
    if c["lower"]:
        return lower
    if c["higher"]:
        return higher
    return "no difference shown"


def compare(runs: pd.DataFrame, baseline: str = "dv", margin: float = 0.1,
            same_within: float = 0.01, value: str = "mi_dv", level: float = 0.95) -> pd.DataFrame:
    """Per loss, against ``baseline`` on the same data and seeds (diverged runs left out),
    every critic read with ``value`` (default: the DV readout, one bound for every loss).

    The absolute errors are compared cell by cell ((rho, batch size)), paired by seed, with
    ``evidence.difference`` and Holm's correction over the cells (``cell_decisions``); the
    same for the jitter of the validation curve. Columns: ``diff_vs_baseline``, the mean over
    cells of the per-cell mean difference of |error| (negative = closer to the truth);
    ``cells``, ``cells_better``, ``cells_worse``, ``cells_open`` (no difference shown),
    ``pairs_per_cell``; ``vs_baseline``: "same" when every estimate is within
    ``same_within`` nats of the baseline's, else "better" / "worse" / "mixed" from the cells
    where the interval excludes zero, "no difference shown", or "one seed, no spread";
    ``jitter_vs_baseline`` likewise with "smoother" / "rougher"; ``max_gap``, the largest
    difference between two paired estimates; ``usable``: nothing diverged, no cell measured
    worse, and ``diff_vs_baseline`` at most ``margin`` nats.
    """
    keys = ["rho", "batch_size", "seed"]
    base = runs[(runs["loss"] == baseline) & ~runs["diverged"]].set_index(keys)
    rows = []
    for loss, g in runs.groupby("loss", sort=False):
        ok = g[~g["diverged"]].set_index(keys)
        common = ok.index.intersection(base.index)
        gap = (ok.loc[common, value] - base.loc[common, value]).abs()
        max_gap = float(gap.max()) if len(gap) else math.nan
        diffs = ((ok.loc[common, value] - ok.loc[common, "true_mi"]).abs()
                 - (base.loc[common, value] - base.loc[common, "true_mi"]).abs())
        mean_diff = float(diffs.groupby(level=CELL).mean().mean()) if len(diffs) else math.nan
        if loss == baseline:
            c = j = {"cells": 0, "lower": 0, "higher": 0, "open": 0, "no_spread": 0, "min_pairs": 0}
            vs = jit = "baseline"
        else:
            c = cell_counts(cell_decisions(runs, loss, baseline, value, level=level))
            j = cell_counts(cell_decisions(runs, loss, baseline, "val_jitter", False,
                                           "validation jitter", level))
            if not len(common):
                vs = "no comparable runs"
            elif max_gap <= same_within:
                vs = "same"
            else:
                vs = counts_word(c, "better", "worse")
            jit = "same" if vs == "same" else counts_word(j, "smoother", "rougher")
        base_jitter = float(base.loc[common, "val_jitter"].mean()) if len(common) else math.nan
        diverged = int(g["diverged"].sum())
        rows.append({
            "loss": loss, "runs": len(g), "diverged": diverged,
            "mae": float(ok[value].sub(ok["true_mi"]).abs().mean()) if len(ok) else math.nan,
            "diff_vs_baseline": mean_diff, "cells": c["cells"], "cells_better": c["lower"],
            "cells_worse": c["higher"], "cells_open": c["open"], "pairs_per_cell": c["min_pairs"],
            "max_gap": max_gap, "vs_baseline": vs,
            "jitter_ratio": float(ok.loc[common, "val_jitter"].mean()) / base_jitter
            if len(common) and base_jitter > 0 else math.nan,
            "jitter_vs_baseline": jit, "cells_smoother": j["lower"], "cells_rougher": j["higher"],
            "collapsed": int((ok["val_best"] - ok["val_last"] > COLLAPSE).sum()),
            "reached_fraction": float(np.isfinite(ok["steps_val"]).mean()) if len(ok) else 0.0,
            "seconds": float(g["seconds"].mean()),
            "usable": bool(diverged == 0 and len(common) > 0 and c["higher"] == 0
                           and mean_diff <= margin),
        })
    return pd.DataFrame(rows)


# ---------------------------------------------------------------- the report's claims

# compare()'s words -> the scorecard's kind and the reason
ACCURACY = {"better": ("agrees", "measured"), "worse": ("disagrees", "measured"),
            "mixed": ("inconclusive", "mixed"), "no difference shown": ("not measurable", "underpowered"),
            "one seed, no spread": ("not measurable", "one seed, no spread"),
            "same": ("disagrees", "same estimates as the baseline")}
SMOOTHNESS = {"smoother": ("agrees", "measured"), "rougher": ("disagrees", "measured"),
              "mixed": ("inconclusive", "mixed"), "no difference shown": ("not measurable", "underpowered"),
              "one seed, no spread": ("not measurable", "one seed, no spread"),
              "same": ("disagrees", "same training as the baseline")}


def accuracy_text(row) -> str:
    """One sentence on ``row`` (a row of ``compare``) against the baseline, by cells."""
    if row["vs_baseline"] == "same":
        return f"same estimates as DV (largest gap {row['max_gap']:.4f} nats)"
    if row["vs_baseline"] == "one seed, no spread":
        return (f"one seed per cell, no spread: mean Δ|error| {row['diff_vs_baseline']:+.3f} nats "
                f"against DV, no verdict")
    text = (f"closer to the truth than DV in {row['cells_better']} of {row['cells']} cells, further in "
            f"{row['cells_worse']}, no difference shown in {row['cells_open']} (mean Δ|error| "
            f"{row['diff_vs_baseline']:+.3f} nats, {row['pairs_per_cell']} seeds per cell)")
    if row["cells_open"] and row["pairs_per_cell"] <= 2:
        text += f"; {row['pairs_per_cell']} seeds per cell are too few to call an open cell no effect"
    return text


def smoothness_text(row) -> str:
    """One sentence on the jitter of ``row``'s validation curves against the baseline's."""
    if row["jitter_vs_baseline"] == "same":
        return "trains exactly like DV"
    if row["jitter_vs_baseline"] == "one seed, no spread":
        return f"jitter × {row['jitter_ratio']:.2f} of DV's from one seed per cell, no verdict"
    return (f"smoother than DV in {row['cells_smoother']} of {row['cells']} cells, rougher in "
            f"{row['cells_rougher']} (jitter × {row['jitter_ratio']:.2f} of DV's on average)")


def stability_decision(row, base_row) -> evidence.Decision:
    """Fewer divergences and collapses than the baseline? Not measurable when the baseline
    never failed: there was no instability to remove."""
    fails, base_fails = int(row["diverged"] + row["collapsed"]), int(base_row["diverged"] + base_row["collapsed"])
    text = (f"{int(row['diverged'])}/{int(row['runs'])} runs diverged and {int(row['collapsed'])} collapsed "
            f"(DV: {int(base_row['diverged'])} and {int(base_row['collapsed'])})")
    if base_fails == 0:
        return evidence.Decision("not measurable", "the baseline never failed",
                                 f"{text}: DV never failed in this run, so there was no instability to "
                                 f"remove.", float(fails), n=int(row["runs"]))
    kind = "agrees" if fails < base_fails else "disagrees"
    return evidence.Decision(kind, "counts", f"{text}.", float(fails), n=int(row["runs"]))


def report_claim(row, base_row, aspect: str) -> evidence.Decision:
    """The decision on one of the report's claims about a loss: ``aspect`` is "accuracy"
    (closer to the truth than DV), "smoothness" (smoother validation curves) or "stability"
    (fewer divergences and collapses). ``row`` and ``base_row`` are rows of ``compare``."""
    if aspect == "stability":
        return stability_decision(row, base_row)
    if aspect == "accuracy":
        kind, status = ACCURACY.get(row["vs_baseline"], ("not tested", "not tested in this run"))
        text = accuracy_text(row)
    elif aspect == "smoothness":
        kind, status = SMOOTHNESS.get(row["jitter_vs_baseline"], ("not tested", "not tested in this run"))
        text = smoothness_text(row)
    else:
        raise InputError(f"aspect must be accuracy, smoothness or stability, got {aspect!r}")
    name = row["loss"] if "loss" in row.index else row.name
    return evidence.Decision(kind, status, f"{name}: {text}.", float(row["diff_vs_baseline"]),
                             n=int(row["pairs_per_cell"]))
