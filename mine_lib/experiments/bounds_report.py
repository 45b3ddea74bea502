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

import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from . import theory
from .plots import method_colors

BOUNDS = ["DV", "f-bound (NWJ)"]


def optimal_table(optimal: pd.DataFrame) -> pd.DataFrame:
    """One row per shift b of the critic log r + b: each bound exact, sampled and its sd."""
    return pd.DataFrame({
        "critic": [f"log r {b:+g}" if b else "log r" for b in optimal["shift"]],
        "DV exact": optimal["dv_exact"], "DV sampled": optimal["dv"], "DV sd": optimal["dv_sd"],
        "f-bound exact": optimal["nwj_exact"], "f-bound sampled": optimal["nwj"], "f-bound sd": optimal["nwj_sd"],
    })


def optimal_glue(optimal: pd.DataFrame, mi: float) -> dict:
    """How far the DV bound of log r + b is from the truth (exact and sampled), and the
    f-bound at b = 1 and b = 0."""
    row1 = optimal[optimal["shift"] == 1.0].iloc[0]
    row0 = optimal[optimal["shift"] == 0.0].iloc[0]
    return {"dv-exact-err": float((optimal["dv_exact"] - mi).abs().max()),
            "dv-mc-err": float((optimal["dv"] - mi).abs().max()), "dv-sd": float(optimal["dv_sd"].max()),
            "nwj1-exact": float(row1["nwj_exact"]), "nwj1-mc": float(row1["nwj"]),
            "nwj0-exact": float(row0["nwj_exact"]), "nwj0-mc": float(row0["nwj"])}


def gap_glue(mc_gap: pd.Series, gap: np.ndarray, values: np.ndarray, big: pd.DataFrame, at2: pd.Series) -> dict:
    """DV minus the f-bound, sampled (``mc_gap``) and exact on the grid (``gap``, with the
    grid's bounds in ``values[..., 0]`` and ``values[..., 1]``); the sampled DV bound
    against its exact value at the large scales (``big``) and at a = 2 (``at2``)."""
    return {"mc-gap-min": float(mc_gap.min()), "mc-gap-frac": float((mc_gap >= 0).mean() * 100),
            "mc-count": int(len(mc_gap)), "grid-gap-min": float(gap.min()), "grid-points": int(gap.size),
            "grid-dv-max": float(values[..., 0].max()), "grid-nwj-max": float(values[..., 1].max()),
            "big-scale": float(big["scale"].min()), "big-above": int((big["dv"] > big["dv_exact"]).sum()),
            "big-count": int(len(big)), "a2-dv-mc": float(at2["dv"]), "a2-dv-exact": float(at2["dv_exact"]),
            "a2-dv-sd": float(at2["dv_sd"])}


def in_repeats(sentence: str) -> str:
    """A decision's sentence with its seeds called repeats (draws of one distribution)."""
    return sentence.replace(" seeds)", " repeats)").replace(" seed)", " repeat)")


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


def spread_glue(spread: pd.DataFrame) -> dict:
    """The spread of both bounds at the optimal critic at the smallest and the largest MI
    (rows of ``spread``), and the f-bound's sd against that of its marginal term alone."""
    term_ratio = float(spread["nwj_sd"].iloc[-1] / spread["marginal_term_sd"].iloc[-1])
    return {"lo-mi": float(spread["mi"].iloc[0]), "hi-mi": float(spread["mi"].iloc[-1]),
            "nwj-lo": float(spread["nwj_sd"].iloc[0]), "nwj-hi": float(spread["nwj_sd"].iloc[-1]),
            "dv-lo": float(spread["dv_sd"].iloc[0]), "dv-hi": float(spread["dv_sd"].iloc[-1]),
            "nwj-factor": float(spread["nwj_sd"].iloc[-1] / spread["nwj_sd"].iloc[0]),
            "term-ratio": term_ratio, "term-verdict": (
                "above that of the marginal term alone: the joint term adds its own variance"
                if term_ratio >= 1 else
                "below that of the marginal term alone; a likely reason, not tested here: the variance of "
                "a mean of r is carried by rare, large values that few of the repeats contain, so the "
                "typical estimate is closer than the variance suggests and the rare one much further off")}


def looseness_glue(dim: int, rho: float, mi: float) -> dict:
    """Exact looseness of the DV bound of a log r (a = 0.9 to 2) and of the f-bound of
    log r + b (b = -2 and 3)."""
    glue = {f"dv-loose-{key}": mi - theory.shifted_critic_bounds(dim, rho, a, 0.0)[0]
            for a, key in [(0.9, "09"), (1.1, "11"), (1.5, "15"), (2.0, "20")]}
    glue.update({f"f-loose-{key}": math.exp(b - 1) - b for b, key in [(-2.0, "m2"), (3.0, "3")]})
    return glue


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
