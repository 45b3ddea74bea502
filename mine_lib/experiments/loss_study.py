"""The loss study: training objectives x correlations x batch sizes x seeds on correlated
Gaussians, each critic trained for a fixed number of steps and read out with its
``estimate`` (the DV bound for every DV-family loss) on held-out samples.

``run_study`` returns a tidy table, one row per run, and the validation curves;
``summarise`` and ``compare`` turn the table into the chapter's summaries and verdicts.
Every critic is also read out with the DV bound on the same test rows (``mi_dv``), whatever
it was trained with, so that the losses are compared with one ruler; MINE-f keeps its own
f-divergence readout (``mi``) beside it. ``compare`` pairs each loss with the baseline
by seed within each (rho, batch size) cell and takes the standard error from the spread
within the cells only, never one standard error pooled over cells whose errors differ in
size; ``evidence.from_interval`` decides, Holm-corrected over the losses.
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
            "lower": sum(d.measured and d.estimate < 0 for d in ds),
            "higher": sum(d.measured and d.estimate > 0 for d in ds),
            "open": sum(d.status in ("no effect shown", "underpowered", "untestable") for d in ds),
            "no_spread": sum(d.status in ("one seed, no spread", "nan") for d in ds),
            "min_pairs": min((d.n for d in ds), default=0)}


def paired_by_cell(runs: pd.DataFrame, loss: str, baseline: str = "dv", value: str = "mi_dv",
                   absolute_error: bool = True) -> pd.DataFrame:
    """The paired differences (loss minus baseline) per (rho, batch size) cell over seeds:
    one row per cell with ``n``, ``mean`` and ``sd`` of the differences of |value - truth|
    (or of ``value`` itself with ``absolute_error=False``)."""
    keys = CELL + ["seed"]

    def side(name):
        part = runs[(runs["loss"] == name) & ~runs["diverged"]].set_index(keys)
        return (part[value] - part["true_mi"]).abs() if absolute_error else part[value]

    a, b = side(loss), side(baseline)
    common = a.index.intersection(b.index)
    diffs = (a[common] - b[common]).rename("d").reset_index()
    if diffs.empty:
        return pd.DataFrame(columns=CELL + ["n", "mean", "sd"])
    return (diffs.groupby(CELL).agg(n=("d", "size"), mean=("d", "mean"), sd=("d", "std"))
            .reset_index())


def stratified(cells: pd.DataFrame) -> dict:
    """The mean over cells of the per-cell mean differences, with the standard error that the
    seed-to-seed spread within each cell gives (the spread between cells, the effect of rho
    and batch size, is not noise), its degrees of freedom and two-sided p-value. ``se`` is
    NaN when a cell has fewer than two seeds."""
    k = len(cells)
    if k == 0:
        return {"mean": math.nan, "se": math.nan, "df": 0, "p": math.nan, "cells": 0, "seeds": 0}
    mean = float(cells["mean"].mean())
    seeds = int(cells["n"].min())
    if seeds < 2:
        return {"mean": mean, "se": math.nan, "df": 0, "p": math.nan, "cells": k, "seeds": seeds}
    se = float(math.sqrt((cells["sd"] ** 2 / cells["n"]).sum()) / k)
    df = int((cells["n"] - 1).sum())
    p = float(2 * stats.t.sf(abs(mean) / se, df)) if se > 0 else float(mean == 0)
    return {"mean": mean, "se": se, "df": df, "p": p, "cells": k, "seeds": seeds}


def stratified_decisions(parts: dict, names_b: str, what: str, unit: str = "nats",
                         level: float = 0.95) -> dict:
    """``evidence.from_interval`` decisions for several stratified differences (loss ->
    ``stratified`` dict), Holm-corrected over the losses that have an interval: each
    interval is drawn at the level of its Holm threshold, as ``evidence.holm`` does."""
    tested = {k: v for k, v in parts.items() if math.isfinite(v["se"]) and math.isfinite(v["p"])}
    adjusted = dict(zip(tested, evidence.holm_adjust([v["p"] for v in tested.values()])))
    m, alpha = len(tested), 1 - level
    out = {}
    for loss, v in parts.items():
        how = (f"paired by seed within each of the {v['cells']} (rho, batch) cells, interval "
               f"from the "
               f"within-cell spread ({v['df']} degrees of freedom)")
        if loss not in tested:
            out[loss] = evidence.from_interval(v["mean"], None, n=min(v["seeds"], 1), how=how,
                                               names=(loss, names_b), what=what, unit=unit,
                                               higher_is_better=False)
            continue
        adj = adjusted[loss]
        lev = 1 - (alpha * v["p"] / adj if adj > 0 else alpha / m) if m > 1 else level
        half = float(stats.t.ppf(0.5 + lev / 2, v["df"]) * v["se"])
        if m > 1:
            how += f", Holm-corrected over {m} losses"
        ci = (v["mean"] - half, v["mean"] + half)
        out[loss] = evidence.from_interval(v["mean"], ci, n=v["seeds"],
                                           how=how, names=(loss, names_b), what=what, unit=unit,
                                           level=lev, higher_is_better=False, p=adj)
    return out


def word(decision: evidence.Decision, lower: str, higher: str) -> str:
    """The word of a stratified decision: ``lower`` / ``higher`` when measured, else why not."""
    if decision.measured:
        return lower if decision.estimate < 0 else higher
    if decision.status in ("one seed, no spread", "nan", "not tested in this run"):
        return decision.status
    return "no difference shown"


def compare(runs: pd.DataFrame, baseline: str = "dv", margin: float = 0.1,
            same_within: float = 0.01, value: str = "mi_dv", level: float = 0.95) -> pd.DataFrame:
    """Per loss, against ``baseline`` on the same data and seeds (diverged runs left out),
    every critic read with ``value`` (default: the DV readout, one bound for every loss).

    The difference of absolute errors (loss minus baseline; negative = closer to the truth)
    is paired by seed within each (rho, batch size) cell; ``diff_vs_baseline`` is its mean
    over cells and the interval comes from the within-cell spread only (``stratified``),
    decided by ``evidence.from_interval`` with Holm's correction over the losses
    (``accuracy``: the Decision; ``diff_low``, ``diff_high``). The jitter of the validation
    curves is compared the same way (``smoothness``). ``vs_baseline``: "same" when every
    estimate is within ``same_within`` nats of the baseline's, else "better" / "worse" when
    the interval excludes zero, "no difference shown", or "one seed, no spread";
    ``jitter_vs_baseline`` likewise with "smoother" / "rougher". ``max_gap``: the largest
    difference between two paired estimates. ``usable``: nothing diverged, not measurably
    worse, and ``diff_vs_baseline`` at most ``margin`` nats.
    """
    keys = ["rho", "batch_size", "seed"]
    base = runs[(runs["loss"] == baseline) & ~runs["diverged"]].set_index(keys)
    losses = [loss for loss in runs["loss"].unique() if loss != baseline]
    gaps, acc, jit = {}, {}, {}
    for loss in losses:
        ok = runs[(runs["loss"] == loss) & ~runs["diverged"]].set_index(keys)
        common = ok.index.intersection(base.index)
        gap = (ok.loc[common, value] - base.loc[common, value]).abs()
        gaps[loss] = float(gap.max()) if len(common) else math.nan
        acc[loss] = stratified(paired_by_cell(runs, loss, baseline, value))
        jit[loss] = stratified(paired_by_cell(runs, loss, baseline, "val_jitter", False))
    same = {loss for loss in losses if gaps[loss] <= same_within}
    shown = baseline.upper() if baseline in ("dv", "mine") else baseline
    acc_d = stratified_decisions({k: v for k, v in acc.items() if k not in same}, shown,
                                 "|error|", level=level)
    jit_d = stratified_decisions({k: v for k, v in jit.items() if k not in same}, shown,
                                 "validation jitter", level=level)
    rows = []
    for loss, g in runs.groupby("loss", sort=False):
        ok = g[~g["diverged"]].set_index(keys)
        common = ok.index.intersection(base.index)
        base_jitter = float(base.loc[common, "val_jitter"].mean()) if len(common) else math.nan
        d = acc_d.get(loss)
        if loss == baseline:
            vs = jw = "baseline"
        elif not len(common):
            vs = jw = "no comparable runs"
        elif loss in same:
            vs = jw = "same"
        else:
            vs, jw = word(d, "better", "worse"), word(jit_d[loss], "smoother", "rougher")
        diverged = int(g["diverged"].sum())
        stat = acc.get(loss, {"mean": 0.0, "cells": 0, "seeds": 0})
        rows.append({
            "loss": loss, "runs": len(g), "diverged": diverged,
            "mae": float(ok[value].sub(ok["true_mi"]).abs().mean()) if len(ok) else math.nan,
            "diff_vs_baseline": stat["mean"] if loss != baseline else 0.0,
            "diff_low": d.ci[0] if d is not None and d.ci else math.nan,
            "diff_high": d.ci[1] if d is not None and d.ci else math.nan,
            "cells": stat["cells"], "pairs_per_cell": stat["seeds"],
            "accuracy": d, "smoothness": jit_d.get(loss),
            "max_gap": gaps.get(loss, 0.0), "vs_baseline": vs,
            "jitter_ratio": float(ok.loc[common, "val_jitter"].mean()) / base_jitter
            if len(common) and base_jitter > 0 else math.nan,
            "jitter_vs_baseline": jw,
            "collapsed": int((ok["val_best"] - ok["val_last"] > COLLAPSE).sum()),
            "reached_fraction": float(np.isfinite(ok["steps_val"]).mean()) if len(ok) else 0.0,
            "seconds": float(g["seconds"].mean()),
            "usable": bool(diverged == 0 and len(common) > 0 and vs != "worse"
                           and stat["mean"] <= margin),
        })
    return pd.DataFrame(rows)


# ---------------------------------------------------------------- the report's claims

# compare()'s words -> the scorecard's kind and the reason
ACCURACY = {"better": ("agrees", "measured"), "worse": ("disagrees", "measured"),
            "no difference shown": ("not measurable", "underpowered"),
            "one seed, no spread": ("not measurable", "one seed, no spread"),
            "same": ("disagrees", "same estimates as the baseline")}
SMOOTHNESS = {"smoother": ("agrees", "measured"), "rougher": ("disagrees", "measured"),
              "no difference shown": ("not measurable", "underpowered"),
              "one seed, no spread": ("not measurable", "one seed, no spread"),
              "same": ("disagrees", "same training as the baseline")}


def interval_text(d: evidence.Decision) -> str:
    """'+0.052 nats, 97.1% CI -0.187 to +0.292' (the level is Holm's where corrected)."""
    if d.ci is None:
        return f"{d.estimate:+.3f} nats, one seed, no spread"
    return f"{d.estimate:+.3f} nats, {d.level:.1%} CI {d.ci[0]:+.3f} to {d.ci[1]:+.3f}"


def decision_word(row, aspect: str = "accuracy") -> str:
    """The table's word for ``row`` against the baseline: better / worse (smoother /
    rougher), no difference shown (underpowered when there are too few seeds), ..."""
    w = row["vs_baseline"] if aspect == "accuracy" else row["jitter_vs_baseline"]
    d = row[aspect]
    if w == "no difference shown" and d is not None and d.status == "underpowered":
        return "no difference shown (underpowered)"
    return w


def accuracy_text(row) -> str:
    """One short sentence on ``row`` (a row of ``compare``) against the baseline."""
    w = row["vs_baseline"]
    if w == "same":
        return f"same estimates as DV (largest gap {row['max_gap']:.4f} nats)"
    if w == "baseline":
        return "the baseline"
    d = row["accuracy"]
    if w in ("better", "worse"):
        side = "closer to" if w == "better" else "further from"
        return f"measurably {side} the truth than DV (Δ|error| {interval_text(d)})"
    if w == "one seed, no spread":
        return f"Δ|error| against DV {d.estimate:+.3f} nats from one seed, no spread: no verdict"
    tail = "; too few seeds to call it no effect" if d.status == "underpowered" else ""
    return f"no difference from DV shown (Δ|error| {interval_text(d)}){tail}"


def smoothness_text(row) -> str:
    """One short sentence on the jitter of ``row``'s validation curves against DV's."""
    w = row["jitter_vs_baseline"]
    if w == "same":
        return "trains exactly like DV"
    d = row["smoothness"]
    ratio = f"jitter × {row['jitter_ratio']:.2f} of DV's"
    if w in ("smoother", "rougher"):
        return f"measurably {w} than DV ({ratio}; Δ jitter {interval_text(d)})"
    if w == "one seed, no spread":
        return f"{ratio} from one seed, no spread: no verdict"
    tail = "; too few seeds to call it no effect" if d.status == "underpowered" else ""
    return (f"no difference in smoothness from DV shown ({ratio}; Δ jitter {interval_text(d)})"
            f"{tail}")


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
    (fewer divergences and collapses). ``row`` and ``base_row`` are rows of ``compare``."""
    if aspect == "stability":
        return stability_decision(row, base_row)
    if aspect == "accuracy":
        kind, status = ACCURACY.get(row["vs_baseline"], ("not tested", "not tested in this run"))
        text = accuracy_text(row)
    elif aspect == "smoothness":
        kind, status = SMOOTHNESS.get(row["jitter_vs_baseline"],
                                      ("not tested", "not tested in this run"))
        text = smoothness_text(row)
    else:
        raise InputError(f"aspect must be accuracy, smoothness or stability, got {aspect!r}")
    return evidence.Decision(kind, status, text, float(row["diff_vs_baseline"]),
                             n=int(row["pairs_per_cell"]))
