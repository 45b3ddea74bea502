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

from .plots import method_colors

CLASSICAL = ("ksg", "kde", "histogram")


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
