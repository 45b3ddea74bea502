"""Chapter 02's report: the table, figures and glued numbers of the Donsker-Varadhan and
f-divergence bounds for critics built from the optimal one, from what ``theory`` returns
(``sampled_critic_bounds`` summarised by ``bound_summary``, ``shifted_critic_bounds`` on
grids). The chapter computes the bounds, passes them here and glues what comes back
(``results.glue_all``), so its code reads as the experiment.

The glue functions return names without the chapter's prefix; the figure functions take
plain data and return the figure (the chapter has applied ``plots.use_book_style``).

Layer: the book's experiments. May import the library and other experiment modules;
the library never imports this one.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from . import theory
from .plots import method_colors

BOUNDS = ["DV", "f-bound (NWJ)"]


def bound_panel(ax, fine, exact: np.ndarray, summary: pd.DataFrame, column: str, colors: dict) -> None:
    """Both exact bounds along ``fine`` and both sampled ones (mean ± sd) along ``column``."""
    ax.plot(fine, exact[:, 0], color=colors["DV"], label="DV, exact")
    ax.plot(fine, exact[:, 1], color=colors["f-bound (NWJ)"], label="f-bound, exact")
    ax.errorbar(summary[column], summary["dv"], yerr=summary["dv_sd"], fmt="o", ms=4, capsize=2,
                color=colors["DV"], label="DV, sampled")
    ax.errorbar(summary[column], summary["nwj"], yerr=summary["nwj_sd"], fmt="s", ms=4, capsize=2,
                color=colors["f-bound (NWJ)"], label="f-bound, sampled")


def shift_scale_figure(fine_b, exact_b: np.ndarray, by_shift: pd.DataFrame, fine_a, exact_a: np.ndarray,
                       by_scale: pd.DataFrame, mi: float, scale_max: float):
    """Two panels: both bounds against the shift b of log r + b, and against the scale a of
    a log r + 1 (exact curves, sampled means ± sd, the truth)."""
    colors = method_colors(BOUNDS)
    fig, axes = plt.subplots(1, 2, figsize=(12, 4))
    ax = axes[0]
    bound_panel(ax, fine_b, exact_b, by_shift, "shift", colors)
    ax.axhline(mi, color="k", lw=1, ls="--", label="KL = I(X; Z)")
    ax.set(xlabel="shift b   (critic log r + b)", ylabel="bound [nats]", ylim=(mi - 3, mi + 0.3),
           title="shifting the optimal critic")
    ax.legend(fontsize="small")
    ax = axes[1]
    bound_panel(ax, fine_a, exact_a, by_scale, "scale", colors)
    ax.axhline(mi, color="k", lw=1, ls="--")
    ax.axvline(scale_max, color="grey", ls=":", lw=1, label="1 + 1/ρ: E_Q[r^a] = ∞")
    ax.set(xlabel="scale a   (critic a log r + 1)", ylabel="bound [nats]", ylim=(mi - 3, mi + 0.3),
           title="scaling the optimal critic")
    ax.legend(fontsize="small")
    return fig


def gap_figure(grid_a, grid_b, gap: np.ndarray, dim: int, rho: float):
    """DV minus the f-bound over the (scale a, shift b) grid (``gap[b, a]``), with the curve
    where the gap is zero and the two optima."""
    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    mesh = ax.pcolormesh(grid_a, grid_b, np.log10(np.maximum(gap, 1e-6)), shading="auto", cmap="viridis")
    fig.colorbar(mesh, ax=ax, label="log10 (DV − f-bound)")
    zero_curve = [1 - theory.log_ratio_moment(dim, rho, a) for a in grid_a]
    ax.plot(grid_a, zero_curve, "w--", lw=1.2, label="E_Q[e^T] = e  (gap 0)")
    ax.plot([1.0], [0.0], "r*", ms=11, label="log r (DV optimum)")
    ax.plot([1.0], [1.0], "wo", ms=6, label="log r + 1 (both optima)")
    ax.set(xlabel="scale a", ylabel="shift b", title="DV minus f-bound for T = a log r + b", ylim=(-3, 3))
    ax.legend(fontsize="small", loc="lower left")
    return fig


def spread_figure(spread: pd.DataFrame, n: int):
    """The sampled sd of both bounds at the optimal critic against the true MI, beside the
    marginal term's sd and the Song-Ermon scale sqrt((e^I - 1)/n)."""
    fig, ax = plt.subplots(figsize=(6.5, 4))
    colors = method_colors(["DV", "f-bound (NWJ)", "var of the marginal term", "Song & Ermon"])
    ax.plot(spread["mi"], spread["dv_sd"], "o-", color=colors["DV"], label="DV at log r, sampled sd")
    ax.plot(spread["mi"], spread["nwj_sd"], "s-", color=colors["f-bound (NWJ)"],
            label="f-bound at log r + 1, sampled sd")
    ax.plot(spread["mi"], spread["marginal_term_sd"], ":", color=colors["var of the marginal term"],
            label="sqrt((E_Q[r²] − 1)/n)")
    ax.plot(spread["mi"], spread["song_ermon_sd"], "--", color=colors["Song & Ermon"], label="sqrt((e^I − 1)/n)")
    ax.set(yscale="log", xlabel="true MI [nats]", ylabel="standard deviation [nats]",
           title=f"spread at the optimal critic, n = {n}")
    ax.legend(fontsize="small")
    return fig
