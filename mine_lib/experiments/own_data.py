"""Chapter 11's sentences: does an estimate settle as the rows grow, is the truth inside the
spread over repeats, and what a model-based estimate reads beside the default; and the
chapter's training figure, tables and glue, so its code reads as the user's steps.

Layer: the book's experiments. May import the library and other experiment modules;
the library never imports this one.
"""

from __future__ import annotations

import dataclasses
import json
import math
import subprocess
import sys
import time
from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from scipy import stats

from . import evidence


def settling(rows: Sequence[int], estimates: Sequence, *, margin: float = 0.05,
             relative: float = 0.05, level: float = 0.95) -> evidence.Decision:
    """Has the estimate settled in the number of rows? The change over the last step (all
    rows against the previous share), with a normal interval from the two estimates'
    standard errors taken as independent (they share rows, so the true interval is narrower:
    this one errs toward "cannot tell"). Settled: the interval lies inside +-max(``margin``,
    ``relative`` x the last estimate); still moving: wholly outside; else cannot tell.
    ``estimates`` are objects with ``mi`` and ``stderr``."""
    f = evidence.fmt_num
    if len(estimates) < 2:
        return evidence.not_tested("the change of the estimate as the rows grow")
    a, b = estimates[-2], estimates[-1]
    bound = max(margin, relative * abs(float(b.mi)))
    change = float(b.mi) - float(a.mi)
    head = (f"From {rows[-2]} to {rows[-1]} rows the estimate moved from {f(a.mi)} to "
            f"{f(b.mi)} nats")
    errors = [float(getattr(e, "stderr", math.nan)) for e in (a, b)]
    if not all(math.isfinite(v) for v in errors):
        return evidence.Decision(evidence.Kind.UNDECIDED, "no standard error",
                                 f"{head}; without a standard error on both, this run "
                                 f"cannot tell whether it has settled.", change, n=2)
    half = float(stats.norm.ppf(0.5 + level / 2)) * math.hypot(*errors)
    low, high = change - half, change + half
    d = evidence.interval_within(change, (low, high), 0.0, bound, n=2, level=level)
    verdict = {evidence.Kind.AGREES: "it has settled: the whole interval lies inside",
               evidence.Kind.DISAGREES: "it is still moving: the whole interval lies outside"}.get(
        d.kind, "this run cannot tell whether it has settled: the interval crosses the edge of")
    sentence = (f"{head}, a change of {f(change)} ({100 * level:g}% CI {f(low)} to {f(high)}, "
                f"from the two estimates' standard errors); {verdict} ±{f(bound)} nats.")
    return dataclasses.replace(d, sentence=sentence)


def settled_word(decision: evidence.Decision) -> str:
    """The short form for a takeaway."""
    return {evidence.Kind.AGREES: "settled", evidence.Kind.DISAGREES: "was still moving"}.get(
        decision.kind, "was not shown to settle")


def repeat_row(label: str, values: Sequence[float], seconds: float, truth: float,
               level: float = 0.95) -> dict:
    """One row of the table of repeats: mean, sd, range, and the t interval of the mean
    (none from fewer than two runs) with whether it holds the truth."""
    v = np.asarray(values, float)
    low = high = math.nan
    if v.size >= 2 and np.all(np.isfinite(v)):
        _, low, high = evidence.t_interval(v, level)
    inside = bool(low <= truth <= high) if math.isfinite(low) else None
    return {"repeats over": label, "mean": float(v.mean()),
            "sd": float(v.std(ddof=1)) if v.size > 1 else math.nan, "min": float(v.min()),
            "max": float(v.max()), "runs": int(v.size), "seconds": float(seconds),
            "CI low": low, "CI high": high, "truth inside": inside}


def cover_sentence(rows: Sequence[dict], truth: float, level: float = 0.95) -> str:
    """Where the truth lies against each row's t interval of the mean."""
    f = evidence.fmt_num
    parts = []
    for r in rows:
        if r["truth inside"] is None:
            parts.append(f"over {r['repeats over']} there is no interval ({r['runs']} run)")
            continue
        where = "inside" if r["truth inside"] else "outside"
        parts.append(f"{where} the interval over {r['repeats over']} ({f(r['CI low'])} to "
                     f"{f(r['CI high'])})")
    runs = min(r["runs"] for r in rows)
    note = (f"; from {runs} runs the t interval is wide, with {runs - 1} degree"
            f"{'s' if runs != 2 else ''} of freedom" if runs < 5 else "")
    return (f"The truth, {f(truth)} nats, is " + " and ".join(parts)
            + f" ({100 * level:g}% t intervals of the mean{note}).")


def gaussian_plugin_mi(x, z) -> float:
    """I(X; Z) of a Gaussian with the sample covariance of (x, z), in nats:
    (log det S_xx + log det S_zz - log det S) / 2. Right when the data are Gaussian."""
    x = np.asarray(x, float).reshape(len(x), -1)
    z = np.asarray(z, float).reshape(len(z), -1)
    s = np.cov(np.hstack([x, z]), rowvar=False)
    dx = x.shape[1]
    logdet = lambda m: np.linalg.slogdet(np.atleast_2d(m))[1]  # noqa: E731
    return float((logdet(s[:dx, :dx]) + logdet(s[dx:, dx:]) - logdet(s)) / 2)


def plugin_sentence(plugin: float, estimate: float, truth: float) -> str:
    """The Gaussian plug-in beside the default on Gaussian data, against the truth."""
    f = evidence.fmt_num
    closer = abs(plugin - truth) < abs(estimate - truth)
    return (f"A Gaussian plug-in estimate (the log-determinants of the sample covariances) "
            f"reads {f(plugin)} nats from the same rows, against the default's {f(estimate)} "
            f"and the truth {f(truth)}: " + ("closer, because here its model holds."
                                            if closer else "no closer, even with its model holding."))




def run_cli(x_path: str, z_path: str, *args) -> tuple[dict, float, str]:
    """Run ``python -m mine_lib estimate X Z --json ARGS`` as a user would, in a new process.
    Returns its JSON, the wall seconds (start of Python included) and what a terminal shows:
    the command, with the files' short names, and its output."""
    command = [sys.executable, "-m", "mine_lib", "estimate", x_path, z_path, "--json", *map(str, args)]
    start = time.perf_counter()
    out = subprocess.run(command, capture_output=True, text=True, check=True)
    seconds = time.perf_counter() - start
    shown = "$ python -m mine_lib estimate x.csv z.csv --json " + " ".join(map(str, args)) + "\n" + out.stdout.strip()
    return json.loads(out.stdout), seconds, shown


# ---------------------------------------------------------------- figures, tables and glue

def api_glue(result, cli_mi: float) -> dict:
    """What the Python call returned, and whether it equals the command line's number
    (names without the chapter's prefix). ``result`` is an ``MIEstimate`` of the default."""
    verdict = ("the same number as the command line" if result.mi == cli_mi else
               f"differs from the command line by {abs(result.mi - cli_mi):.2e} nats")
    return {"api_mi": result.mi, "api_verdict": verdict, "api_steps": result.steps,
            "api_best": result.best_step, "api_ntest": result.n_test,
            "api_low": result.lower_bound, "api_level": 100 * result.lower_level,
            "api_accounts": result.lower_accounts_for,
            "api_folds": len(result.history["fold_estimates"])}


def training_figure(history: dict, best_step: int, estimate: tuple[float, float, float], truth: float):
    """The validation curve of each fold's critic over the steps, the step kept, the
    estimate (``estimate``: value, lower bound, its level in %) and the truth."""
    mi, low, level = estimate
    fig, ax = plt.subplots(figsize=(6.5, 3.6))
    curves = np.atleast_2d(history["val_estimate"])
    for f in range(curves.shape[1]):
        ax.plot(history["val_step"], curves[:, f], marker="o", ms=2, lw=1, alpha=0.7,
                label="validation, one critic per fold" if f == 0 else None)
    ax.axvline(best_step, color="grey", ls=":", label="kept critics (median step)")
    ax.axhline(mi, color="black", lw=1, label=f"estimate {mi:.3f}")
    ax.axhline(low, color="black", lw=1, ls="-.", label=f"{level:g} % lower bound {low:.3f}")
    ax.axhline(truth, color="red", ls="--", lw=1, label=f"truth {truth:.3f}")
    ax.set_xlabel("step")
    ax.set_ylabel("estimate (nats)")
    lo = np.nanmin(curves) if curves.size else 0.0
    ax.set_ylim(min(lo, 0.0) - 0.1, max(truth, np.nanmax(curves)) + 0.4)
    ax.legend(fontsize=7, loc="lower right")
    return fig


def growth_glue(growth: pd.DataFrame, settled: evidence.Decision) -> dict:
    """The estimate on the fewest and on all rows, and whether it settled (names without prefix)."""
    return {"growth_first": float(growth["estimate"].iloc[0]),
            "growth_first_rows": int(growth["rows"].iloc[0]),
            "growth_last": float(growth["estimate"].iloc[-1]),
            "settle_sentence": settled.sentence, "settle_verdict": settled_word(settled)}


def warnings_fired(cases) -> evidence.Decision:
    """Does each case built to trigger a warning show it? ``cases``: (label, estimate, the
    warning code it was built for or None)."""
    missed = [label for label, r, code in cases if code and not any(w.code == code for w in r.warnings)]
    return evidence.holds_everywhere(len(missed), sum(key is not None for *_, key in cases),
                                     "Each warning fires on the case built to trigger it",
                                     cases="cases")


def growth_case_glue(result) -> dict:
    """The half-rows estimate of a ``growth_check`` run and whether it warned "likely-higher"."""
    growth = result.history.get("growth") or {}
    higher = [w for w in result.warnings if w.code == "likely-higher"]
    if any("rises with the rows" in w for w in higher):
        sentence = ("The rise is beyond the noise of the two estimates, so the default warns "
                    "that the truth is likely higher.")
    elif higher:
        sentence = ("The rise is within the noise of the two estimates; the default warns that "
                    "the truth is likely higher because its fold critics disagree.")
    else:
        sentence = "The rise is within the noise of the two estimates, so the default does not warn."
    return {"tail_half": growth.get("mi", math.nan), "tail_half_rows": growth.get("rows", 0),
            "tail_sentence": sentence}


def warnings_table(cases):
    """Each case's estimate, lower bound and warnings, one a line (a styled table)."""
    rows = [{"data": label, "estimate": r.mi, "lower bound": r.lower_bound,
             "warnings": "\n".join(r.warnings) or "(none)"} for label, r, _ in cases]
    return pd.DataFrame(rows).set_index("data").style.format(precision=3).set_properties(
        subset=["warnings"], **{"white-space": "pre-wrap", "text-align": "left"})


def method_row(method: str, result, truth: float) -> dict:
    """One row of the table of methods on the same rows."""
    return {"method": method, "estimate": result.mi, "estimate / truth": result.mi / truth,
            "seconds": result.seconds, "steps": result.steps}


def closest_glue(methods: pd.DataFrame) -> dict:
    """The method closest to the truth, its ratio and KSG's (names without prefix)."""
    closest = methods["estimate / truth"].sub(1).abs().idxmin()
    return {"closest": closest, "closest_ratio": float(methods.loc[closest, "estimate / truth"]),
            "ksg_ratio": float(methods.loc["ksg", "estimate / truth"])}
