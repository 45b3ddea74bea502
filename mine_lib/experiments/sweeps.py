"""Sweep runners for the Gaussian chapter: methods x rho x dims x seeds -> a tidy table.

Every runner takes an explicit ``TrainConfig`` (the sizes: critic width, batch, steps) and
returns a pandas DataFrame with one row per run, so that a chapter can choose its sizes
from the run profile and plot or tabulate the rows. Seed ``s`` draws the sample
(``tasks.correlated_gaussian(n, dim, rho, seed=s)``) and initialises the critic; every
method sees the same sample for a given seed.

A neural run whose training diverges (NaN or infinity) is kept as a row with
``status = "diverged"`` and a NaN estimate, so that a table cannot hide it.

Layer: the book's experiments. May import the library and other experiment modules;
the library never imports this one.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Sequence
from dataclasses import replace

import numpy as np
import pandas as pd

from ..bounds import dv_bound, nwj_bound
from ..errors import DivergenceError, InputError
from ..estimator import MIEstimate, TrainConfig, split_rows, train_critic
from ..ksg import ksg_mi
from ..tasks import correlated_gaussian, gaussian_mi
from . import evidence
from .theory import gaussian_log_ratio

NEURAL_LOSSES = {"mine": "mine", "mine-f": "mine-f", "dv": "dv"}  # method -> loss name
METHODS = (*NEURAL_LOSSES, "ksg")
DEFAULT_EMA_RATE = 0.01  # weight of the new batch in MINE's moving average


# ---------------------------------------------------------------- one run

def check_methods(methods: Iterable[str]) -> list[str]:
    methods = list(methods)
    if not methods:
        raise InputError("give at least one method")
    unknown = [m for m in methods if m not in METHODS]
    if unknown:
        raise InputError(f"unknown method(s) {', '.join(map(repr, unknown))}; "
                         f"choose from {', '.join(METHODS)}")
    return methods


def neural_config(method: str, config: TrainConfig, seed: int, ema_rate: float | None = None,
                  **overrides) -> TrainConfig:
    """``config`` with the loss of ``method``, its options and the seed filled in."""
    options = {"rate": DEFAULT_EMA_RATE if ema_rate is None else ema_rate} if method == "mine" else {}
    return replace(config, loss=NEURAL_LOSSES[method], loss_options=options, seed=seed, **overrides)


def run_method(x: np.ndarray, z: np.ndarray, method: str, config: TrainConfig, seed: int,
               ema_rate: float | None = None, ksg_k: int = 3, **overrides) -> tuple[dict, MIEstimate | None]:
    """One estimate: a row of numbers, and the full ``MIEstimate`` of a neural run (else None).

    KSG uses every row of the sample (it has nothing to train); a neural method trains on
    its training split and reports its bound on the held-out test split.
    """
    check_methods([method])
    if method == "ksg":
        start = time.perf_counter()
        value = ksg_mi(x, z, k=ksg_k, seed=seed)
        seconds = time.perf_counter() - start
        return {"estimate": value, "status": "ok", "seconds": seconds, "steps": 0, "best_step": 0}, None
    cfg = neural_config(method, config, seed, ema_rate, **overrides)
    try:
        result = train_critic(x, z, cfg)
    except DivergenceError as err:
        return {"estimate": math.nan, "status": "diverged", "seconds": math.nan, "steps": 0,
                "best_step": 0, "error_message": str(err)}, None
    row = {"estimate": result.mi, "status": "ok", "seconds": result.seconds,
           "steps": result.steps, "best_step": result.best_step}
    return row, result


# ---------------------------------------------------------------- the oracle critic

def held_out_rows(n: int, config: TrainConfig) -> tuple[np.ndarray, list[np.ndarray]]:
    """The test rows and the marginal shuffles of them that ``train_critic(config)`` uses.

    Replays the trainer's random stream (split, then validation shuffles, then test
    shuffles); tests/test_sweeps.py checks that the replay matches the trainer.
    """
    rng = np.random.default_rng(config.seed)
    _, val_idx, test_idx = split_rows(n, config, rng)
    for _ in range(config.eval_shuffles):
        rng.permutation(len(val_idx))
    perms = [rng.permutation(len(test_idx)) for _ in range(config.eval_shuffles)]
    return test_idx, perms


def oracle_estimate(x: np.ndarray, z: np.ndarray, log_ratio, method: str, config: TrainConfig,
                    seed: int) -> float:
    """The bound that the optimal critic would read on the neural run's own test rows.

    ``log_ratio(x_rows, z_rows)`` is the true log density ratio (the optimal DV critic);
    MINE and DV read it with the DV bound, MINE-f with the NWJ bound at ``log_ratio + 1``
    (the NWJ optimum). The gap between this and the truth is the sampling noise of the
    held-out rows; the gap between a run's estimate and this is the critic's own shortfall.
    """
    if method not in NEURAL_LOSSES:
        raise InputError(f"the oracle is defined for neural methods, not {method!r}")
    cfg = neural_config(method, config, seed)
    rows, perms = held_out_rows(len(x), cfg)
    xs, zs = x[rows], z[rows]
    t_joint = np.asarray(log_ratio(xs, zs), np.float64)
    t_marg = np.concatenate([np.asarray(log_ratio(xs, zs[p]), np.float64) for p in perms])
    if method == "mine-f":
        return float(nwj_bound(t_joint + 1.0, t_marg + 1.0))
    return float(dv_bound(t_joint, t_marg))


# ---------------------------------------------------------------- the rho sweep

def gaussian_sweep(methods: Sequence[str], rhos: Sequence[float], dims: Sequence[int],
                   seeds: Sequence[int], n: int, config: TrainConfig, ksg_k: int = 3,
                   verbose: bool = False) -> pd.DataFrame:
    """Every method on every (dim, rho, seed): one row each, with the true MI beside it.

    Columns: method, dim, rho, seed, n, true_mi, oracle (``oracle_estimate``: the optimal
    critic read on the same test rows; NaN for KSG, which uses every row), estimate,
    error (estimate - truth), status, seconds, steps, best_step.
    """
    methods = check_methods(methods)
    rows = []
    for dim in dims:
        for rho in rhos:
            truth = gaussian_mi(dim, rho)
            for seed in seeds:
                x, z = correlated_gaussian(n, dim, rho, seed=seed)
                for method in methods:
                    row, _ = run_method(x, z, method, config, seed, ksg_k=ksg_k)
                    oracle = math.nan if method == "ksg" else oracle_estimate(
                        x, z, lambda a, b: gaussian_log_ratio(a, b, rho), method, config, seed)
                    rows.append({"method": method, "dim": dim, "rho": rho, "seed": seed, "n": n,
                                 "true_mi": truth, "oracle": oracle, **row})
                    if verbose:
                        print(f"d={dim} rho={rho:+.2f} seed={seed} {method:7s} "
                              f"{row['estimate']:8.3f} (truth {truth:.3f})")
    table = pd.DataFrame(rows)
    table["error"] = table["estimate"] - table["true_mi"]
    return table


def summarize(table: pd.DataFrame, by: Sequence[str] = ("method", "dim", "rho")) -> pd.DataFrame:
    """Mean, standard deviation and mean error of the estimates per group.

    Diverged runs are counted (``n_diverged``) and left out of the mean. ``n_ok`` counts the
    runs behind the mean; with fewer than two of them ``sd`` is NaN (one seed has no spread,
    which is not a spread of zero: see ``fmt_mean_sd``).
    """
    by = list(by)
    ok = table[table["status"] == "ok"]
    grouped = ok.groupby(by, sort=True)
    out = pd.DataFrame({
        "true_mi": table.groupby(by, sort=True)["true_mi"].first(),
        "mean": grouped["estimate"].mean(),
        "sd": grouped["estimate"].std(ddof=1),
        "n_runs": table.groupby(by, sort=True)["estimate"].size(),
        "n_ok": grouped["estimate"].count(),
        "n_diverged": table.groupby(by, sort=True)["status"].apply(lambda s: int((s != "ok").sum())),
    })
    if "oracle" in table:
        out["oracle_mean"] = table.groupby(by, sort=True)["oracle"].mean()
    out["bias"] = out["mean"] - out["true_mi"]
    out["n_ok"] = out["n_ok"].fillna(0).astype(int)
    return out.reset_index()


def fmt_cell(values, digits: int = 3) -> str:
    """A table cell for one value per seed: "0.812 ± 0.030" (the caption says over what),
    "0.812 (one seed, no spread)", and how many runs diverged (NaN) when any did."""
    v = np.asarray(values, dtype=float)
    ok = v[np.isfinite(v)]
    text = fmt_mean_sd(float(ok.mean()) if ok.size else math.nan,
                       float(ok.std(ddof=1)) if ok.size > 1 else math.nan, int(ok.size), digits)
    lost = int(v.size - ok.size)
    return text if not lost else f"{text}; {lost} of {v.size} diverged"


def fmt_mean_sd(mean: float, sd: float, n: int, digits: int = 3) -> str:
    """"0.812 ± 0.030" over n >= 2 runs; one run says it has no spread, none says n/a."""
    if n < 1 or not math.isfinite(mean):
        return "n/a (no run finished)"
    if n < 2 or not math.isfinite(sd):
        return f"{mean:.{digits}f} (one seed, no spread)"
    return f"{mean:.{digits}f} ± {sd:.{digits}f}"


def estimates(table: pd.DataFrame, **where) -> np.ndarray:
    """The estimates of the runs matching ``where`` (column=value), ordered by seed; a
    diverged run gives NaN, so that no verdict hides it."""
    rows = table
    for column, value in where.items():
        rows = rows[rows[column] == value]
    return rows.sort_values("seed")["estimate"].to_numpy(dtype=float)


def tolerance_over(labelled: Sequence[tuple[str, evidence.Decision]],
                   what: str) -> evidence.Decision:
    """One decision from several ``tracks_truth`` decisions (one per setting, e.g. per rho).

    Disagrees when any setting is outside the tolerance, agrees when every one is inside;
    otherwise not measurable (or inconclusive on NaN). The sentence names the settings.
    """
    if not labelled:
        return evidence.not_tested(what)
    groups = {"within": [], "outside": [], "open": []}
    for label, d in labelled:
        key = {"within tolerance": "within", "outside tolerance": "outside"}.get(d.status, "open")
        groups[key].append(label)
    n = min(d.n for _, d in labelled)
    parts = [f"within the tolerance at {len(groups['within'])} of {len(labelled)}"]
    if groups["outside"]:
        parts.append(f"outside it at {', '.join(groups['outside'])}")
    if groups["open"]:
        parts.append(f"this run cannot tell at {', '.join(groups['open'])}")
    if any(d.status == "nan" for _, d in labelled):
        kind, status = "inconclusive", "nan"
    elif groups["outside"]:
        kind, status = "disagrees", "outside tolerance"
    elif not groups["open"]:
        kind, status = "agrees", "within tolerance"
    else:
        one = all(d.status == "one seed, no spread" for _, d in labelled)
        kind, status = "not measurable", "one seed, no spread" if one else "underpowered"
        if one:
            parts.append("one seed, no spread")
    return evidence.Decision(kind, status, f"{what}: {'; '.join(parts)}.", n=n)


def wins_over(labelled: Sequence[tuple[str, evidence.Decision]], what: str, a: str, b: str,
              lower_is_a: bool = True) -> evidence.Decision:
    """One decision from several ``evidence.difference`` decisions of |error| of ``a`` minus
    |error| of ``b`` (one per setting, already Holm-corrected): agrees that ``a`` is closer
    when it is measured closer somewhere and never measured further; disagrees in the
    opposite case; inconclusive when both happen; else not measurable."""
    if not labelled:
        return evidence.not_tested(what)
    measured = [(lab, (d.estimate < 0) == lower_is_a) for lab, d in labelled if d.measured]
    closer = [lab for lab, a_closer in measured if a_closer]
    further = [lab for lab, a_closer in measured if not a_closer]
    n = min(d.n for _, d in labelled)
    parts = [f"{a} is closer to the truth than {b} at {len(closer)} of {len(labelled)}"
             + (f" ({', '.join(closer)})" if closer else "")]
    if further:
        parts.append(f"{b} is closer at {', '.join(further)}")
    rest = len(labelled) - len(closer) - len(further)
    if rest:
        parts.append(f"no difference shown at {rest}")
    if closer and further:
        kind, status = "inconclusive", "mixed"
    elif closer:
        kind, status = "agrees", "measured"
    elif further:
        kind, status = "disagrees", "measured"
    else:
        kind = "not measurable"
        one = all(d.status == "one seed, no spread" for _, d in labelled)
        untestable = any(d.status == "untestable" for _, d in labelled)
        status = "one seed, no spread" if one else "untestable" if untestable else "underpowered"
        if untestable:  # no per-setting count: a test that cannot reach its level finds nothing
            parts = [f"with {n} seeds per setting, a test corrected over {len(labelled)} settings "
                     f"cannot reach its level, so there is no per-setting verdict"]
        elif n <= 2:
            parts.append(f"{n} seed{'' if n == 1 else 's'} per setting is too few to say there is "
                         f"no difference")
    return evidence.Decision(kind, status, f"{what}: {'; '.join(parts)}.", n=n)


def worst_error(summary: pd.DataFrame, method: str, dim: int, max_abs_rho: float) -> pd.Series:
    """The row with the largest |mean - truth| for ``method`` in ``dim`` at |rho| <= max_abs_rho."""
    rows = summary[(summary["method"] == method) & (summary["dim"] == dim)
                   & (summary["rho"].abs() <= max_abs_rho + 1e-12)]
    if rows.empty:
        raise InputError(f"no rows for method={method!r}, dim={dim}, |rho| <= {max_abs_rho}")
    if rows["mean"].isna().any():  # every seed diverged somewhere: that is the worst case
        return rows[rows["mean"].isna()].iloc[0]
    return rows.loc[rows["bias"].abs().idxmax()]


# ---------------------------------------------------------------- curves and studies

def iteration_curves(dim: int, rho: float, methods: Sequence[str], seeds: Sequence[int], n: int,
                     config: TrainConfig) -> pd.DataFrame:
    """Estimate against training step for each neural method (no early stopping).

    Rows: method, seed, step, kind ("train": the minibatch bound at that step;
    "validation": the bound on the validation split), estimate, true_mi.
    """
    methods = check_methods(methods)
    if "ksg" in methods:
        raise InputError("ksg has no training curve; give neural methods only")
    truth = gaussian_mi(dim, rho)
    frames = []
    for seed in seeds:
        x, z = correlated_gaussian(n, dim, rho, seed=seed)
        for method in methods:
            row, result = run_method(x, z, method, config, seed, early_stopping=False)
            if result is None:  # diverged: record nothing but say so in one row
                frames.append(pd.DataFrame({"method": [method], "seed": [seed], "step": [0],
                                            "kind": ["diverged"], "estimate": [math.nan]}))
                continue
            train = result.history["train_estimate"]
            frames.append(pd.DataFrame({"method": method, "seed": seed, "step": np.arange(1, len(train) + 1),
                                        "kind": "train", "estimate": train}))
            frames.append(pd.DataFrame({"method": method, "seed": seed, "step": result.history["val_step"],
                                        "kind": "validation", "estimate": result.history["val_estimate"]}))
    table = pd.concat(frames, ignore_index=True)
    table["true_mi"] = truth
    return table


def first_step_reaching(steps: np.ndarray, values: np.ndarray, level: float) -> float:
    """The first step whose value is >= level, or NaN when none is."""
    hits = np.flatnonzero(np.asarray(values) >= level)
    return float(np.asarray(steps)[hits[0]]) if len(hits) else math.nan


def step_noise(curve: np.ndarray) -> float:
    """Standard deviation of the step-to-step noise of a curve: sd(diff) / sqrt(2).

    Unlike the plain standard deviation it ignores a slow trend (a bound still rising).
    """
    curve = np.asarray(curve, dtype=np.float64)
    return float(np.std(np.diff(curve)) / math.sqrt(2)) if len(curve) > 2 else math.nan


def settings_study(dim: int, rho: float, settings: Sequence[dict], seeds: Sequence[int], n: int,
                   config: TrainConfig) -> pd.DataFrame:
    """Neural runs on one Gaussian task under several settings.

    Each setting is a dict with ``method`` and optionally ``ema_rate`` and ``batch_size``
    (any other TrainConfig field works too). Rows add: the held-out estimate; ``train_sd``,
    the step-to-step noise of the minibatch bound over the last half of training
    (``step_noise``: how noisy the optimisation is); ``steps_to_90``, the first validation
    step at 90 % of the truth.
    """
    truth = gaussian_mi(dim, rho)
    rows = []
    for seed in seeds:
        x, z = correlated_gaussian(n, dim, rho, seed=seed)
        for setting in settings:
            setting = dict(setting)
            method = setting.pop("method", "mine")
            ema_rate = setting.pop("ema_rate", None)
            if method == "ksg":
                raise InputError("settings_study runs neural methods only")
            row, result = run_method(x, z, method, config, seed, ema_rate=ema_rate, early_stopping=False, **setting)
            extra = {"train_sd": math.nan, "steps_to_90": math.nan}
            if result is not None:
                curve = result.history["train_estimate"]
                extra = {"train_sd": step_noise(curve[len(curve) // 2:]),
                         "steps_to_90": first_step_reaching(result.history["val_step"],
                                                            result.history["val_estimate"], 0.9 * truth)}
            rate = (DEFAULT_EMA_RATE if ema_rate is None else ema_rate) if method == "mine" else math.nan
            rows.append({"method": method, "ema_rate": rate,
                         "batch_size": setting.get("batch_size", config.batch_size),
                         "dim": dim, "rho": rho, "seed": seed, "n": n, "true_mi": truth, **row, **extra})
    table = pd.DataFrame(rows)
    table["error"] = table["estimate"] - table["true_mi"]
    return table


def ema_rate_study(dim: int, rho: float, rates: Sequence[float], batch_sizes: Sequence[int],
                   seeds: Sequence[int], n: int, config: TrainConfig) -> pd.DataFrame:
    """MINE with each moving-average rate at each batch size (rate 1 = no averaging, plain DV)."""
    for rate in rates:
        if not 0.0 < rate <= 1.0:
            raise InputError(f"a moving-average rate must lie in (0, 1], got {rate}")
    settings = [{"method": "mine", "ema_rate": r, "batch_size": b} for b in batch_sizes for r in rates]
    return settings_study(dim, rho, settings, seeds, n, config)


def batch_size_study(dim: int, rho: float, methods: Sequence[str], batch_sizes: Sequence[int],
                     seeds: Sequence[int], n: int, config: TrainConfig) -> pd.DataFrame:
    """Each neural method at each batch size, with the same number of steps."""
    methods = check_methods(methods)
    settings = [{"method": m, "batch_size": b} for b in batch_sizes for m in methods]
    return settings_study(dim, rho, settings, seeds, n, config)
