"""Run MI estimators on tasks with known MI and score them: a tidy table, one row per run.

A task is solved when |log(estimate / true)| < log 1.5 (the criterion of Czyz et al.,
"Beyond Normality", NeurIPS 2023), judged on the mean estimate over seeds.

Layer: the book's experiments. May import the library and other experiment modules;
the library never imports this one.
"""

from __future__ import annotations

import dataclasses
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
from scipy import stats

from ..errors import DivergenceError, InputError
from ..estimator import estimate_mi
from ..tasks import Task
from . import evidence

SOLVED_RATIO = 1.5  # |log(estimate / true)| < log(SOLVED_RATIO)
COLUMNS = ["task", "family", "dim_x", "dim_z", "true_mi", "estimator", "method", "seed", "n",
           "estimate", "log_ratio", "solved", "seconds", "cpu_seconds", "steps", "error",
           "lower_bound", "lower_held", "estimate_train_rows", "warnings"]


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
    lower = float(getattr(result, "lower_bound", math.nan))
    held = bool(lower <= task.true_mi) if math.isfinite(lower) else math.nan
    return {"task": task.name, "family": task.family, "dim_x": task.dim_x, "dim_z": task.dim_z,
            "true_mi": task.true_mi, "estimator": estimator.label, "method": estimator.method,
            "seed": seed, "n": n, "estimate": estimate, "log_ratio": ratio,
            "solved": is_solved(ratio), "seconds": seconds, "cpu_seconds": cpu, "steps": steps, "error": error,
            "lower_bound": lower, "lower_held": held,
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
    if "lower_held" in df:  # share of runs whose lower bound lies at or below the truth
        held = pd.to_numeric(df["lower_held"], errors="coerce")  # NaN: no bound
        out["lower_bound_held"] = held.groupby(df["estimator"], sort=False).mean()
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


def lower_bound_decision(held: int, runs: int, level: float = 0.975, tol: float = 0.05):
    """Does the share of runs whose lower bound lies at or below the truth reach the bound's
    level (within ``tol``, on a Wilson interval over runs)?"""
    low, high = wilson_interval(held, runs)
    return evidence.interval_within(
        held / runs, (low, high), level, tol, n=runs,
        what=f"The share of the default's runs whose {100 * level:g} % lower bound lies at or "
             f"below the truth", against="its level", how="Wilson interval over runs")


def lower_bound_by_family(by_task: pd.DataFrame, families: dict[str, str],
                          label: str = "default") -> pd.DataFrame:
    """Per task family (``families``: task name -> family): the runs, how many lower bounds
    lay above the truth (misses), and how many of the old two-sided intervals held the
    truth. ``by_task``: one row per (estimator, task) with runs, covered, below, above."""
    rows = by_task[by_task.estimator == label].copy() if len(by_task) else by_task
    if not len(rows):
        return pd.DataFrame(columns=["runs", "lower bound above the truth",
                                     "old two-sided interval held the truth"])
    rows["family"] = [families.get(t, t) for t in rows["task"]]
    if "covered" not in rows:  # recorded after the two-sided interval was withdrawn
        rows["covered"] = math.nan
    out = rows.groupby("family", sort=False).agg(
        runs=("runs", "sum"), misses=("above", "sum"),
        held=("covered", lambda v: v.sum(min_count=1)))
    return out.rename(columns={"misses": "lower bound above the truth",
                               "held": "old two-sided interval held the truth"})


def withdrawn_interval_sentence(by_task: pd.DataFrame, label: str = "default") -> str:
    """Why the default reports no upper end: how often the recorded two-sided interval held
    the truth, and on which side it missed."""
    rows = by_task[by_task.estimator == label] if len(by_task) else by_task
    if not len(rows) or "covered" not in rows:
        return "No two-sided interval outcomes are recorded."
    runs, held = int(rows.runs.sum()), int(rows.covered.sum())
    below, above = int(rows.below.sum()), int(rows.above.sum())
    return (f"The two-sided 95 % interval that the default used to report (the same lower end, "
            f"and an upper end as far above the estimate) held the truth in {held} of {runs} "
            f"runs; in {below} the whole interval lay below the truth, in {above} above it. "
            f"Misses below the truth are a lower bound's bias, which nothing computed from the "
            f"estimate alone measures, so the default now reports the lower end only.")


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
    """Where the estimator's old two-sided intervals lay wholly below the truth: the tasks on
    which every run's did. ``by_task`` has one row per (estimator, task) with the columns
    estimator, task, runs, below, above."""
    rows = by_task[by_task.estimator == label] if len(by_task) else by_task
    if not len(rows) or "below" not in rows:
        return "No two-sided interval outcomes are recorded."
    always_below = list(rows[rows.below == rows.runs]["task"])
    if not always_below:
        return "On no task did every interval lie below the truth."
    return (f"On {len(always_below)} task{'s' if len(always_below) != 1 else ''} every "
            f"interval lay below the truth: {', '.join(always_below)}.")


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


def task_table(all_tasks: Iterable[Task], tasks: Iterable[Task]) -> pd.DataFrame:
    """The full grid, one row per task, with whether this run uses it. Tasks are matched by
    name: two calls of ``benchmark_tasks`` build equal tasks with different samplers (each a
    new closure), so ``task in tasks`` would be False for every one of them."""
    names = {t.name for t in tasks}
    return pd.DataFrame([{"task": t.name, "family": t.family, "dim x": t.dim_x,
                          "dim z": t.dim_z, "true MI (nats)": round(t.true_mi, 4),
                          "in this run": t.name in names} for t in all_tasks]).set_index("task")


def stair_value(stair_stats: pd.DataFrame, label: str, level: float, column: str = "mean") -> float:
    """One cell of the staircase's table of mean and sd per (estimator, level)."""
    row = stair_stats[(stair_stats.estimator == label) & (stair_stats.level == level)]
    return float(row[column].iloc[0])


# ---------------------------------------------------------------- the default against its peers

def default_vs_peer(task_means_rows: pd.DataFrame, peer: str, label: str = "default",
                    cap: float = 5.0) -> evidence.Decision:
    """Does ``label`` err less than ``peer`` task by task? Paired over the tasks both ran:
    |log(mean estimate / truth)|, capped at ``cap`` (a non-positive estimate counts as a
    factor e^cap off)."""
    def err(name):
        rows = task_means_rows[task_means_rows.estimator == name].set_index("task")
        return rows["log_ratio"].abs().clip(upper=cap)

    a, b = err(label), err(peer)
    common = a.index.intersection(b.index)
    return evidence.difference(a[common].to_numpy(), b[common].to_numpy(), paired=True,
                               names=(f"The {label}" if label == "default" else label, peer),
                               what="|log(estimate / truth)|", per="task",
                               higher_is_better=False, expected="a<b")


def unequal_seeds_sentence(seeds: dict[str, int], label: str = "default") -> str:
    """Says which estimators of a recorded comparison ran fewer seeds a task than ``label``
    (and what that does to the task-by-task comparison); "" when all ran as many."""
    own = int(seeds.get(label, 0))
    fewer = {name: int(k) for name, k in seeds.items() if int(k) < own}
    if not fewer:
        return ""
    names = " and ".join(f"{name} ({k} seed{'s' if k != 1 else ''} a task)"
                         for name, k in fewer.items())
    return (f"The peers did not all run as many seeds: {names}, against {own} for the {label}. "
            f"A task's error is then that of fewer estimates than the {label}'s mean, so seed "
            f"noise weighs more against {'it' if len(fewer) == 1 else 'them'} in the "
            "task-by-task comparison.")


def peer_advice(decisions: dict[str, evidence.Decision]) -> str:
    """Chapter 11's words for the default against its peers, from chapter 10's decisions:
    the peers it erred less than, task by task, and those it was not shown to beat."""
    ahead = [p for p, d in decisions.items() if d.kind == evidence.Kind.AGREES]
    behind = [p for p, d in decisions.items() if d.kind == evidence.Kind.DISAGREES]
    rest = [p for p in decisions if p not in ahead and p not in behind]
    parts = []
    if ahead:
        parts.append(f"it erred less than {' and '.join(ahead)} task by task")
    if behind:
        parts.append(f"it erred more than {' and '.join(behind)}")
    if rest:
        parts.append(f"no difference was shown against {' and '.join(rest)}")
    return "on the recorded benchmark, " + "; ".join(parts) if parts else \
        "the recorded benchmark compared it with no peer"


# ---------------------------------------------------------------- the literature's claims
# Each check of chapter 10 against later work is decided with an interval, on the levels of
# the staircase that the claim is about.

READOUT_FRACTION = 0.2  # the test split a neural estimator of the benchmark reads out on


def readout_rows(n: int) -> int:
    """Rows a neural estimator of the benchmark reads its estimate out on."""
    return max(2, int(round(n * READOUT_FRACTION)))


def spread_levels(levels: Iterable[float], n_readout: int) -> list[float]:
    """The staircase levels where the variance law of Song & Ermon, Var ~ (e^I - 1) / N,
    is about the estimator: I <= log N for N read-out rows. Above that a DV or NWJ read-out
    of N rows cannot reach the truth (McAllester & Stratos): its spread is that of an
    estimate stuck near log N, which the law does not describe."""
    return sorted(float(lv) for lv in levels if lv <= math.log(n_readout))


def tracking_levels(stair: pd.DataFrame, label: str, levels: Iterable[float]) -> list[float]:
    """Of ``levels``, those where ``label``'s mean read-out lies within a factor 1.5 of the
    truth: the law is about a read-out that reaches the truth, and a critic that stopped far
    short of the density ratio (a short run) has the spread of its training, not the law's."""
    out = []
    for lv in levels:
        v = stair[(stair.estimator == label) & np.isclose(stair.level, lv)]["estimate"]
        if len(v) and is_solved(log_ratio(float(v.mean()), float(lv))):
            out.append(float(lv))
    return out


def _seed_values(stair: pd.DataFrame, label: str, levels: Iterable[float]) -> dict[float, np.ndarray]:
    rows = stair[stair.estimator == label]
    return {float(lv): rows[np.isclose(rows.level, lv)]["estimate"].to_numpy(float) for lv in levels}


def _log_variances(values_by_level: dict[float, np.ndarray]):
    """Per level: (level, unbiased log variance, its variance) under normal errors. log s^2
    for k = n - 1 degrees of freedom has mean log sigma^2 + psi(k/2) - log(k/2) and variance
    psi'(k/2); None when a level has a NaN or a zero spread."""
    from scipy.special import digamma, polygamma

    out = []
    for lv, v in sorted(values_by_level.items()):
        k = v.size - 1
        var = float(np.var(v, ddof=1))
        if not (np.all(np.isfinite(v)) and var > 0):
            return None
        out.append((lv, math.log(var) - (digamma(k / 2) - math.log(k / 2)),
                    float(polygamma(1, k / 2))))
    return out


def _too_few(values_by_level: dict, min_seeds: int, min_levels: int, what: str,
             levels_text: str) -> evidence.Decision | None:
    counts = [v.size for v in values_by_level.values()]
    if len(counts) < min_levels:
        return evidence.Decision(
            evidence.Kind.UNDECIDED, "too few levels",
            f"{what}: this run has {len(counts)} staircase level{'s' if len(counts) != 1 else ''} "
            f"in the regime the claim is about ({levels_text}), too few to tell, so no verdict.",
            n=min(counts, default=0))
    if min(counts) < min_seeds:
        return evidence.Decision(
            evidence.Kind.UNDECIDED, "too few seeds",
            f"{what}: {min(counts)} seed{'s' if min(counts) != 1 else ''} a level give no usable "
            f"interval for a spread (at least {min_seeds} needed), so no verdict.",
            n=min(counts))
    return None


def _pct(level: float) -> str:
    return f"{100 * level:g}%"


def levels_text(levels: list[float]) -> str:
    return ", ".join(f"{lv:g}" for lv in levels) + " nats" if levels else "no level"


def law_slope(levels: Iterable[float]) -> float:
    """Song and Ermon's variance law, Var >= (e^I - 1) / N, as a growth of the log variance per
    nat over ``levels``: the least-squares slope of log(e^I - 1) (about 1 from 2 nats up)."""
    x = np.asarray(sorted(levels), float)
    if x.size < 2:
        return math.nan
    return float(np.polyfit(x, np.log(np.expm1(x)), 1)[0])


def spread_growth(values_by_level: dict[float, Iterable[float]], *, label: str,
                  min_seeds: int = 3, level: float = 0.95, law: bool = False) -> evidence.Decision:
    """Does ``label``'s spread over seeds grow with the MI? The slope of log(variance over
    seeds) against the level, by weighted least squares on the unbiased log variances, with
    a normal-theory interval (exact under normal seed noise). A bootstrap over seeds would
    have only ten distinct resamples of three seeds, and a quarter of them with no spread;
    the chi-square law of a variance gives a usable interval from three. Growth measured
    (the interval above zero) agrees with the claim; decline measured disagrees. With ``law``,
    the growth the variance law predicts (``law_slope``) is the effect to detect: an interval
    wholly below it reads "smaller effect" (the spread grows, if at all, slower than the law)."""
    values = {float(k): np.asarray(list(v), float) for k, v in values_by_level.items()}
    levels = sorted(values)
    what = f"The spread of {label} over seeds against the MI"
    if (short := _too_few(values, min_seeds, 2, what, levels_text(levels))) is not None:
        return short
    fit = _log_variances(values)
    if fit is None:
        return evidence.Decision(evidence.Kind.INCONCLUSIVE, "nan",
                                 f"No verdict on the spread of {label}: a level has a NaN or "
                                 f"no spread at all.", n=min(v.size for v in values.values()))
    x, y, var = (np.array(c, float) for c in zip(*fit))
    w = 1 / var
    xm = float(np.sum(w * x) / w.sum())
    sxx = float(np.sum(w * (x - xm) ** 2))
    slope = float(np.sum(w * (x - xm) * y) / sxx)
    half = float(stats.norm.ppf(0.5 + level / 2)) / math.sqrt(sxx)
    n = min(v.size for v in values.values())
    effect = law_slope(levels) if law else None
    d = evidence.from_interval(slope, (slope - half, slope + half), n=n, how="normal theory",
                               expected="a>b", higher_is_better=None, level=level,
                               smallest_effect=effect)
    sd = {lv: float(np.std(v, ddof=1)) for lv, v in values.items()}
    f = evidence.fmt_num
    slower = "grew" + ("" if slope - half > 0 else ", if at all,") + " more slowly than the variance law"
    trend = {evidence.Kind.AGREES: "grew", evidence.Kind.DISAGREES: "shrank",
             evidence.Kind.SMALLER: slower}.get(d.kind, "was not shown to change")
    sentence = (f"From {levels[0]:g} to {levels[-1]:g} nats the spread of {label} over {n} "
                f"seeds {trend}: sd {f(sd[levels[0]])} to {f(sd[levels[-1]])} nats; the log "
                f"variance changes by {f(slope)} a nat ({_pct(level)} CI "
                f"{f(slope - half)} to {f(slope + half)}, normal theory over "
                f"{len(levels)} levels)"
                + (f"; the variance law's growth is {f(effect)} a nat." if effect is not None else "."))
    return dataclasses.replace(d, sentence=sentence)


def spread_smaller(a_by_level: dict[float, Iterable[float]], b_by_level: dict[float, Iterable[float]],
                   *, names: tuple[str, str], min_seeds: int = 3,
                   level: float = 0.95) -> evidence.Decision:
    """Is A's spread over seeds smaller than B's? The mean over the levels of log(var A /
    var B), unbiased under normal seed noise, with its normal-theory interval. A smaller
    spread measured agrees with the claim; a larger one disagrees."""
    a = {float(k): np.asarray(list(v), float) for k, v in a_by_level.items()}
    b = {float(k): np.asarray(list(v), float) for k, v in b_by_level.items()}
    levels = sorted(set(a) & set(b))
    what = f"The spread of {names[0]} against that of {names[1]}"
    both = {**{("a", lv): a[lv] for lv in levels}, **{("b", lv): b[lv] for lv in levels}}
    if (short := _too_few(both, min_seeds, 1, what, levels_text(levels))) is not None:
        return short
    fa, fb = _log_variances({lv: a[lv] for lv in levels}), _log_variances({lv: b[lv] for lv in levels})
    if fa is None or fb is None:
        return evidence.Decision(evidence.Kind.INCONCLUSIVE, "nan",
                                 f"No verdict on {what.lower()}: a level has a NaN or no "
                                 f"spread at all.", n=min(v.size for v in both.values()))
    diffs = np.array([ya - yb for (_, ya, _), (_, yb, _) in zip(fa, fb)])
    var = np.array([va + vb for (_, _, va), (_, _, vb) in zip(fa, fb)])
    est, se = float(diffs.mean()), float(math.sqrt(var.sum()) / len(levels))
    half = float(stats.norm.ppf(0.5 + level / 2)) * se
    n = min(v.size for v in both.values())
    d = evidence.from_interval(est, (est - half, est + half), n=n, how="normal theory",
                               expected="a<b", higher_is_better=None, level=level)
    f = evidence.fmt_num
    ratio = {evidence.Kind.AGREES: "smaller than", evidence.Kind.DISAGREES: "larger than"}.get(
        d.kind, "not shown to differ from")
    sentence = (f"At {levels_text(levels)} the spread of {names[0]} over {n} seeds was "
                f"{ratio} that of {names[1]}: the sd ratio is {f(math.exp(est / 2))} "
                f"({_pct(level)} CI {f(math.exp((est - half) / 2))} to "
                f"{f(math.exp((est + half) / 2))}, normal theory, geometric mean over the "
                "levels).")
    return dataclasses.replace(d, sentence=sentence)


def _per_seed(runs: pd.DataFrame, label: str, mask) -> np.ndarray:
    rows = runs[(runs.estimator == label) & mask]
    return rows.groupby("seed")["log_ratio"].mean().to_numpy(float)


def below_zero(values, *, what: str, smallest_effect: float | None = None,
               level: float = 0.95) -> evidence.Decision:
    """Is the mean of ``values`` (one per seed) below zero? A t interval over seeds; with
    ``smallest_effect`` an interval wholly short of it is "smaller effect"."""
    v = np.asarray(list(values), float)
    if v.size == 0:
        return evidence.not_tested(what)
    if not np.all(np.isfinite(v)):
        return evidence.Decision(evidence.Kind.INCONCLUSIVE, "nan",
                                 f"No verdict: {what} is NaN in this run.", n=v.size)
    if v.size == 1:
        return evidence.Decision(evidence.Kind.UNDECIDED, "one seed, no spread",
                                 f"{what} is {evidence.fmt_num(v[0])} from one seed, no "
                                 "spread, so no verdict.", float(v[0]), n=1)
    mean, low, high = evidence.t_interval(v, level)
    d = evidence.from_interval(mean, (low, high), n=v.size, how=f"t interval over {v.size} seeds",
                               expected="a<b", higher_is_better=None,
                               smallest_effect=smallest_effect, level=level)
    f = evidence.fmt_num
    word = {evidence.Kind.AGREES: "is below zero", evidence.Kind.SMALLER: "is below zero, by "
            "less than claimed", evidence.Kind.DISAGREES: "is above zero"}.get(
        d.kind, "is not shown to differ from zero")
    sentence = (f"{what} {word}: {f(mean)} ({_pct(level)} CI {f(low)} to {f(high)}, "
                f"t interval over {v.size} seeds).")
    return dataclasses.replace(d, sentence=sentence)


@dataclass(frozen=True)
class Check:
    """One claim of later work checked by chapter 10: the claim, who made it, the runs it
    was measured on and the decision."""

    claim: str
    who: str
    scope: str
    decision: evidence.Decision


SPREAD_CLAIM = "the spread of {} grows with the MI"


def literature_checks(runs: pd.DataFrame, stair: pd.DataFrame, *, n: int,
                      log_k: float) -> list[Check]:
    """Chapter 10's checks of later work, each decided with an interval on the runs it is
    about: ``runs`` (the benchmark) and ``stair`` (the staircase, with a ``level`` column),
    ``n`` samples a task, ``log_k`` InfoNCE's ceiling."""
    n_read = readout_rows(n)
    levels = sorted(float(lv) for lv in stair["level"].unique())
    regime = spread_levels(levels, n_read)
    f = evidence.fmt_num
    checks = []

    nce = stair[stair.estimator == "InfoNCE"]["estimate"].to_numpy(float)
    over = int(np.sum(~(nce <= log_k + 1e-6)))
    checks.append(Check(
        "InfoNCE never exceeds log K", "van den Oord et al. 2018; Poole et al. 2019",
        f"every staircase run (largest of {nce.size} estimates "
        f"{f(float(np.nanmax(nce)) if nce.size else math.nan)})",
        evidence.holds_everywhere(over, nce.size, f"InfoNCE stays at or below log K = {f(log_k)}",
                                  cases="staircase runs")))

    where = f"I <= log {n_read} read-out rows, read-out within a factor 1.5 of the truth"
    tracks = {label: tracking_levels(stair, label, regime) for label in ("MINE", "NWJ", "SMILE")}
    for label in ("MINE", "NWJ"):
        checks.append(Check(SPREAD_CLAIM.format(label), "Song & Ermon 2020",
                            f"staircase at {levels_text(tracks[label])} ({where})",
                            spread_growth(_seed_values(stair, label, tracks[label]), label=label,
                                          law=True)))
    for label in ("MINE", "NWJ"):
        both = [lv for lv in tracks[label] if lv in tracks["SMILE"]]
        d = spread_smaller(_seed_values(stair, "SMILE", both), _seed_values(stair, label, both),
                           names=("SMILE", label))
        checks.append(Check(f"SMILE's clip gives a smaller spread than {label}",
                            "Song & Ermon 2020", f"staircase at {levels_text(both)} ({where})", d))

    low_dim = _per_seed(runs, "KSG", (runs.dim_x == 1) & (runs.family == "gaussian"))
    d = (evidence.tracks_truth(low_dim, 0.0, math.log(SOLVED_RATIO),
                               what="KSG's log(estimate / truth) on the 1-d Gaussians")
         if low_dim.size else evidence.not_tested("KSG on 1-d Gaussians"))
    checks.append(Check("KSG is accurate in low dimension", "Kraskov et al. 2004; Czyż et al. 2023",
                        "1-d Gaussian tasks, within a factor 1.5", d))

    high_dim = _per_seed(runs, "KSG", runs.dim_x >= 20)
    checks.append(Check("KSG falls toward zero in high dimension", "Czyż et al. 2023",
                        "25-d tasks, below a factor 1.5",
                        below_zero(high_dim, what="KSG's log(estimate / truth) on the 25-d tasks",
                                   smallest_effect=math.log(SOLVED_RATIO))))

    top = max(levels) if levels else math.nan
    if levels and top > math.log(n_read):
        at_top = stair[np.isclose(stair.level, top)]
        best = at_top.groupby("estimator")["estimate"].mean().idxmax()
        gap = at_top[at_top.estimator == best].sort_values("seed")["estimate"].to_numpy(float) - top
        d = below_zero(gap, what=f"At {top:g} nats the closest estimator's ({best}) estimate "
                                 "minus the truth")
        shown = f"staircase at {top:g} nats, above log {n_read} = {f(math.log(n_read))} ({best})"
    else:
        d, shown = evidence.not_tested("a level above log N"), "no level above log N"
    checks.append(Check("large MI is underestimated from finite samples",
                        "McAllester & Stratos 2020", shown, d))
    return checks


def literature_table(checks: list[Check]) -> pd.DataFrame:
    return pd.DataFrame([{"claim": c.claim, "source": c.who, "measured on": c.scope,
                          "decision": c.decision.kind.value, "why": c.decision.sentence}
                         for c in checks]).set_index("claim")


def literature_counts(checks: list[Check]) -> str:
    """'agrees: 3, not measurable: 2, ...' over the checks, in the order of the kinds."""
    kinds = [c.decision.kind for c in checks]
    parts = [f"{k.value}: {kinds.count(k)}" for k in evidence.Kind if kinds.count(k)]
    return ", ".join(parts)


def literature_claims(chapter: str, checks: list[Check]) -> list[dict]:
    """The checks as scorecard rows (source: later work)."""
    rows = []
    for c in checks:
        row = evidence.claim(chapter, c.claim, c.who, c.decision, source="later work")
        d = c.decision
        measured = d.ci is not None or math.isfinite(d.estimate) or d.kind == evidence.Kind.NOT_TESTED
        row["this_run"] = f"{c.scope}: {row['this_run'] if measured else d.status}"
        rows.append(row)
    return rows


def spread_advice(claims: list[dict] | None, labels=("MINE", "NWJ")) -> str:
    """Chapter 11's words on whether the DV (MINE) and NWJ read-outs get noisier as the MI
    grows, from chapter 10's scorecard rows (None: chapter 10 has not run in this build). A
    row with a decision of record (key ``record``, ``saved_claims_of_record``) is read by it."""
    if claims is None:
        return ("whether the DV and NWJ read-outs get noisier as the MI grows is decided by "
                "the staircase of chapter 10, which has not run in this build")
    rows = {r["claim"]: r.get("record") or r for r in claims}
    kinds = {label: (rows.get(SPREAD_CLAIM.format(label)) or {}).get("decision") for label in labels}
    grew = [lb for lb, k in kinds.items() if k == evidence.Kind.AGREES.value]
    shrank = [lb for lb, k in kinds.items() if k == evidence.Kind.DISAGREES.value]
    slower = [lb for lb, k in kinds.items() if k == evidence.Kind.SMALLER.value]
    open_ = [lb for lb in labels if lb not in grew + shrank + slower]
    recorded = any((rows.get(SPREAD_CLAIM.format(lb)) or {}).get("from", "this build")
                   != "this build" for lb in grew + shrank + slower)
    where = "in the recorded long run of chapter 10's staircase" if recorded else \
        "on the staircase of chapter 10"
    parts = []
    if grew:
        parts.append(f"the spread of {' and '.join(grew)} over seeds grew with the MI {where}")
    if shrank:
        parts.append(f"the spread of {' and '.join(shrank)} shrank as the MI grew "
                     f"{'there' if grew else where}")
    for lb in slower:  # growth below the variance law's: measured, or only bounded above
        measured = rows[SPREAD_CLAIM.format(lb)].get("direction") == "the paper's"
        parts.append(f"the spread of {lb} grew{'' if measured else ', if at all,'} more slowly "
                     f"than Song and Ermon's variance law predicts "
                     f"{'there' if grew or shrank else where}")
    if open_:
        parts.append(f"the staircase of chapter 10 could not tell whether the spread of "
                     f"{' and '.join(open_)} grows with the MI")
    return "; ".join(parts)


# ---------------------------------------------------------------- chapter 10, read by chapter 11

COMPARISON_RECORD = Path(__file__).resolve().parents[2] / "book" / "recorded" / "estimator_comparison.json"
PEERS = {"KSG": "KSG k=5", "torch-mist's SMILE": "torch-mist SMILE", "MINE": "MINE"}


def comparison_decisions(record: dict | None = None,
                         peers: dict[str, str] | None = None) -> dict[str, evidence.Decision]:
    """The default against each peer of the recorded comparison (chapter 10's decisions,
    recomputed from the same recording), keyed by the peer's name in prose."""
    if record is None:
        record = json.loads(COMPARISON_RECORD.read_text())
    means = pd.DataFrame(record["task_means"])
    return {name: default_vs_peer(means, label) for name, label in (peers or PEERS).items()}


def saved_claims_of_record(chapter: str, folder: str | Path | None = None) -> list[dict] | None:
    """``saved_claims`` with each row's decision of record (key ``record``): this build's
    when it decides, else the chapter's current recording's (``record.current_recordings``)."""
    from .record import current_recordings
    from .scorecard import with_record

    rows = saved_claims(chapter, folder)
    return None if rows is None else with_record(rows, current_recordings([chapter]))


def saved_claims(chapter: str, folder: str | Path | None = None) -> list[dict] | None:
    """The scorecard rows a chapter saved in this build's results folder; None when it has
    not run."""
    from .results import results_dir

    path = (Path(folder) if folder is not None else results_dir()) / f"{chapter}.json"
    if not path.exists():
        return None
    return (json.loads(path.read_text()).get("results") or {}).get("claims") or []
