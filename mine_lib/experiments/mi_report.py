"""Chapter 01's report: the table, figures and glued numbers of the worked example
Z = X^2 + sigma * eps and of the classical estimators' dimension sweep, from what
``theory`` returns. The chapter runs the examples, passes their results here and glues
what comes back (``results.glue_all``), so its code reads as the experiment.

The glue functions return names without the chapter's prefix; the figure functions take
plain data and return the figure (the chapter has applied ``plots.use_book_style``).

Layer: the book's experiments. May import the library and other experiment modules;
the library never imports this one.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import matplotlib.pyplot as plt
import pandas as pd

from ..classic import default_bins
from . import beside
from .plots import method_colors

VALUE = "value (nats; r has no unit)"
CLASSICAL = ("ksg", "kde", "histogram")


def example_table(r: float, mi_from_r: float, mi_true: float, mi_mc: float, mi_ksg: float,
                  mi_mine: float, n_ksg: int, n_mine: int):
    """The worked example's numbers, one row each, as a styled table without index."""
    table = pd.DataFrame([
        ("Pearson correlation r", r),
        ("Gaussian formula -1/2 log(1 - r^2)", mi_from_r),
        ("numerical integration of h(Z)", mi_true),
        ("Monte Carlo mean of log p(z|x) - log p(z)", mi_mc),
        (f"KSG, k = 3 (mean of {n_ksg} samples)", mi_ksg),
        (f"MINE, held-out split (mean of {n_mine} runs)", mi_mine),
    ], columns=["quantity", VALUE])
    return table.style.format({VALUE: "{:.4f}"}).hide(axis="index")


def curve_glue(curve: pd.DataFrame) -> dict:
    """The MI-against-noise curve (columns sigma, exact, ksg, gaussian formula) in numbers."""
    return {"ksg-err": float((curve["ksg"] - curve["exact"]).abs().max()),
            "formula-max": float(curve["gaussian formula"].max()),
            "mi-min": float(curve["exact"].min()), "mi-max": float(curve["exact"].max()),
            "n": len(curve)}


def square_figure(xs, zs, grid, density, curve: pd.DataFrame, mine_mi: Sequence[float], sigma: float,
                  r: float):
    """Three panels: the sample, the density of Z, and the MI against the noise (the
    estimators on ``curve``, MINE's runs at ``sigma``)."""
    colors = method_colors(["exact", "ksg", "gaussian formula", "mine"])
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.8))
    ax = axes[0]
    ax.scatter(xs[:2000, 0], zs[:2000, 0], s=3, alpha=0.4)
    ax.set(xlabel="x", ylabel="z", title=f"Z = X² + {sigma}·ε   (r = {r:.3f})")
    ax = axes[1]
    ax.hist(zs[:, 0], bins=120, density=True, alpha=0.4, label="samples")
    ax.plot(grid, density, lw=1.5, color="k", label="numerical $p_Z$")
    ax.set(xlim=(-1.5, 8), xlabel="z", ylabel="density", title="density of Z")
    ax.legend()
    ax = axes[2]
    ax.plot(curve["sigma"], curve["exact"], "-", color=colors["exact"], label="numerical integration")
    ax.plot(curve["sigma"], curve["ksg"], "o", color=colors["ksg"], label="KSG (k = 3)")
    ax.plot(curve["sigma"], curve["gaussian formula"], "s", color=colors["gaussian formula"],
            label="Gaussian formula from r")
    ax.plot([sigma] * len(mine_mi), mine_mi, "*", ms=12, color=colors["mine"], label="MINE")
    ax.set(xscale="log", xlabel="noise σ", ylabel="I(X; Z)  [nats]", title="MI against the noise")
    ax.legend()
    return fig


def dimension_glue(pivot: pd.DataFrame, dims: Sequence[int], mi: float, n: int) -> dict:
    """The dimension sweep's numbers and table, from the mean estimate per dimension (rows)
    and estimator (columns): each classical estimator at the smallest and the largest
    dimension, its error there, and the histogram's bins."""
    err = (pivot - mi).abs()
    d_lo, d_hi = min(dims), max(dims)
    glue = {}
    for name in CLASSICAL:
        glue.update({f"{name}-lo": float(pivot.loc[d_lo, name]), f"{name}-hi": float(pivot.loc[d_hi, name]),
                     f"{name}-err-lo": float(err.loc[d_lo, name]), f"{name}-err-hi": float(err.loc[d_hi, name])})
    table = pivot.copy()
    table.columns = [f"{c} (mean)" for c in table.columns]
    glue.update({"ksg-factor": float(err.loc[d_hi, "ksg"] / max(err.loc[d_lo, "ksg"], 1e-12)),
                 "log-n": math.log(n),
                 "kde-note": (" (below zero, which no mutual information can be)"
                              if pivot.loc[d_hi, "kde"] < 0 else ""),
                 "bins-hi": default_bins(n, 2 * d_hi), "bins-lo": default_bins(n, 2 * d_lo), "lo": d_lo,
                 "table": table.style.format("{:.3f}")})
    return glue


def dims_figure(summary: pd.DataFrame, dims: Sequence[int], mi: float, n: int):
    """Two panels: each classical estimator's mean ± sd against the dimension (rows of
    ``summary``: estimator, dim, mean, std), and its absolute error."""
    colors = method_colors(list(CLASSICAL))
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
    for name in CLASSICAL:
        s = summary[summary["estimator"] == name]
        axes[0].errorbar(s["dim"], s["mean"], yerr=s["std"].fillna(0), marker="o", capsize=3,
                         color=colors[name], label=name)
        axes[1].plot(s["dim"], (s["mean"] - mi).abs(), marker="o", color=colors[name], label=name)
    axes[0].axhline(mi, color="k", lw=1, label="true MI")
    axes[0].axhline(math.log(n), color="grey", ls=":", lw=1, label="log n")
    axes[0].set(xscale="log", xlabel="dimension d of X and of Z", ylabel="estimate [nats]",
                title=f"fixed MI, n = {n}")
    axes[0].set_xticks(dims, [str(d) for d in dims])
    axes[0].minorticks_off()
    axes[1].set(xscale="log", yscale="log", xlabel="dimension d of X and of Z",
                ylabel="|mean estimate − true MI| [nats]", title="absolute error")
    axes[1].set_xticks(dims, [str(d) for d in dims])
    axes[1].xaxis.set_minor_locator(plt.NullLocator())
    axes[0].legend(fontsize="small")
    return fig


def recorded_mine_sentence(row: dict, recording: dict | None) -> str:
    """What a current recording says of the MINE claim (``beside.recorded_sentence``), with
    the number of samples that run drew per seed."""
    text = beside.recorded_sentence(row, recording)
    if recording is None or not text.startswith("The recorded"):
        return text
    n = recording["results"]["results"]["square_example"]["n"]
    return f"{text} (That run drew {n:,} samples per seed.)"
