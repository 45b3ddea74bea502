"""Chapter 06's report: the tables and sentences of the improved-losses study, from the
study's per-run rows (``loss_study.run_study``), its per-cell summary (``cell_summary``) and
its verdicts per loss (``compare``, indexed by loss). The chapter runs the study and glues
what comes back, so its code reads as the experiment.

Layer: the book's experiments. May import the library and other experiment modules;
the library never imports this one.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .loss_study import COLLAPSE, accuracy_text, decision_word, interval_text, smoothness_text


def settings_glue(cfg, a_star: float) -> dict:
    """The study's sizes, as the text states them (names without the chapter's prefix)."""
    n = len(cfg.seeds)
    return {"a_star": a_star, "log_a_star": math.log(a_star), "n_losses": len(cfg.losses),
            "n_runs": len(cfg.losses) * len(cfg.rhos) * len(cfg.batch_sizes) * n, "n_seeds": n,
            "steps": cfg.steps, "eval_every": cfg.eval_every, "n_samples": cfg.n_samples, "n_eval": cfg.n_eval,
            "lr": cfg.lr, "hidden": " x ".join(str(h) for h in cfg.hidden),
            "batches": " and ".join(str(b) for b in cfg.batch_sizes), "rhos": ", ".join(f"{r:g}" for r in cfg.rhos),
            "tol": cfg.tolerance, "window": cfg.window, "collapse": COLLAPSE,
            "seeds_text": f"{n} seed" + ("" if n == 1 else "s")}


def steps_text(cells: pd.DataFrame) -> str:
    """How fast a loss got within the tolerance over some cells: the median over cells of the
    median step (runs that reached it / runs that did not diverge)."""
    reached = int(cells["reached"].sum()) if len(cells) else 0
    total = int((cells["runs"] - cells["diverged"]).sum())
    finite = cells.loc[np.isfinite(cells["steps_val_median"]), "steps_val_median"]
    if reached == 0:
        return f"never (0/{total})"
    if finite.empty:  # some runs reached it, but in no cell did half of them
        return f"median not reached ({reached}/{total})"
    return f"{np.median(finite):.0f} ({reached}/{total})"


def speed_table(table: pd.DataFrame, runs: pd.DataFrame, cfg) -> pd.DataFrame:
    """Per loss: the steps to the tolerance at each rho, divergences, collapses, seconds."""
    rows = []
    for loss in cfg.losses:
        g = table[table["loss"] == loss]
        row = {"loss": loss}
        for rho in cfg.rhos:
            row[f"steps to {cfg.tolerance:g} nats, ρ={rho:g}"] = steps_text(g[g["rho"] == rho])
        row["diverged"] = f"{int(g['diverged'].sum())}/{int(g['runs'].sum())}"
        row["collapsed"] = f"{int(g['collapsed'].sum())}/{int(g['runs'].sum())}"
        row["seconds per run"] = f"{runs.loc[runs['loss'] == loss, 'seconds'].mean():.2f}"
        rows.append(row)
    return pd.DataFrame(rows)


def bare(text: str) -> str:
    """A sentence without its full stop, to be joined into another."""
    return text.rstrip(".")


def verdict_line(verdicts: pd.DataFrame, loss: str) -> str:
    return "the baseline" if loss == "dv" else bare(accuracy_text(verdicts.loc[loss]))


def verdict_table(verdicts: pd.DataFrame, losses) -> pd.DataFrame:
    v = verdicts
    return pd.DataFrame({
        "loss": list(losses),
        "mean |error| (nats)": [f"{v.loc[name, 'mae']:.3f}" for name in losses],
        "Δ|error| against DV": ["" if name == "dv" or v.loc[name, "accuracy"] is None else
                                interval_text(v.loc[name, "accuracy"]) for name in losses],
        "decision": [decision_word(v.loc[name]) for name in losses],
        "diverged": [f"{int(v.loc[name, 'diverged'])}/{int(v.loc[name, 'runs'])}" for name in losses],
        "collapsed": [f"{int(v.loc[name, 'collapsed'])}/{int(v.loc[name, 'runs'])}" for name in losses],
        "usable": ["yes" if v.loc[name, "usable"] else "no" for name in losses],
    })


def steps_summary(table: pd.DataFrame, rhos, steps: int) -> str:
    """Per rho, the range over (loss, batch) cells of the median steps to the tolerance
    (the lse loss left out: its estimate collapses)."""
    parts = []
    for rho in rhos:
        cell = table[(table["rho"] == rho) & (table["loss"] != "lse")]["steps_val_median"]
        finite = cell[np.isfinite(cell)]
        if len(finite) == 0:
            parts.append(f"ρ = {rho:g}: no loss within {steps} steps")
        elif len(finite) < len(cell):
            parts.append(f"ρ = {rho:g}: {finite.min():.0f} to {finite.max():.0f} steps for "
                         f"{len(finite)} of {len(cell)} loss-batch pairs, never for the rest")
        elif finite.min() == finite.max():
            parts.append(f"ρ = {rho:g}: {finite.min():.0f} steps")
        else:
            parts.append(f"ρ = {rho:g}: {finite.min():.0f} to {finite.max():.0f} steps")
    return "; ".join(parts)


def verdict_glue(verdicts: pd.DataFrame, table: pd.DataFrame, cfg) -> dict:
    """Which losses are usable, better or worse than DV, how stable and smooth each is, and
    each loss's verdict line (names without the chapter's prefix)."""
    v, losses = verdicts, list(cfg.losses)
    out = {"usable": ", ".join(name for name in losses if v.loc[name, "usable"]) or "none",
           "unusable": ", ".join(name for name in losses if not v.loc[name, "usable"]) or "none",
           "better": ", ".join(name for name in losses if v.loc[name, "vs_baseline"] == "better") or "none",
           "worse": ", ".join(name for name in losses if v.loc[name, "vs_baseline"] == "worse") or "none",
           "stability": "; ".join(f"{name} {int(v.loc[name, 'collapsed'])}/{int(v.loc[name, 'runs'])}"
                                  for name in losses if name != "lse"),
           "jitter": "; ".join(f"{name}: {bare(smoothness_text(v.loc[name]))}" for name in losses if name not in ("dv", "lse")),
           "steps_summary": steps_summary(table, cfg.rhos, cfg.steps)}
    for loss in losses:
        out[f"v_{loss}"] = verdict_line(v, loss)
        out[f"use_{loss}"] = "yes" if v.loc[loss, "usable"] else "no"
    return out
