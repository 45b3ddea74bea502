"""Run MI estimators on tasks with known MI and score them: a tidy table, one row per run.

A task is solved when |log(estimate / true)| < log 1.5 (the criterion of Czyz et al.,
"Beyond Normality", NeurIPS 2023), judged on the mean estimate over seeds.

Layer: the book's experiments. May import the library and other experiment modules;
the library never imports this one.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import DivergenceError, InputError
from ..estimator import estimate_mi
from ..tasks import Task
from . import evidence

SOLVED_RATIO = 1.5  # |log(estimate / true)| < log(SOLVED_RATIO)
COLUMNS = ["task", "family", "dim_x", "dim_z", "true_mi", "estimator", "method", "seed", "n",
           "estimate", "log_ratio", "solved", "seconds", "cpu_seconds", "steps", "error", "ci_low",
           "ci_high", "covered", "estimate_train_rows", "warnings"]


@dataclass(frozen=True)
class Estimator:
    """A named estimator configuration: an ``estimate_mi`` method and its options."""

    label: str
    method: str
    options: dict = field(default_factory=dict)

    def __call__(self, x, z, seed: int):
        return estimate_mi(x, z, method=self.method, seed=seed, **self.options)


def default_estimators(**neural_options) -> list[Estimator]:
    """Every method of the library at its defaults; ``neural_options`` (e.g. ``max_steps``,
    ``hidden``, ``max_seconds``) go to the neural ones."""
    neural = [("MINE", "mine"), ("NWJ", "nwj"), ("SMILE", "smile"), ("JS", "js"),
              ("InfoNCE", "infonce")]
    return [Estimator(label, method, dict(neural_options)) for label, method in neural] + [
        Estimator("KSG", "ksg")]


def log_ratio(estimate: float, truth: float) -> float:
    """log(estimate / truth); -inf when the estimate is not positive (never solved)."""
    if not (math.isfinite(estimate) and estimate > 0):
        return -math.inf
    return math.log(estimate / truth)


def is_solved(ratio: float) -> bool:
    return bool(abs(ratio) < math.log(SOLVED_RATIO))


def run_one(task: Task, estimator: Estimator, seed: int, n: int) -> dict:
    """One estimate of one task: data seeded by ``seed``, the estimator seeded by ``seed`` too."""
    x, z = task.sample(n, seed=1000 + seed)
    start, cpu_start = time.perf_counter(), time.process_time()
    error, steps, result = "", 0, None
    try:
        result = estimator(x, z, seed)
        estimate, steps = float(result.mi), int(result.steps)
    except DivergenceError as err:  # a diverged run is a failed run, not a crash
        estimate, error = math.nan, str(err)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    # an estimator that times itself (a subprocess) reports its own fitting time; CPU seconds
    # (single-threaded) are what the run costs on an idle core, whatever else the machine runs
    seconds = float(getattr(result, "seconds_own", None) or seconds)
    cpu = float(getattr(result, "cpu_seconds_own", None) or cpu)
    error = error or str(getattr(result, "error", "") or "")
    ratio = log_ratio(estimate, task.true_mi)
    low = float(getattr(result, "ci_low", math.nan))
    high = float(getattr(result, "ci_high", math.nan))
    covered = bool(low <= task.true_mi <= high) if math.isfinite(low) and math.isfinite(high) \
        else math.nan
    return {"task": task.name, "family": task.family, "dim_x": task.dim_x, "dim_z": task.dim_z,
            "true_mi": task.true_mi, "estimator": estimator.label, "method": estimator.method,
            "seed": seed, "n": n, "estimate": estimate, "log_ratio": ratio,
            "solved": is_solved(ratio), "seconds": seconds, "cpu_seconds": cpu, "steps": steps, "error": error,
            "ci_low": low, "ci_high": high, "covered": covered,
            "estimate_train_rows": float(getattr(result, "mi_train_rows", math.nan)),
            "warnings": " | ".join(getattr(result, "warnings", []) or [])}


def run_benchmark(tasks: Iterable[Task], estimators: Iterable[Estimator], seeds: Iterable[int],
                  n: int, done: pd.DataFrame | None = None,
                  on_row: Callable[[dict], None] | None = None) -> pd.DataFrame:
    """Every estimator on every task for every seed; rows already in ``done`` are kept and
    not run again (so an interrupted run can resume). ``on_row`` sees each new row."""
    tasks, estimators, seeds = list(tasks), list(estimators), [int(s) for s in seeds]
    if not tasks or not estimators or not seeds:
        raise InputError("run_benchmark needs at least one task, one estimator and one seed")
    labels = [e.label for e in estimators]
    if len(set(labels)) != len(labels):
        raise InputError(f"estimator labels must be unique, got {labels}")
    rows = [] if done is None else done.to_dict("records")
    have = {(r["task"], r["estimator"], int(r["seed"])) for r in rows}
    for task in tasks:
        for estimator in estimators:
            for seed in seeds:
                if (task.name, estimator.label, seed) in have:
                    continue
                row = run_one(task, estimator, seed, n)
                rows.append(row)
                if on_row is not None:
                    on_row(row)
    return pd.DataFrame(rows, columns=COLUMNS)


def task_means(df: pd.DataFrame) -> pd.DataFrame:
    """One row per (task, estimator): mean and spread of the estimates over seeds, the log
    ratio of the mean estimate, whether that is solved, and the mean seconds per run."""
    g = df.groupby(["task", "estimator"], sort=False)
    out = g.agg(true_mi=("true_mi", "first"), family=("family", "first"),
                dim_x=("dim_x", "first"), dim_z=("dim_z", "first"),
                mean=("estimate", "mean"), std=("estimate", "std"),
                runs=("estimate", "size"), runs_solved=("solved", "sum"),
                seconds=("seconds", "mean")).reset_index()
    out["log_ratio"] = [log_ratio(m, t) for m, t in zip(out["mean"], out["true_mi"])]
    out["solved"] = [is_solved(r) for r in out["log_ratio"]]
    return out


def solved_summary(df: pd.DataFrame) -> pd.DataFrame:
    """Per estimator: tasks solved (on the mean over seeds), share of single runs solved,
    seconds per run, total seconds and tasks solved per minute of compute."""
    means = task_means(df)
    means["abs_error"] = (means["mean"] - means["true_mi"]).abs()
    per = means.groupby("estimator", sort=False).agg(
        tasks=("task", "size"), solved=("solved", "sum"),
        median_abs_error=("abs_error", "median"),
        median_abs_log_ratio=("log_ratio", lambda r: float(np.median(np.abs(r)))))
    runs = df.groupby("estimator", sort=False).agg(
        runs=("solved", "size"), runs_solved=("solved", "mean"),
        seconds_per_run=("seconds", "mean"), total_seconds=("seconds", "sum"),
        cpu_seconds_per_run=("cpu_seconds", "mean"))
    out = per.join(runs)
    if "covered" in df:  # share of runs whose interval holds the truth (NaN: no interval)
        cov = pd.to_numeric(df["covered"], errors="coerce")
        out["coverage"] = cov.groupby(df["estimator"], sort=False).mean()
    out["solved_per_minute"] = out["solved"] / (out["total_seconds"] / 60.0)
    return out.sort_values(["solved", "total_seconds"], ascending=[False, True])


def heatmap_table(df: pd.DataFrame, clip: float = 2.0) -> pd.DataFrame:
    """Task x estimator table of log(mean estimate / true), clipped to [-clip, clip]."""
    means = task_means(df)
    table = means.pivot(index="task", columns="estimator", values="log_ratio")
    order_rows = list(dict.fromkeys(df["task"]))
    order_cols = list(dict.fromkeys(df["estimator"]))
    return table.loc[order_rows, order_cols].clip(-clip, clip)


def best_estimator(df: pd.DataFrame) -> str:
    """The estimator that solves the most tasks; among equals, the one using the least time."""
    return str(solved_summary(df).index[0])


def default_candidates() -> list[Estimator]:
    """The configurations compared when choosing the defaults of ``estimate_mi``: every
    DV-type method at the library's settings (labels as in ``default_estimators``, so one
    results file serves both), and the two best-placed methods with a smaller, faster critic."""
    fast = {"hidden": (128, 128), "lr": 1e-3}
    return [
        Estimator("MINE", "mine"),
        Estimator("NWJ", "nwj"),
        Estimator("SMILE", "smile"),
        Estimator("JS", "js"),
        Estimator("MINE 128x2 lr1e-3", "mine", dict(fast)),
        Estimator("SMILE 128x2 lr1e-3", "smile", dict(fast)),
    ]


# ---------------------------------------------------------------- torch-mist, a peer package

TORCH_MIST_PYTHON = "/work/tm-venv/bin/python"  # a separate environment with torch-mist
TORCH_MIST_RUNNER = Path(__file__).resolve().parents[2] / "benchmarks" / "torch_mist_runner.py"


@dataclass
class PeerResult:
    """What a peer package's run gives back: held-out estimate, training-rows estimate."""

    mi: float
    mi_train_rows: float
    seconds_own: float
    cpu_seconds_own: float = math.nan
    steps: int = 0
    error: str = ""


@dataclass(frozen=True)
class TorchMist:
    """torch-mist (``estimate_mi`` with a 64-64 critic and its own defaults), run in its own
    interpreter: it trains on 80 % of the rows (keeping 10 % of those for early stopping),
    and reports the bound on the held-out 20 % (``mi``) and on its training rows."""

    label: str
    factory: str = "smile"
    python: str = TORCH_MIST_PYTHON
    method: str = "torch-mist"
    holdout: float = 0.2

    def available(self) -> bool:
        return Path(self.python).exists() and subprocess.run(
            [self.python, "-c", "import torch_mist"], capture_output=True, check=False).returncode == 0

    def __call__(self, x, z, seed: int) -> PeerResult:
        n_test = round(self.holdout * len(x))
        order = np.random.default_rng(seed).permutation(len(x))
        test, train = order[:n_test], order[n_test:]
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "data.npz"
            np.savez(path, x_train=x[train], z_train=z[train], x_test=x[test], z_test=z[test],
                     seed=seed)
            env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
            done = subprocess.run([self.python, str(TORCH_MIST_RUNNER), str(path), self.factory],
                                  capture_output=True, text=True, env=env, check=False)
        lines = [ln for ln in done.stdout.splitlines() if ln.startswith("{")]
        if not lines:
            return PeerResult(math.nan, math.nan, math.nan,
                              error=f"torch-mist failed: {done.stderr.strip()[-300:]}")
        row = json.loads(lines[-1])
        return PeerResult(row.get("mi_test_rows", math.nan), row.get("mi_train_rows", math.nan),
                          row.get("seconds", math.nan), row.get("cpu_seconds", math.nan),
                          error=row.get("error", ""))


def comparison_estimators(ksg_k: int = 5) -> list:
    """The default against its peers: the library's default (cross-fitted), its former
    default MINE, KSG, and torch-mist's SMILE (when its environment is there)."""
    from ..estimator import DEFAULT_METHOD

    return [Estimator("default", DEFAULT_METHOD), Estimator("MINE", "mine"),
            Estimator(f"KSG k={ksg_k}", "ksg", {"k": ksg_k}), TorchMist("torch-mist SMILE")]


# ---------------------------------------------------------------- the comparison's sentences
# Chapter 10 words the recorded comparison (benchmarks/bench_estimators.py --record) with these.

def wilson_interval(hits: int, runs: int, z: float = 1.959964) -> tuple[float, float]:
    """Wilson score interval for a share hits / runs (95 % by default)."""
    if runs < 1 or not 0 <= hits <= runs:
        raise InputError(f"need 0 <= hits <= runs and runs >= 1; got {hits} of {runs}")
    centre = (hits + z ** 2 / 2) / (runs + z ** 2)
    half = z * math.sqrt(hits * (runs - hits) / runs + z ** 2 / 4) / (runs + z ** 2)
    return centre - half, centre + half


def coverage_decision(coverage: float, runs: int, level: float = 0.95, tol: float = 0.05):
    """Does the share of runs whose interval holds the truth reach the stated level?"""
    low, high = wilson_interval(round(coverage * runs), runs)
    return evidence.interval_within(
        coverage, (low, high), level, tol, n=runs,
        what=f"The share of the default's runs whose {100 * level:g} % interval holds the truth",
        against="the stated level", how="Wilson interval over runs")


def solved_verdict(solved: dict[str, int], tasks: int, label: str = "default",
                   peers: dict[str, str] | None = None) -> str:
    """How many tasks the default solved, against its peers (name in the text -> label)."""
    peers = peers or {"KSG": "KSG k=5", "torch-mist's SMILE": "torch-mist SMILE"}
    ahead = [name for name, lab in peers.items() if solved[label] > solved[lab]]
    level = [name for name, lab in peers.items() if solved[label] == solved[lab]]
    counts = " and ".join(f"{name} {solved[lab]}" for name, lab in peers.items())
    text = f"the default (cross-fitted) solved {solved[label]} of {tasks} tasks, {counts}; "
    text += ("it solved more than " + " and ".join(ahead)) if ahead else \
        "it solved no more than either peer"
    return text + (f", as many as {' and '.join(level)}" if level else "")


def interval_misses_sentence(by_task: pd.DataFrame, label: str = "default") -> str:
    """Where the estimator's intervals missed the truth: tasks on which every run's interval
    lay below it, and how many intervals lay above. ``by_task`` has one row per (estimator,
    task) with the columns estimator, task, runs, below, above."""
    rows = by_task[by_task.estimator == label] if len(by_task) else by_task
    if not len(rows):
        return "No interval outcomes are recorded."
    always_below = list(rows[rows.below == rows.runs]["task"])
    n_above = int(rows["above"].sum())
    first = (f"On {len(always_below)} task{'s' if len(always_below) != 1 else ''} every "
             f"interval lay below the truth: {', '.join(always_below)}. " if always_below
             else "On no task did every interval lie below the truth. ")
    if n_above == 0:
        return first + "None lay above it."
    return first + f"{n_above} interval{'s' if n_above != 1 else ''} lay above it."


PER_COORDINATE_MAPS = ("half-cube", "asinh", "normal-cdf", "wiggly")


def rank_invariance_sentence(means: pd.DataFrame, label: str = "default",
                             tol: float = 0.01) -> str:
    """On tasks made by a monotone map of each coordinate (``map@base`` names), does the
    estimator's mean estimate stay within ``tol`` nats of its estimate on the base task?
    ``means`` has the columns estimator, task, mean. "" when there are no such tasks."""
    dm = means[means.estimator == label].set_index("task")["mean"]
    pairs = []
    for name in dm.index:
        if "@" not in name:
            continue
        maps, base = name.split("@", 1)
        if base in dm.index and all(m in PER_COORDINATE_MAPS or m == "id"
                                    for m in maps.split("/")):
            pairs.append((name, base))
    if not pairs:
        return ""
    same = sum(abs(dm[a] - dm[b]) < tol for a, b in pairs)
    return (f"On {same} of the {len(pairs)} tasks made by a monotone map of each coordinate, "
            f"the default's mean estimate lies within {tol:g} nats of its estimate on the "
            "untransformed task: the ranks do not see such maps (up to ties where float32 "
            "rounding merges values), so these tasks test little beyond their base task.")
