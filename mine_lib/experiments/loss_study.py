"""The loss study: training objectives x correlations x batch sizes x seeds on correlated
Gaussians, each critic trained for a fixed number of steps and read out with its
``estimate`` (the DV bound for every DV-family loss) on held-out samples.

``run_study`` returns a tidy table, one row per run, and the validation curves;
``cell_summary`` and ``compare`` turn the table into the chapter's summaries and verdicts.
Every critic is also read out with the DV bound on the same test rows (``mi_dv``), whatever
it was trained with, so that the losses are compared with one ruler; MINE-f keeps its own
f-divergence readout (``mi``) beside it. The unit of replication is the seed: the (rho,
batch size) cells of one seed are blocks within it, so every interval over the study is
taken over per-seed means over the cells (``seed_means``, ``seed_difference``,
``seed_tracks_truth``), n = seeds, never over the runs. ``compare`` decides each loss
against the baseline with ``evidence.difference`` on those means, the chapter's tolerance as
the smallest effect of interest, Holm-corrected over the losses; its words and the
report's claims follow each decision's own kind.
A run that diverges (``DivergenceError``) is recorded as diverged, never raised.

Layer: the book's experiments. May import the library and other experiment modules;
the library never imports this one.
"""

from __future__ import annotations

import dataclasses
import math
import time
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
import torch

from .. import bounds
from ..errors import DivergenceError, InputError
from ..estimator import TrainConfig, held_out_estimate, split_rows, train_critic
from ..objectives import LOSSES, Objective, make_loss
from ..tasks import gaussian_task
from ..utils import standardize_columns
from . import evidence
from .evidence import Direction, Kind, Size
from .sweeps import held_out_rows

# the paper's three losses first, then the report's six, then the corrected version
STUDY_LOSSES = ("dv", "mine", "mine-f", "eam", "softplus", "clipped", "lse", "lse-corrected",
                "regularised", "noise")
BASELINES = ("dv", "mine", "mine-f")
# losses whose gradient is, by construction, that of another: (twin, original)
TWINS = (("eam", "mine"), ("noise", "dv"), ("lse-corrected", "dv"))
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
    x_new = torch.as_tensor(standardize_columns(x_new, x_train), dtype=torch.float32)
    z_new = torch.as_tensor(standardize_columns(z_new, z_train), dtype=torch.float32)
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
        return torch.as_tensor(standardize_columns(a, a[train_idx])[test_idx], dtype=torch.float32,
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

def cell_summary(runs: pd.DataFrame) -> pd.DataFrame:
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
            "lower": sum(d.measured and d.estimate < 0 for d in ds),
            "higher": sum(d.measured and d.estimate > 0 for d in ds),
            "open": sum(d.status in ("no effect shown", "underpowered", "untestable") for d in ds),
            "no_spread": sum(d.status in ("one seed, no spread", "nan") for d in ds),
            "min_pairs": min((d.n for d in ds), default=0)}


# ---------------------------------------------------------------- replication: the seed

def _side(runs: pd.DataFrame, name: str, value: str, absolute_error: bool) -> pd.Series:
    """One loss's runs (diverged ones left out) indexed by (rho, batch size, seed):
    |value - truth|, or ``value`` itself with ``absolute_error=False``."""
    part = runs[(runs["loss"] == name) & ~runs["diverged"]].set_index(CELL + ["seed"])
    return (part[value] - part["true_mi"]).abs() if absolute_error else part[value]


def seed_means(values) -> tuple[pd.DataFrame, int]:
    """Each seed's mean over the (rho, batch size) cells, and the number of cells averaged.

    The seed is the unit of replication: the cells of one seed are blocks within it, not
    replicates, so an interval is taken over these per-seed means (n = seeds), never over
    the runs. ``values`` (a Series or a frame of columns) is indexed by (rho, batch_size,
    seed); only the cells that every seed has are averaged, so every seed's mean is over the
    same cells. Returns a frame indexed by seed (a column per input column) and the count."""
    frame = values.to_frame() if isinstance(values, pd.Series) else values
    frame = frame.dropna()
    if frame.empty:
        return pd.DataFrame(columns=frame.columns), 0
    wide = frame.unstack("seed").dropna()  # rows: cells; columns: (column, seed)
    if wide.empty:
        return pd.DataFrame(columns=frame.columns), 0
    means = wide.mean(axis=0).unstack(0)  # rows: seeds; columns: the input columns
    return means[list(frame.columns)], len(wide)


def seed_difference(runs: pd.DataFrame, loss: str, baseline: str = "dv", value: str = "mi_dv",
                    absolute_error: bool = True, *, what: str = "|error|",
                    names: tuple[str, str] | None = None, expected: str | None = "a<b",
                    smallest_effect: float | None = None,
                    level: float = 0.95) -> tuple[evidence.Decision, int]:
    """``loss`` minus ``baseline`` (lower is better), paired by seed: each seed's mean over
    the cells both have for every seed, then ``evidence.difference`` over the seeds.
    Returns the decision (not Holm-corrected) and the number of cells in each seed's mean."""
    both = pd.concat({"a": _side(runs, loss, value, absolute_error),
                      "b": _side(runs, baseline, value, absolute_error)}, axis=1)
    means, cells = seed_means(both)
    a = means["a"].to_numpy() if cells else np.array([])
    b = means["b"].to_numpy() if cells else np.array([])
    d = evidence.difference(a, b, paired=True, names=names or (loss, baseline),
                            what=f"{what} (each seed the mean over {cells} cells)", unit="nats",
                            level=level, higher_is_better=False, expected=expected,
                            smallest_effect=smallest_effect)
    return d, cells


def seed_tracks_truth(rows: pd.DataFrame, column: str, target: float, tol: float, *,
                      what: str) -> evidence.Decision:
    """``evidence.tracks_truth`` of ``column`` of one loss's ``rows`` (columns rho,
    batch_size, seed) over the seeds, each seed's value the mean over the cells."""
    means, cells = seed_means(rows.set_index(CELL + ["seed"])[column])
    values = means[column].to_numpy() if cells else np.array([])
    n = len(values)
    return evidence.tracks_truth(values, target, tol, unit="nats",
                                 what=f"{what} ({n} seed{'s' * (n != 1)}, each the mean over "
                                      f"{cells} cells)")


def max_gap(runs: pd.DataFrame, a: str, b: str, value: str = "mi") -> float:
    """The largest |a - b| between two losses' estimates on the same data and seed."""
    pa, pb = _side(runs, a, value, False), _side(runs, b, value, False)
    common = pa.index.intersection(pb.index)
    return float((pa[common] - pb[common]).abs().max()) if len(common) else math.nan


def twin_text(runs: pd.DataFrame, a: str, b: str) -> str:
    """The largest gap between twin estimates, and what the cells say about it."""
    cells = cell_counts(cell_decisions(runs, a, b, "mi_dv", absolute_error=False,
                                       what="the estimate"))
    gap = max_gap(runs, a, b)
    if gap == 0.0:
        return "0 nats: identical estimates"
    if cells["no_spread"] == cells["cells"]:
        return f"{gap:.4f} nats (one seed per cell, no spread to judge it by)"
    shown = cells["lower"] + cells["higher"]
    return (f"{gap:.4f} nats; paired by seed within each cell, a difference is shown in "
            f"{shown} of {cells['cells']} cells (Holm-corrected)")


def twin_curves_text(curves: pd.DataFrame, pairs, rhos, tol: float) -> str:
    """Which twin pairs' mean validation curves (mean over seeds at each step, on the panels
    of ``rhos`` x every batch size) stay within ``tol`` nats of each other at every step."""
    part = curves[curves["rho"].isin(list(rhos))]
    mean = part.groupby(["loss", "rho", "batch_size", "step"])["val_estimate"].mean()
    within, apart = [], []
    for a, b in pairs:
        if a not in mean.index.get_level_values("loss") or \
                b not in mean.index.get_level_values("loss"):
            continue
        gap = float((mean.loc[a] - mean.loc[b]).abs().max())
        (within if gap <= tol else apart).append(f"{a} and {b} (largest gap {gap:.3f} nats)")
    if not within and not apart:
        return "No twin pair was trained in this run."
    text = []
    if within:
        text.append(f"the mean curves of {'; '.join(within)} stay within {tol:g} nats of each "
                    f"other at every evaluation, so they lie on top of each other")
    if apart:
        text.append(f"those of {'; '.join(apart)} do not")
    sentence = "; ".join(text)
    return f"In this run, on these panels, {sentence}."


# ---------------------------------------------------------------- the verdicts

def word(decision: evidence.Decision | None, lower: str, higher: str) -> str:
    """compare()'s word for a decision on "the loss is lower than the baseline", read from
    the decision's own kind and direction: ``lower`` (the claimed direction measured),
    ``higher`` (the opposite measured), "smaller effect" (the effect to detect ruled out, no
    direction measured), "no difference shown", or the non-verdict's status."""
    if decision is None:
        return "not tested in this run"
    if decision.status in ("one seed, no spread", "nan", "not tested in this run"):
        return decision.status
    if decision.kind == Kind.INCONCLUSIVE:
        return "inconclusive"
    if decision.direction == Direction.OPPOSITE or decision.kind == Kind.DISAGREES:
        return higher
    if decision.direction == Direction.PAPERS:
        return lower
    if decision.kind == Kind.SMALLER:
        return "smaller effect"
    return "no difference shown"


def _same(names, what: str, estimate: float, n: int, status: str, text: str,
          effect: float | None) -> evidence.Decision:
    """A loss that does exactly (within the stated bound) what the baseline does: whatever
    effect was claimed, it is smaller than the bound, so the effect is ruled out."""
    return evidence.Decision(Kind.SMALLER, status,
                             f"{names[0]} against {names[1]} ({what}): {text}.", estimate,
                             n=n, direction=Direction.NOT_MEASURED, size=Size.SMALLER,
                             effect=effect)


def compare(runs: pd.DataFrame, baseline: str = "dv", margin: float = 0.1,
            same_within: float = 0.01, value: str = "mi_dv", level: float = 0.95) -> pd.DataFrame:
    """Per loss, against ``baseline`` on the same data and seeds (diverged runs left out),
    every critic read with ``value`` (default: the DV readout, one bound for every loss).

    The claim tested is the report's: the loss is closer to the truth than the baseline
    (lower |error|; ``expected="a<b"``) and its validation curve is smoother (lower jitter).
    The unit of replication is the seed: the paired differences are averaged over the
    (rho, batch size) cells within each seed and the interval is taken over the seeds
    (``seed_difference``), Holm-corrected over the losses (``evidence.holm``: a family of
    two seeds is untestable). ``margin`` (nats) is the chapter's smallest effect of interest
    for accuracy: an interval that rules out a gain of ``margin`` is "smaller effect", and
    one inside +-``margin`` shows the loss within that margin of the baseline.
    ``accuracy`` / ``smoothness``: the Decisions; ``diff_vs_baseline`` their estimate,
    ``diff_low`` / ``diff_high`` the interval; ``cells``: cells in each seed's mean;
    ``seeds``: seeds paired. ``vs_baseline`` is ``word`` of the decision ("better",
    "worse", "smaller effect", "no difference shown", a non-verdict), or "same" when every
    estimate is within ``same_within`` nats of the baseline's (then the decision is
    "smaller effect": any gain is below ``same_within`` < ``margin``);
    ``jitter_vs_baseline`` likewise ("smoother", "rougher"; "same": identical jitter in
    every run). ``max_gap``: the largest difference between two paired estimates.
    ``usable``: nothing diverged, not measurably worse, ``diff_vs_baseline`` <= ``margin``.
    """
    if not same_within < margin:
        raise InputError(f"same_within ({same_within}) must be below margin ({margin})")
    keys = CELL + ["seed"]
    base = runs[(runs["loss"] == baseline) & ~runs["diverged"]].set_index(keys)
    losses = [loss for loss in runs["loss"].unique() if loss != baseline]
    shown = baseline.upper() if baseline in ("dv", "mine") else baseline
    gaps, jit_gaps, acc, jit = {}, {}, {}, {}
    for loss in losses:
        gaps[loss] = max_gap(runs, loss, baseline, value)
        jit_gaps[loss] = max_gap(runs, loss, baseline, "val_jitter")
        acc[loss] = seed_difference(runs, loss, baseline, value, True, what="|error|",
                                    names=(loss, shown), smallest_effect=margin, level=level)
        jit[loss] = seed_difference(runs, loss, baseline, "val_jitter", False,
                                    what="validation jitter", names=(loss, shown), level=level)
    same = {loss for loss in losses if gaps[loss] <= same_within}
    same_jit = {loss for loss in losses if jit_gaps[loss] == 0.0}
    acc_d = dict(zip([k for k in losses if k not in same],
                     evidence.holm([acc[k][0] for k in losses if k not in same], level)))
    jit_d = dict(zip([k for k in losses if k not in same_jit],
                     evidence.holm([jit[k][0] for k in losses if k not in same_jit], level)))
    for loss in same:
        d = acc[loss][0]
        acc_d[loss] = _same((loss, shown), "|error|", d.estimate, d.n,
                            "same estimates as the baseline",
                            f"every estimate lies within {gaps[loss]:.4f} nats of {shown}'s, so "
                            f"any gain is smaller than {margin:g} nats", -margin)
    for loss in same_jit:
        d = jit[loss][0]
        jit_d[loss] = _same((loss, shown), "validation jitter", d.estimate, d.n,
                            "same training as the baseline",
                            "the validation jitter is identical in every run", None)
    rows = []
    for loss, g in runs.groupby("loss", sort=False):
        ok = g[~g["diverged"]].set_index(keys)
        common = ok.index.intersection(base.index)
        base_jitter = float(base.loc[common, "val_jitter"].mean()) if len(common) else math.nan
        d, dj = acc_d.get(loss), jit_d.get(loss)
        if loss == baseline:
            vs = jw = "baseline"
        elif not len(common):
            vs = jw = "no comparable runs"
        else:
            vs = "same" if loss in same else word(d, "better", "worse")
            jw = "same" if loss in same_jit else word(dj, "smoother", "rougher")
        diverged = int(g["diverged"].sum())
        est = acc[loss][0].estimate if loss in acc else 0.0
        rows.append({
            "loss": loss, "runs": len(g), "diverged": diverged,
            "mae": float(ok[value].sub(ok["true_mi"]).abs().mean()) if len(ok) else math.nan,
            "diff_vs_baseline": est,
            "diff_low": d.ci[0] if d is not None and d.ci else math.nan,
            "diff_high": d.ci[1] if d is not None and d.ci else math.nan,
            "cells": acc[loss][1] if loss in acc else 0,
            "seeds": acc[loss][0].n if loss in acc else 0,
            "margin": margin,
            "accuracy": d, "smoothness": dj,
            "max_gap": gaps.get(loss, 0.0), "vs_baseline": vs,
            "jitter_ratio": float(ok.loc[common, "val_jitter"].mean()) / base_jitter
            if len(common) and base_jitter > 0 else math.nan,
            "jitter_vs_baseline": jw,
            "collapsed": int((ok["val_best"] - ok["val_last"] > COLLAPSE).sum()),
            "reached_fraction": float(np.isfinite(ok["steps_val"]).mean()) if len(ok) else 0.0,
            "seconds": float(g["seconds"].mean()),
            "usable": bool(diverged == 0 and len(common) > 0 and vs != "worse"
                           and math.isfinite(est) and est <= margin),
        })
    return pd.DataFrame(rows)


# ---------------------------------------------------------------- the report's claims

# the report's words for each loss, and the aspect of the run that tests them
REPORT_CLAIMS = {
    "eam": ("makes the optimization process smoother and reduces the sensitivity to the noise",
            "smoothness"),
    "softplus": ("avoids extreme values ..., improving numerical stability", "stability"),
    "clipped": ("addresses the magnitude of unstable gradients", "stability"),
    "lse": ("smooths the gradient, prevents overflow, prevents overfitting", "accuracy"),
    "regularised": ("improves the model's generalization", "accuracy"),
    "noise": ("robustness; explore different directions", "accuracy"),
}


def _inside(d: evidence.Decision | None, margin: float) -> bool:
    """The decision's whole interval lies inside +-margin."""
    return d is not None and d.ci is not None and -margin < d.ci[0] and d.ci[1] < margin


def interval_text(d: evidence.Decision, cells: int | None = None) -> str:
    """'+0.052 nats, 97.1% CI -0.187 to +0.292, 3 seeds, each the mean over 8 cells' (the
    level is Holm's where corrected); a decision without an interval says why."""
    per = f", each the mean over {cells} cells" if cells else ""
    seeds = f"{d.n} seed{'s' * (d.n != 1)}"
    if d.status == "untestable":
        return (f"{d.estimate:+.3f} nats from {seeds}{per}; no interval: untestable after "
                f"Holm's correction")
    if d.ci is None:
        if d.status == "one seed, no spread":
            return f"{d.estimate:+.3f} nats, one seed, no spread"
        return f"{d.estimate:+.3f} nats, {seeds}{per} ({d.status})"
    return (f"{d.estimate:+.3f} nats, {d.level:.1%} CI {d.ci[0]:+.3f} to {d.ci[1]:+.3f}, "
            f"{seeds}{per}")


def decision_word(row, aspect: str = "accuracy") -> str:
    """The table's word for ``row`` against the baseline, from its decision: better / worse
    (smoother / rougher), "better, by less than M nats", "within ±M nats of DV" (the whole
    interval inside the margin), "no gain of M nats" (a gain that large ruled out), "no
    difference shown (underpowered / untestable)", ..."""
    w = row["vs_baseline"] if aspect == "accuracy" else row["jitter_vs_baseline"]
    d, m = row[aspect], row["margin"]
    if d is None or w in ("same", "baseline"):
        return w
    if w == "better" and d.size == Size.SMALLER:
        return f"better, by less than {m:g} nats"
    if w == "smaller effect":
        return f"within ±{m:g} nats of DV" if _inside(d, m) else f"no gain of {m:g} nats"
    if w == "no difference shown" and d.status in ("underpowered", "untestable"):
        return f"no difference shown ({d.status})"
    return w


def _undecided_tail(d: evidence.Decision) -> str:
    if d.status == "untestable":
        return "; too few seeds to test it after Holm's correction"
    if d.status in ("underpowered", "no effect shown"):
        found = (f" (a difference of {d.detectable:.3f} nats would be found 4 times in 5)"
                 if math.isfinite(d.detectable) else "")
        return f"; too few seeds to call it no effect{found}"
    return ""


def accuracy_text(row) -> str:
    """One short sentence on ``row`` (a row of ``compare``) against the baseline, following
    its decision's kind: measured better / worse, a gain of the margin ruled out (and, when
    the whole interval lies inside +-margin, within the margin of DV), or not measurable."""
    w, d, m = row["vs_baseline"], row["accuracy"], row["margin"]
    if w == "same":
        return (f"same estimates as DV (largest gap {row['max_gap']:.4f} nats), so any gain is "
                f"smaller than {m:g} nats")
    if w == "baseline":
        return "the baseline"
    if d is None:
        return "not tested in this run"
    if d.status == "one seed, no spread":
        return f"Δ|error| against DV {d.estimate:+.3f} nats from one seed, no spread: no verdict"
    delta = f"Δ|error| {interval_text(d, row['cells'])}"
    if w == "better":
        short = f", by less than {m:g} nats" if d.size == Size.SMALLER else ""
        return f"measurably closer to the truth than DV{short} ({delta})"
    if w == "worse":
        return f"measurably further from the truth than DV ({delta})"
    if w == "smaller effect":
        if _inside(d, m):
            return (f"within ±{m:g} nats of DV: the whole interval lies inside the chapter's "
                    f"tolerance, so any gain or loss is smaller than that ({delta})")
        return f"no gain of {m:g} nats over DV: the interval rules it out ({delta})"
    return f"no difference from DV shown ({delta}){_undecided_tail(d)}"


def smoothness_text(row) -> str:
    """One short sentence on the jitter of ``row``'s validation curves against DV's."""
    w, d = row["jitter_vs_baseline"], row["smoothness"]
    if w == "same":
        return "trains exactly like DV (identical validation jitter in every run)"
    if w == "baseline":
        return "the baseline"
    if d is None:
        return "not tested in this run"
    ratio = f"jitter × {row['jitter_ratio']:.2f} of DV's"
    if d.status == "one seed, no spread":
        return f"{ratio} from one seed, no spread: no verdict"
    delta = f"Δ jitter {interval_text(d, row['cells'])}"
    if w in ("smoother", "rougher"):
        return f"measurably {w} than DV ({ratio}; {delta})"
    return (f"no difference in smoothness from DV shown ({ratio}; {delta})"
            f"{_undecided_tail(d)}")


def stability_decision(row, base_row) -> evidence.Decision:
    """Fewer divergences and collapses than the baseline? Not measurable when the baseline
    never failed: there was no instability to remove."""
    fails = int(row["diverged"] + row["collapsed"])
    base_fails = int(base_row["diverged"] + base_row["collapsed"])
    text = (f"{int(row['diverged'])}/{int(row['runs'])} runs diverged and "
            f"{int(row['collapsed'])} collapsed "
            f"(DV: {int(base_row['diverged'])} and {int(base_row['collapsed'])})")
    if base_fails == 0:
        return evidence.Decision("not measurable", "the baseline never failed",
                                 f"{text}: DV never failed in this run, so there was no "
                                 f"instability to remove.", float(fails), n=int(row["runs"]))
    kind = "agrees" if fails < base_fails else "disagrees"
    return evidence.Decision(kind, "counts", f"{text}.", float(fails), n=int(row["runs"]))


def report_claim(row, base_row, aspect: str) -> evidence.Decision:
    """The decision on one of the report's claims about a loss: ``aspect`` is "accuracy"
    (closer to the truth than DV), "smoothness" (smoother validation curves) or "stability"
    (fewer divergences and collapses). ``row`` and ``base_row`` are rows of ``compare``.
    The kind, status and numbers are those of ``compare``'s decision; only the sentence is
    the short one of ``accuracy_text`` / ``smoothness_text``."""
    if aspect == "stability":
        return stability_decision(row, base_row)
    if aspect not in ("accuracy", "smoothness"):
        raise InputError(f"aspect must be accuracy, smoothness or stability, got {aspect!r}")
    d = row[aspect]
    if d is None:
        return evidence.not_tested(f"{row.name} against DV ({aspect})")
    text = accuracy_text(row) if aspect == "accuracy" else smoothness_text(row)
    return dataclasses.replace(d, sentence=f"{text}.", redo=None)


def claim_summary(row, base_row, aspect: str) -> str:
    """The scorecard's "this run" for one of the report's claims: the counts (stability),
    or the difference against DV with its interval over seeds."""
    if aspect == "stability":
        return (f"{int(row['diverged'])} diverged, {int(row['collapsed'])} collapsed of "
                f"{int(row['runs'])} runs (DV: {int(base_row['diverged'])}, "
                f"{int(base_row['collapsed'])})")
    if aspect == "accuracy" and row["vs_baseline"] == "same":
        return ("estimates identical to DV's" if row["max_gap"] == 0
                else f"DV's estimates within {row['max_gap']:.4f} nats")
    d = row[aspect]
    if d is None:
        return "not tested in this run"
    what = ("Δ|error| against DV" if aspect == "accuracy"
            else f"jitter × {row['jitter_ratio']:.2f} of DV's; Δ jitter")
    return f"{what} {interval_text(d, row['cells'])}"
