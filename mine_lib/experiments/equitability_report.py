"""Chapter 05's report: the tables, decisions and sentences of the equitability study, from
the rows that ``equitability.equitability_study`` returns (one per method, function, sigma
and seed) and their ``sweeps.summarize``. The chapter runs the study and glues what comes
back, so its code reads as the experiment.

Layer: the book's experiments. May import the library and other experiment modules;
the library never imports this one.
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from . import evidence
from .beside import decision_text
from .equitability import true_mi
from .sweeps import estimates, fmt_cell, tolerance_over

LABELS = {"x": "f(x) = x", "x^3": "f(x) = x³", "sin(x)": "f(x) = sin x"}
SHORT = {"within tolerance": "yes", "outside tolerance": "no", "underpowered": "cannot tell",
         "one seed, no spread": "one seed, no spread", "nan": "nan"}


def method_name(method: str) -> str:
    return "MINE" if method == "mine" else "KSG"


def size_rows(config, n: int, sigmas, seeds, abs_tol: float, rel_tol: float, profile: str) -> dict[str, str]:
    return {
        "profile": profile,
        "statistics network": f"concatenation MLP, ReLU, hidden layers {config.hidden}",
        "training": (f"Adam, learning rate {config.lr:g}, batch {config.batch_size}, {config.max_steps} steps "
                     f"(validation every {config.eval_every}, best state kept)"),
        "samples per run": (f"{n} (validation {config.val_fraction:.0%}, test {config.test_fraction:.0%}, "
                            f"the rest for training; KSG uses all of them, k = 3)"),
        "σ values": ", ".join(f"{s:g}" for s in sigmas),
        "seeds": ", ".join(map(str, seeds)),
        "tracks the truth": f"|mean − truth| ≤ max({abs_tol:g} nats, {rel_tol:.0%} of the truth)",
    }


def truth_glue(functions, sigmas) -> dict:
    """The truth at the smallest and largest sigma, per function, and its range over them."""
    out = {}
    for tag, s in (("small", min(sigmas)), ("large", max(sigmas))):
        values = {f: true_mi(f, s) for f in functions}
        out[f"sigma-{tag}"] = float(s)
        out[f"range-{tag}"] = float(max(values.values()) - min(values.values()))
        out.update({f"truth-{tag}-{key}": float(values[f]) for f, key in zip(functions, ("x", "x3", "sin"))})
    return out


def truth_figure(truth_curves: pd.DataFrame, functions, colors: dict) -> plt.Figure:
    """The true I(X; Y) of each function against the noise level (solid), with its small-noise
    limit (dotted)."""
    fig, ax = plt.subplots(figsize=(7.5, 4.5))
    for f in functions:
        c = truth_curves[truth_curves["f"] == f]
        ax.plot(c["sigma"], c["true_mi"], "-", color=colors[f], label=f"{LABELS[f]}: true I(X; Y)")
        ax.plot(c["sigma"], c["limit"], ":", color=colors[f], lw=1)
    ax.set(xscale="log", xlabel="noise level σ", ylabel="I(X; Y) [nats]", ylim=(0, None),
           title="the truth is not the same for every f")
    ax.legend(fontsize="small")
    return fig


def study_figure(truth_curves: pd.DataFrame, summary: pd.DataFrame, functions, colors: dict,
                 abs_tol: float) -> plt.Figure:
    """Left: the truth and the estimates per function (dots: MINE ± sd, squares: KSG); right:
    each method's mean error against the noise level, with the ±``abs_tol`` band."""
    fig, axes = plt.subplots(1, 2, figsize=(13.5, 4.6))
    ax = axes[0]
    for f in functions:
        c = truth_curves[truth_curves["f"] == f]
        ax.plot(c["sigma"], c["true_mi"], "-", color=colors[f], lw=1, label=f"{LABELS[f]}: truth")
        m = summary[(summary["method"] == "mine") & (summary["f"] == f)]
        ax.errorbar(m["sigma"], m["mean"], yerr=m["sd"].fillna(0.0), fmt="o", capsize=3, color=colors[f],
                    label=f"MINE, {LABELS[f]}")
        k = summary[(summary["method"] == "ksg") & (summary["f"] == f)]
        ax.plot(k["sigma"], k["mean"], "s", mfc="none", ms=7, color=colors[f])
    ax.set(xscale="log", xlabel="noise level σ", ylabel="MI [nats]", title="estimates (dots: MINE, squares: KSG)")
    ax.legend(fontsize="x-small")
    ax = axes[1]
    for f in functions:
        for method, style in (("mine", "o-"), ("ksg", "s--")):
            m = summary[(summary["method"] == method) & (summary["f"] == f)]
            ax.plot(m["sigma"], m["bias"], style, color=colors[f], mfc="none" if method == "ksg" else None,
                    label=f"{method.upper() if method == 'ksg' else 'MINE'}, {LABELS[f]}")
    ax.axhspan(-abs_tol, abs_tol, color="grey", alpha=0.2, lw=0)
    ax.axhline(0, color="k", lw=1)
    ax.set(xscale="log", xlabel="noise level σ", ylabel="mean estimate − truth [nats]", title="errors")
    ax.legend(fontsize="x-small", ncol=2)
    return fig


def track(table: pd.DataFrame, method: str, what: str, abs_tol: float, rel_tol: float, **where) -> evidence.Decision:
    """Does ``method`` track the truth of one cell, within max(abs_tol, rel_tol x truth)?"""
    truth = float(table[np.logical_and.reduce([table[k] == v for k, v in where.items()])]["true_mi"].iloc[0])
    return evidence.tracks_truth(estimates(table, method=method, **where), truth, max(abs_tol, rel_tol * abs(truth)),
                                 what=what, unit="nats")


def cell_decisions(runs: pd.DataFrame, methods, functions, sigmas, abs_tol: float, rel_tol: float) -> dict:
    """One ``track`` decision per (method, function, sigma)."""
    return {(m, f, s): track(runs, m, f"{method_name(m)} for {LABELS[f]} at σ = {s:g}", abs_tol, rel_tol,
                             f=f, sigma=s)
            for m in methods for f in functions for s in sigmas}


def study_table(runs: pd.DataFrame, summary: pd.DataFrame, cells: dict, functions, sigmas) -> pd.DataFrame:
    rows = []
    for f in functions:
        for s in sigmas:
            row = summary[(summary["f"] == f) & (summary["sigma"] == s)].set_index("method")
            status = cells[("mine", f, s)].status
            rows.append({"f": LABELS[f], "σ": f"{s:g}", "true MI": f"{row.loc['mine', 'true_mi']:.3f}",
                         "MINE": fmt_cell(estimates(runs, method="mine", f=f, sigma=s)),
                         "optimal critic (MINE's test rows)": f"{row.loc['mine', 'oracle_mean']:.3f}",
                         "KSG": fmt_cell(estimates(runs, method="ksg", f=f, sigma=s)),
                         "MINE tracks": SHORT.get(status, status)})
    return pd.DataFrame(rows)


def tracked_over_cells(cells: dict, methods, functions, sigmas) -> dict:
    """Per method, one decision over every (function, sigma) cell."""
    return {m: tolerance_over([(f"{LABELS[f]} at σ = {s:g}", cells[(m, f, s)]) for f in functions for s in sigmas],
                              f"{method_name(m)} over the {len(functions) * len(sigmas)} (function, σ) cells")
            for m in methods}


def good_from(cells: dict, functions, sigmas) -> str:
    """The smallest sigma from which on MINE measurably tracks every function."""
    ok = pd.Series({s: all(cells[("mine", f, s)].kind == "agrees" for f in functions) for s in sorted(sigmas)})
    good = [s for s in ok.index if ok.loc[s:].all()]
    return (f"from σ = {good[0]:g} up, MINE measurably tracks every function" if good
            else "at no σ of this run, up to the largest, does MINE measurably track every function")


def worst_glue(summary: pd.DataFrame) -> dict:
    """MINE's worst cell (largest |mean - truth|) and how its error splits."""
    mine = summary[summary["method"] == "mine"].copy()
    worst = mine.loc[mine["bias"].abs().idxmax()]
    return {"worst-f": LABELS[worst["f"]], "worst-sigma": float(worst["sigma"]), "worst-bias": float(worst["bias"]),
            "worst-truth": float(worst["true_mi"]), "worst-noise": float(worst["oracle_mean"] - worst["true_mi"]),
            "worst-gap": float(worst["mean"] - worst["oracle_mean"]),
            "worst-x3": ("; the flat stretch of x³ near x = 0, where its ridge is hardest to follow, would fit "
                         "that reading" if worst["f"] == "x^3" else "")}


def dependence(runs: pd.DataFrame, functions, sigmas):
    """Does MINE's estimate depend on f? The two functions whose truth differs most at the
    sigma nearest 0.1, paired by seed (same draws), tested for equivalence within the truth's
    gap. Returns (decision, facts, glue)."""
    s_ref = min(sigmas, key=lambda s: abs(math.log(s / 0.1)))
    truths = {f: float(true_mi(f, s_ref)) for f in functions}
    f_hi, f_lo = max(truths, key=truths.get), min(truths, key=truths.get)
    gap = truths[f_hi] - truths[f_lo]
    dep = evidence.difference(estimates(runs, method="mine", f=f_hi, sigma=s_ref),
                              estimates(runs, method="mine", f=f_lo, sigma=s_ref), paired=True,
                              names=(f"MINE for {LABELS[f_hi]}", f"MINE for {LABELS[f_lo]}"),
                              what=f"the estimate at σ = {s_ref:g}", unit="nats", higher_is_better=None,
                              expected="a=b", smallest_effect=gap)
    glue = {"ref-sigma": float(s_ref), "ref-truth-gap": gap, "ref-fhi": LABELS[f_hi], "ref-flo": LABELS[f_lo],
            "depends": dep.sentence, "follow": dependence_reading(dep)}
    return dep, {"s_ref": s_ref, "f_hi": f_hi, "f_lo": f_lo, "truth_gap": gap}, glue


def dependence_reading(dep: evidence.Decision) -> str:
    if dep.measured and dep.estimate > 0:
        return ("So MINE's estimate depends on f, in the direction of the truth: that is what a correct estimator "
                "must do, and it is not the heatmap's reading")
    if dep.measured:
        return "So MINE's estimate depends on f, but in the opposite direction to the truth"
    if dep.status == "equivalent":  # inside ±the truth's gap
        return ("So MINE does not separate the two functions as much as the truth does: the heatmap's reading "
                "holds for MINE, and MINE is wrong for at least one of them")
    return "So this run cannot tell whether MINE's estimate follows the truth's dependence on f"


def claims_table(dep, facts: dict, tracked: dict, cells: dict, functions, sigmas):
    """The paper's two claims beside this run: rows of (claim, paper, decision, this run)."""
    n_in = sum(d.kind == "agrees" for (m, _, _), d in cells.items() if m == "mine")
    return [
        ("the estimate depends on σ, not on f", "similar estimates for x, x³, sin x at each σ (heatmap, read by eye)",
         dep, f"σ = {facts['s_ref']:g}: truth gap {facts['truth_gap']:.3f} nats between {LABELS[facts['f_hi']]} "
              f"and {LABELS[facts['f_lo']]}; MINE gap {dep.estimate:+.3f}"),
        ("MINE tracks the true MI of every (f, σ) within tolerance", "no reference values shown", tracked["mine"],
         f"{n_in} of {len(functions) * len(sigmas)} cells measurably within tolerance"),
    ]


def claims_frame(rows) -> pd.DataFrame:
    return pd.DataFrame([{"claim": c, "the paper": p, "this run": t, "decision": decision_text(d)}
                         for c, p, d, t in rows])


def wide_findings(wide: pd.DataFrame, wide_sum: pd.DataFrame, domains: dict, sigmas, abs_tol: float,
                  rel_tol: float):
    """sin x on its monotone branch against three periods: the table, MINE's tracking on each
    domain and whether folding the domain changes MINE's estimate (paired by seed). Returns
    (the folding decision, glue)."""
    labels = list(domains)
    gap = max(abs(true_mi("sin(x)", s, *domains[labels[0]]) - true_mi("sin(x)", s, *domains[labels[1]]))
              for s in sigmas)
    rows = []
    for s in sigmas:
        for label in labels:
            cell = wide_sum[(wide_sum["domain"] == label) & (wide_sum["sigma"] == s)].set_index("method")
            rows.append({"X": label, "σ": f"{s:g}", "true MI": f"{cell.loc['mine', 'true_mi']:.3f}",
                         "MINE": fmt_cell(estimates(wide, method="mine", domain=label, sigma=s)),
                         "optimal critic (MINE's test rows)": f"{cell.loc['mine', 'oracle_mean']:.3f}",
                         "KSG": fmt_cell(estimates(wide, method="ksg", domain=label, sigma=s))})
    s_mid = sigmas[len(sigmas) // 2]
    mid = wide_sum[wide_sum["sigma"] == s_mid].set_index(["method", "domain"])
    glue = {"wide-truth-gap": f"{gap:.1e}", "wide-table": pd.DataFrame(rows), "wide-sigma": float(s_mid),
            "wide-truth": float(mid.loc[("mine", labels[0]), "true_mi"]),
            "wide-oracle-periods": float(mid.loc[("mine", labels[1]), "oracle_mean"])}
    for key, label in zip(("branch", "periods"), labels):
        glue[f"wide-mine-{key}"] = float(mid.loc[("mine", label), "mean"])
        glue[f"wide-ksg-{key}"] = float(mid.loc[("ksg", label), "mean"])
    for key, label in zip(("branch", "periods"), labels):
        glue[f"wide-{key}"] = tolerance_over(
            [(f"σ = {s:g}", track(wide, "mine", f"MINE, {label}, σ = {s:g}", abs_tol, rel_tol, domain=label, sigma=s))
             for s in sigmas], f"MINE on the {label.split(',')[0]}").sentence
    fold = evidence.difference(estimates(wide, method="mine", domain=labels[1], sigma=s_mid),
                               estimates(wide, method="mine", domain=labels[0], sigma=s_mid), paired=True,
                               names=("MINE over three periods", "MINE on the monotone branch"),
                               what=f"the estimate at σ = {s_mid:g}", unit="nats", higher_is_better=True)
    glue["wide-fold"] = fold.sentence
    return fold, glue
