"""Chapter 10's report: the benchmark's summary, the recorded comparison of the default
with its peers, and the claims the chapter puts on the scorecard. The chapter runs the
benchmark (``benchmark``) and glues what comes back, so its code reads as the experiment.

Layer: the book's experiments. May import the library and other experiment modules;
the library never imports this one.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

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
    return summary[["solved", "tasks", "median_abs_error", "median_abs_log_ratio", *times, "coverage",
                    "seeds"]].rename(columns={
        "solved": "tasks solved", "tasks": "of", "median_abs_error": "median |error| (nats)",
        "median_abs_log_ratio": "median |log ratio|", "seconds_per_run": "wall seconds per estimate",
        "cpu_seconds_per_run": "CPU seconds per estimate", "coverage": "interval coverage"})


def comparison_findings(record: dict, prov: dict, summary: pd.DataFrame, means: pd.DataFrame):
    """The default against each peer task by task, its interval's coverage, its solved count
    among the peers', where its interval missed, and whether rank-invariance shows. Returns
    (decisions by peer, coverage decision, solved verdict, glue without prefix)."""
    vs = {peer: benchmark.default_vs_peer(means, label) for peer, label in PEERS.items()}
    d = summary.loc["default"]
    coverage = benchmark.coverage_decision(float(d["coverage"]), int(d["runs"]))
    verdict = benchmark.solved_verdict({label: int(summary.loc[label, "solved"]) for label in summary.index},
                                       int(d["tasks"]))
    cost = "cpu_seconds_per_run" if "cpu_seconds_per_run" in d else "seconds_per_run"
    glue = {f"prov_{key}": str(prov[key]) for key in ("command", "commit", "date", "machine")}
    glue.update({
        "prov_seeds": ", ".join(f"{k}: {v}" for k, v in prov["seeds"].items()),
        "seeds_note": benchmark.unequal_seeds_sentence(prov["seeds"]), "default_verdict": verdict,
        "vs_ksg": vs["KSG"].sentence, "vs_smile": vs["SMILE"].sentence, "vs_mine": vs["MINE"].sentence,
        "coverage_sentence": coverage.sentence, "cmp_default_seconds": float(d[cost]),
        "cmp_cost_kind": "CPU seconds" if cost == "cpu_seconds_per_run" else "seconds on shared cores",
        # where the default's interval missed the truth, and on which side; and the tasks that a
        # monotone map of each coordinate makes from a base task (the ranks do not see such maps)
        "below_sentence": benchmark.interval_misses_sentence(pd.DataFrame(record.get("interval_by_task", []))),
        "rank_sentence": benchmark.rank_invariance_sentence(means),
        "cmp_default_error": float(d["median_abs_error"])})
    return vs, coverage, verdict, glue


def claims(checks, vs: dict, coverage: evidence.Decision, prov: dict) -> list[dict]:
    """The literature checks, the default against each peer (with unequal seeds said), and
    the coverage of the default's interval, as scorecard rows."""
    def seeds_note(label):
        if prov["seeds"].get(label) == prov["seeds"].get("default"):
            return ""
        return f" ({label}: {prov['seeds'][label]} seed a task, the default: {prov['seeds']['default']})"

    rows = benchmark.literature_claims(CHAPTER, checks)
    rows += [evidence.claim(CHAPTER, f"the default errs less than {label} per task" + seeds_note(label),
                            "the book's aim: the default ahead of its peers", vs[peer], source="the book's own checks")
             for peer, label in PEERS.items()]
    rows.append(evidence.claim(CHAPTER, "the default's 95 % interval covers the truth at its level",
                               "the book's aim: an interval true to its level", coverage,
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
