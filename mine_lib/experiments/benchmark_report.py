"""Chapter 10's report: the benchmark's summary, the recorded comparison of the default
with its peers, and the claims the chapter puts on the scorecard. The chapter runs the
benchmark (``benchmark``) and glues what comes back, so its code reads as the experiment.

Layer: the book's experiments. May import the library and other experiment modules;
the library never imports this one.
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from ..estimator import TrainConfig
from ..tasks import benchmark_tasks
from . import benchmark, evidence

CHAPTER = "10_estimators_benchmark"
PEERS = {"KSG": "KSG k=5", "SMILE": "torch-mist SMILE", "MINE": "MINE"}   # short name -> label in the record


def summary_table(summary: pd.DataFrame) -> pd.DataFrame:
    """``benchmark.solved_summary`` with the page's column names."""
    return summary[["solved", "tasks", "runs_solved", "median_abs_log_ratio", "seconds_per_run",
                    "solved_per_minute"]].rename(columns={
        "solved": "tasks solved", "tasks": "of", "runs_solved": "share of runs solved",
        "median_abs_log_ratio": "median |log ratio|", "seconds_per_run": "seconds per run",
        "solved_per_minute": "tasks solved per minute"})


def summary_glue(summary: pd.DataFrame, means: pd.DataFrame) -> dict:
    """The best estimator and those tied with it, KSG's count and cost, the neural estimators'
    cost, and KSG's mean ratio on the tasks of 20 dimensions and more (names without prefix)."""
    best = summary.index[0]
    solved_best = int(summary.loc[best, "solved"])
    ksg = summary.loc["KSG"]
    ksg_high = means[(means.dim_x >= 20) & (means.estimator == "KSG")]["log_ratio"]
    return {"best": best, "best_solved": solved_best,
            "tied": ", ".join(label for label in summary.index if int(summary.loc[label, "solved"]) == solved_best),
            "ksg_solved": int(ksg["solved"]), "ksg_seconds": float(ksg["seconds_per_run"]),
            "neural_seconds": float(summary.drop(index="KSG")["seconds_per_run"].mean()),
            "ksg_high_ratio": float(np.exp(ksg_high.mean())) if len(ksg_high) else float("nan")}


def comparison_frames(record: dict):
    """The recorded comparison's provenance, per-estimator summary (with seeds) and per-task means."""
    prov = record["provenance"]
    summary = pd.DataFrame(record["summary"]).set_index("estimator")
    summary["seeds"] = [prov["seeds"].get(label, 0) for label in summary.index]
    return prov, summary, pd.DataFrame(record["task_means"])


def comparison_table(summary: pd.DataFrame) -> pd.DataFrame:
    times = [c for c in ("seconds_per_run", "cpu_seconds_per_run") if c in summary]
    return summary[["solved", "tasks", "median_abs_error", "median_abs_log_ratio", *times,
                    "seeds"]].rename(columns={
        "solved": "tasks solved", "tasks": "of", "median_abs_error": "median |error| (nats)",
        "median_abs_log_ratio": "median |log ratio|", "seconds_per_run": "wall seconds per estimate",
        "cpu_seconds_per_run": "CPU seconds per estimate"})


def bound_outcomes(record: dict) -> pd.DataFrame:
    """The recorded comparison's per-task outcomes of the default's lower bound (and, in
    recordings made before it was withdrawn, of its two-sided interval)."""
    return pd.DataFrame(record.get("interval_by_task", []))


def bound_table(record: dict) -> pd.DataFrame:
    """Per task family: runs, lower bounds above the truth, old intervals that held it."""
    families = {t.name: t.family for t in benchmark_tasks("paper")}
    return benchmark.lower_bound_by_family(bound_outcomes(record), families).convert_dtypes()


def comparison_findings(record: dict, prov: dict, summary: pd.DataFrame, means: pd.DataFrame):
    """The default against each peer task by task, how often its lower bound held, its solved
    count among the peers', where its old two-sided interval missed, and whether
    rank-invariance shows. Returns (decisions by peer, lower-bound decision, solved verdict,
    glue without prefix)."""
    vs = {peer: benchmark.default_vs_peer(means, label) for peer, label in PEERS.items()}
    d = summary.loc["default"]
    outcomes = bound_outcomes(record)
    mine = outcomes[outcomes.estimator == "default"] if len(outcomes) else outcomes
    runs = int(mine["runs"].sum()) if len(mine) else 0
    held = runs - (int(mine["above"].sum()) if len(mine) else 0)
    bound = (benchmark.lower_bound_decision(held, runs) if runs else
             evidence.not_tested("the default's lower bound against the truth"))
    verdict = benchmark.solved_verdict({label: int(summary.loc[label, "solved"]) for label in summary.index},
                                       int(d["tasks"]))
    cost = "cpu_seconds_per_run" if "cpu_seconds_per_run" in d else "seconds_per_run"
    glue = {f"prov_{key}": str(prov[key]) for key in ("command", "commit", "date", "machine")}
    glue.update({
        "prov_seeds": ", ".join(f"{k}: {v}" for k, v in prov["seeds"].items()),
        "seeds_note": benchmark.unequal_seeds_sentence(prov["seeds"]), "default_verdict": verdict,
        "vs_ksg": vs["KSG"].sentence, "vs_smile": vs["SMILE"].sentence, "vs_mine": vs["MINE"].sentence,
        "bound_sentence": bound.sentence, "bound_runs": runs, "bound_misses": runs - held,
        "withdrawn_sentence": benchmark.withdrawn_interval_sentence(outcomes),
        "cmp_default_seconds": float(d[cost]),
        "cmp_cost_kind": "CPU seconds" if cost == "cpu_seconds_per_run" else "seconds on shared cores",
        # where the default's old interval lay below the truth; and the tasks that a monotone
        # map of each coordinate makes from a base task (the ranks do not see such maps)
        "below_sentence": benchmark.interval_misses_sentence(outcomes),
        "rank_sentence": benchmark.rank_invariance_sentence(means),
        "cmp_default_error": float(d["median_abs_error"])})
    return vs, bound, verdict, glue


def claims(checks, vs: dict, bound: evidence.Decision, prov: dict) -> list[dict]:
    """The literature checks, the default against each peer (with unequal seeds said), and
    how often the default's lower bound held, as scorecard rows."""
    def seeds_note(label):
        if prov["seeds"].get(label) == prov["seeds"].get("default"):
            return ""
        return f" ({label}: {prov['seeds'][label]} seed a task, the default: {prov['seeds']['default']})"

    rows = benchmark.literature_claims(CHAPTER, checks)
    rows += [evidence.claim(CHAPTER, f"the default errs less than {label} per task" + seeds_note(label),
                            "the book's aim: the default ahead of its peers", vs[peer], source="the book's own checks")
             for peer, label in PEERS.items()]
    rows.append(evidence.claim(CHAPTER, "the default's 97.5 % lower bound holds at its level",
                               "the book's aim: an uncertainty true to its level", bound,
                               source="the book's own checks"))
    return rows


def long_sizes(rec: dict | None) -> str:
    """The recorded long run's staircase sizes, in words."""
    if rec is None:
        return "not recorded yet"
    done = rec["results"]["results"]
    return (f"{len(done['staircase']['MINE'])} levels, {len(rec['results']['seeds']['staircase'])} "
            f"seeds, {done['staircase_options'].get('max_steps')} steps, "
            f"{done['staircase_n']:,} samples a task")


# ---------------------------------------------------------------- figures and glue

def tasks_figure(tasks, shown: list[str]):
    """The first coordinates of 1,500 samples of each task named in ``shown`` (2 x 4 panels),
    each panel cut to its 1 % and 99 % quantiles."""
    by_name = {t.name: t for t in tasks}
    fig, axes = plt.subplots(2, 4, figsize=(12, 6))
    for ax, name in zip(axes.flat, shown):
        x, z = by_name[name].sample(1500, seed=0)
        ax.scatter(x[:, 0], z[:, 0], s=3, alpha=0.4)
        lo = np.quantile(np.c_[x[:, 0], z[:, 0]], 0.01, axis=0)
        hi = np.quantile(np.c_[x[:, 0], z[:, 0]], 0.99, axis=0)
        ax.set_xlim(lo[0], hi[0])
        ax.set_ylim(lo[1], hi[1])
        ax.set_title(f"{name}\nI = {by_name[name].true_mi:.3f} nats", fontsize=8)
        ax.set_xlabel("$x_1$")
        ax.set_ylabel("$z_1$")
    return fig


def heatmap_figure(heat: pd.DataFrame):
    """``benchmark.heatmap_table`` as a heat map, the solved cells framed in black."""
    fig, ax = plt.subplots(figsize=(7.5, 0.42 * len(heat) + 1.6))
    sns.heatmap(heat, ax=ax, cmap="RdBu_r", center=0, vmin=-2, vmax=2, annot=True, fmt=".2f",
                annot_kws={"fontsize": 8}, cbar_kws={"label": "log(mean estimate / true)"})
    for i, task in enumerate(heat.index):
        for j, label in enumerate(heat.columns):
            if abs(heat.loc[task, label]) < math.log(benchmark.SOLVED_RATIO):
                ax.add_patch(plt.Rectangle((j, i), 1, 1, fill=False, lw=1.5, ec="black"))
    ax.set_xlabel("")
    ax.set_ylabel("")
    return fig


def infonce_k(options: dict, n: int) -> int:
    """InfoNCE's K on the staircase: the batch, or all training rows where fewer (the
    benchmark keeps 20 % for validation and 20 % for the read-out)."""
    batch = options.get("batch_size", TrainConfig().batch_size)
    return min(batch, n - 2 * round(0.2 * n))


def staircase_glue(seconds: float, k: int, seeds, n: int, options: dict, levels) -> dict:
    """The staircase's sizes and the levels at which a spread can be read (names without prefix)."""
    n_read = benchmark.readout_rows(n)
    spread = benchmark.spread_levels(levels, n_read)
    return {"stair_seconds": seconds, "log_k": math.log(k), "batch": k, "stair_seeds": len(seeds),
            "stair_n": n, "stair_steps": options.get("max_steps", "the default number of"),
            "spread_levels": f"{benchmark.levels_text(spread)}, below log {n_read} = {math.log(n_read):.2f}"}


def staircase_figure(stats: pd.DataFrame, labels, colors: dict, levels, log_k: float):
    """Left: mean ± sd over seeds per level against the truth and InfoNCE's log K; right:
    the sd alone. ``stats`` has columns estimator, level, mean, std."""
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(11, 4.2))
    for label in labels:
        s = stats[stats.estimator == label]
        ax.errorbar(s["level"], s["mean"], yerr=s["std"].fillna(0), marker="o", capsize=3,
                    label=label, color=colors[label])
        ax2.plot(s["level"], s["std"], marker="o", label=label, color=colors[label])
    top = max(levels)
    ax.plot([0, top], [0, top], "k--", lw=1, label="truth")
    ax.axhline(log_k, color=colors["InfoNCE"], ls=":", lw=1.5, label=f"log K = {log_k:.2f}")
    ax.set_xlabel("true MI (nats)")
    ax.set_ylabel("estimate (nats)")
    ax.legend(fontsize=8)
    ax.set_title("mean ± sd over seeds")
    ax2.set_xlabel("true MI (nats)")
    ax2.set_ylabel("sd of the estimate over seeds (nats)")
    ax2.set_title("spread over seeds")
    return fig


def literature_glue(checks, stats: pd.DataFrame, labels, levels) -> dict:
    """The literature checks' sentences and the staircase's values at its top level
    (names without prefix)."""
    decided = {c.claim: c.decision for c in checks}
    low, high = min(levels), max(levels)
    best_top = max(labels, key=lambda label: benchmark.stair_value(stats, label, high))
    return {"nce_verdict": decided["InfoNCE never exceeds log K"].sentence,
            "nce_top": benchmark.stair_value(stats, "InfoNCE", high),
            "mine_spread": decided["the spread of MINE grows with the MI"].sentence,
            "nwj_spread": decided["the spread of NWJ grows with the MI"].sentence,
            "smile_mine": decided["SMILE's clip gives a smaller spread than MINE"].sentence,
            "smile_nwj": decided["SMILE's clip gives a smaller spread than NWJ"].sentence,
            "high": high, "low": low, "best_top": best_top,
            "best_top_value": benchmark.stair_value(stats, best_top, high),
            "ksg_top": benchmark.stair_value(stats, "KSG", high)}
