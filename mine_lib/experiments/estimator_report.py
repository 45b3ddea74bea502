"""Chapter 03's report: what the trained critics learned, the gradient bias of the DV
minibatch estimate and MINE's consistency, turned into tables, decisions and sentences.
The chapter runs the experiments (``estimate_mi``, ``theory.gradient_bias``,
``theory.consistency_sweep``) and glues what comes back, so its code reads as the
experiment.

Layer: the book's experiments. May import the library and other experiment modules;
the library never imports this one.
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from . import evidence, theory
from .plots import method_colors

KEYS = {"mine": "mine", "mine-f": "minef", "dv": "dv"}   # method -> its glue names


def critic_fits(runs: dict, x, z, log_r: np.ndarray) -> dict:
    """Each trained network against the optimal critic on fresh pairs: T = slope * log r +
    intercept, with the correlation and the network's scores."""
    fits = {}
    for m, run in runs.items():
        t = theory.critic_scores(run.critic, x, z)
        slope, intercept = np.polyfit(log_r, t, 1)
        fits[m] = {"slope": float(slope), "intercept": float(intercept),
                   "corr": float(np.corrcoef(log_r, t)[0, 1]), "scores": t}
    return fits


def training_summary(runs: dict, fits: dict, true_mi: float) -> pd.DataFrame:
    return pd.DataFrame([{
        "method": m, "test estimate": run.mi, "error": run.mi - true_mi, "steps": run.steps,
        "best step": run.best_step, "seconds": run.seconds, "fit slope": fits[m]["slope"],
        "fit intercept": fits[m]["intercept"], "corr(T, log r)": fits[m]["corr"],
    } for m, run in runs.items()])


def training_glue(runs: dict, fits: dict, true_mi: float) -> dict:
    out = {"n-test": int(runs["mine"].n_test)}
    for m, key in KEYS.items():
        out.update({f"est-{key}": float(runs[m].mi), f"err-{key}": float(abs(runs[m].mi - true_mi)),
                    f"steps-{key}": int(runs[m].steps), f"slope-{key}": fits[m]["slope"],
                    f"icpt-{key}": fits[m]["intercept"], f"corr-{key}": fits[m]["corr"]})
    return out


def training_figure(x, z, runs: dict, fits: dict, log_r: np.ndarray, true_mi: float, colors: dict) -> plt.Figure:
    """Three panels: joint and shuffled pairs, each run's training curve (dots: validation),
    and each trained network's scores against the optimal critic log r."""
    fig, axes = plt.subplots(1, 3, figsize=(14, 4))
    ax = axes[0]
    perm = np.random.default_rng(0).permutation(2000)
    ax.scatter(x[:2000, 0], z[:2000, 0], s=3, alpha=0.4, label="joint pairs (x_i, z_i)")
    ax.scatter(x[:2000, 0], z[perm, 0], s=3, alpha=0.4, label="shuffled pairs (x_i, z_π(i))")
    ax.set(xlabel="x", ylabel="z", title="samples of P_XZ and of P_X ⊗ P_Z")
    ax.legend(fontsize="small", markerscale=3)
    ax = axes[1]
    for m, run in runs.items():
        curve = pd.Series(run.history["train_estimate"]).rolling(50, min_periods=1).mean()
        ax.plot(np.arange(1, len(curve) + 1), curve, color=colors[m], lw=1, alpha=0.8,
                label=f"{m}, train (smoothed)")
        ax.plot(run.history["val_step"], run.history["val_estimate"], "o", ms=3, color=colors[m])
    ax.axhline(true_mi, color="k", ls="--", lw=1, label="true MI")
    ax.set(xlabel="step", ylabel="bound [nats]", title="training (dots: validation)",
           ylim=(min(-0.2, true_mi - 1), true_mi + 0.5))
    ax.legend(fontsize="small")
    ax = axes[2]
    for m in runs:
        ax.scatter(log_r[:1500], fits[m]["scores"][:1500], s=3, alpha=0.4, color=colors[m], label=m)
    lims = np.array([log_r.min(), log_r.max()])
    ax.plot(lims, lims, "k--", lw=1, label="log r")
    ax.plot(lims, lims + 1, "k:", lw=1, label="log r + 1")
    ax.set(xlabel="log r(x, z)  (optimal critic)", ylabel="trained T(x, z)", title="what the network learns")
    ax.legend(fontsize="small", markerscale=3)
    return fig


def label_bias(bias: pd.DataFrame) -> pd.DataFrame:
    """``theory.gradient_bias``'s rows with a label per curve and whether each bias is
    resolved (above twice its noise floor)."""
    out = bias.copy()
    out["label"] = [m if m != "mine" else f"mine, r = {r:g}" for m, r in zip(out["method"], out["rate"])]
    out["resolved"] = out["bias_norm"] > 2 * out["noise_norm"]
    return out


def dv_slope(dv: pd.DataFrame):
    """The log-log slope of DV's resolved biases against the batch size: weighted by each
    point's noise floor with a normal interval from three points on, unweighted with no
    interval from two, NaN below. Returns (slope, interval or None, points used)."""
    points = dv[dv["resolved"]]
    if len(points) >= 3:
        slope, *ci = theory.weighted_loglog_slope(points.index, points["bias_norm"], points["noise_norm"])
        return slope, ci, points
    slope = theory.loglog_slope(points.index, points["bias_norm"]) if len(points) >= 2 else float("nan")
    return slope, None, points


def mine_row(bias: pd.DataFrame, rate: float, batch: int) -> pd.Series:
    return bias[(bias["method"] == "mine") & (bias["rate"] == rate) & (bias["batch_size"] == batch)].iloc[0]


def bias_decisions(bias: pd.DataFrame, rates, groups: int):
    """The rule of evidence on the gradient bias: DV's slope against the delta method's -1,
    each moving average against plain DV at the smallest batch, and the control (the
    sign-flip test of no bias on the f-bound, Holm over the batch sizes). Returns
    (slope, its interval, points used, slope decision, moving-average decisions by rate,
    control decision, the control's Holm-adjusted p-values)."""
    dv = bias[bias["method"] == "dv"].set_index("batch_size")
    slope, ci, points = dv_slope(dv)
    dec_slope = evidence.interval_within(slope, ci, -1.0, 0.25, n=len(points), what="The log-log slope of the DV bias",
                                         against="the delta method's", how="weighted by the noise floors", level=0.95)
    b_lo = int(dv.index.min())
    ema = {}
    for r in rates:
        row, d_row = mine_row(bias, r, b_lo), dv.loc[b_lo]
        gap = float(d_row["bias_norm"] - row["bias_norm"])
        half = 1.96 * math.hypot(d_row["noise_norm"], row["noise_norm"])
        ema[r] = evidence.from_interval(
            gap, (gap - half, gap + half), n=groups, names=("Plain DV", f"the moving average with r = {r:g}"),
            what=f"gradient bias at B = {b_lo}", how="normal interval from the noise floors",
            expected="a>b", higher_is_better=False)
    nwj = bias[bias["method"] == "mine-f"]
    nwj_p = evidence.holm_adjust(nwj["bias_p"].tolist())
    dec_nwj = evidence.holds_everywhere(sum(p < 0.05 for p in nwj_p), len(nwj),
                                        "The f-bound's gradient shows no bias that a test at the 5 % level "
                                        "finds after Holm's correction", cases="batch sizes")
    return slope, ci, points, dec_slope, ema, dec_nwj, nwj_p


def bias_glue(bias: pd.DataFrame, rates, groups: int, b_mid: int, slope, points, dec_slope, ema, dec_nwj,
              nwj_p) -> dict:
    """The numbers and sentences of the gradient-bias section (names without a prefix)."""
    dv = bias[bias["method"] == "dv"].set_index("batch_size")
    unresolved = [int(b) for b in dv.index[~dv["resolved"]]]
    out = {"dv-slope": slope, "dv-slope-points": int(len(points)), "dv-slope-sentence": dec_slope.sentence,
           "dv-slope-kind": dec_slope.kind, "ema-hi-sentence": ema[rates[0]].sentence,
           "ema-lo-sentence": ema[rates[1]].sentence, "ema-lo-kind": ema[rates[1]].kind,
           "nwj-sentence": dec_nwj.sentence, "nwj-p-min": float(min(nwj_p)), "groups": groups,
           "full-norm": float(dv["full_norm"].iloc[0]), "b-mid": int(b_mid),
           "dv-unresolved": ", ".join(map(str, unresolved)) if unresolved else "none"}
    for b, tag in [(int(dv.index.min()), "lo"), (b_mid, "mid")]:
        out.update({f"dv-bias-{tag}": float(dv.loc[b, "bias_norm"]), f"dv-{tag}": theory.describe_bias(dv.loc[b]),
                    f"dv-rel-{tag}": float(dv.loc[b, "relative_bias"]),
                    f"dv-term-rel-{tag}": float(dv.loc[b, "bias_norm"] / dv.loc[b, "term_norm"] * 100)})
        for r, key in zip(rates, ("hi", "lo")):
            row = mine_row(bias, r, b)
            out[f"mine-{key}-{tag}"] = theory.describe_bias(row)
            out[f"mine-{key}-factor-{tag}"] = theory.bias_reduction(dv.loc[b], row)
    return out


def bias_figure(bias: pd.DataFrame, batches) -> plt.Figure:
    """The bias of each curve against the batch size (open triangles: not resolved, drawn at
    the larger of bias and noise floor), its noise floor (dotted), a 1/B line through DV's
    first point and the full-sample gradient's norm."""
    dv = bias[bias["method"] == "dv"].set_index("batch_size")
    labels = list(dict.fromkeys(bias["label"]))
    colors = method_colors(labels)
    fig, ax = plt.subplots(figsize=(7.5, 4.6))
    for label in labels:
        s = bias[bias["label"] == label]
        ok = s["resolved"]
        ax.plot(s["batch_size"][ok], s["bias_norm"][ok], "o-", color=colors[label], label=f"{label}: bias")
        ax.plot(s["batch_size"][~ok], np.maximum(s["bias_norm"][~ok], s["noise_norm"][~ok]), "v",
                mfc="none", color=colors[label])
        ax.plot(s["batch_size"], s["noise_norm"], ":", color=colors[label], lw=1)
    ref_b = np.array([batches[0], batches[-1]], dtype=float)
    ax.plot(ref_b, dv["bias_norm"].iloc[0] * ref_b[0] / ref_b, "k--", lw=1, label="∝ 1/B")
    ax.axhline(float(dv["full_norm"].iloc[0]), color="grey", lw=1, label="|full-sample gradient| (DV)")
    ax.set(xscale="log", yscale="log", xlabel="batch size B", ylabel="|E[minibatch gradient] − full gradient|",
           title="gradient bias of a fixed critic")
    ax.set_xticks(batches, [str(b) for b in batches])
    ax.legend(fontsize="small")
    return fig


def rmse(errors) -> float:
    return float(np.sqrt(np.mean(np.square(errors))))


def consistency_summary(sweep: pd.DataFrame) -> pd.DataFrame:
    """Per sample size: each trained critic read on fresh pairs (the estimator's error, not
    the read-out's noise), and the test-split estimate for comparison."""
    return sweep.groupby("n").agg(mean=("fresh_estimate", "mean"), sd=("fresh_estimate", "std"),
                                  rmse=("fresh_error", rmse), bias=("fresh_error", "mean"),
                                  rmse_test=("error", rmse), seconds=("seconds", "sum")).reset_index()


def consistency_table(agg: pd.DataFrame) -> pd.DataFrame:
    return agg.rename(columns={"mean": "mean estimate", "sd": "sd", "rmse": "RMSE", "bias": "mean error",
                               "rmse_test": "RMSE (test split)", "seconds": "seconds (all seeds)"})


def consistency_findings(sweep: pd.DataFrame, agg: pd.DataFrame, sizes, seeds):
    """Does the error fall as n grows (the largest n against the smallest, over seeds), and
    like n^(-1/2) (the slope over the seeds' own slopes)? Returns (slope, its interval,
    test-split slope, consistency decision, rate decision, glue)."""
    slope, *ci = theory.rmse_slope_interval(sweep["n"], sweep["fresh_error"], sweep["seed"])
    slope_test = theory.loglog_slope(agg["n"], agg["rmse_test"])
    d_params = int(sweep["parameters"].iloc[0])
    eps = float(agg["rmse"].iloc[-1])
    abs_err = {n: sweep.loc[sweep["n"] == n, "fresh_error"].abs().to_numpy() for n in sizes}
    consistent = evidence.difference(abs_err[sizes[-1]], abs_err[sizes[0]], paired=False,
                                     names=(f"n = {sizes[-1]}", f"n = {sizes[0]}"), what="absolute error",
                                     unit="nats", higher_is_better=False, expected="a<b")
    rate = evidence.interval_within(slope, None if np.isnan(ci[0]) else ci, -0.5, 0.15, n=len(seeds),
                                    what="The log-log slope of the error", against="the bound's",
                                    how="t interval over the seeds' own slopes")
    share = float(agg["bias"].iloc[0] ** 2 / agg["rmse"].iloc[0] ** 2)  # squared bias / mean squared error
    share_hi = float(agg["bias"].iloc[-1] ** 2 / agg["rmse"].iloc[-1] ** 2)
    numbers = {"cons-slope": slope, "cons-slope-test": slope_test, "cons-rmse-lo": agg["rmse"].iloc[0],
               "cons-rmse-hi": eps, "cons-mean-lo": agg["mean"].iloc[0], "cons-mean-hi": agg["mean"].iloc[-1],
               "cons-bias-hi": agg["bias"].iloc[-1], "cons-bias-share": share * 100,
               "cons-bias-share-hi": share_hi * 100, "cons-factor": agg["rmse"].iloc[0] / agg["rmse"].iloc[-1],
               "cons-sqrt-factor": math.sqrt(sizes[-1] / sizes[0]),
               "complexity-n": d_params * math.log(d_params) / eps ** 2}
    glue = {key: float(value) for key, value in numbers.items()}
    low_bias = agg["bias"].iloc[0] < 0
    glue.update({
        "d-params": d_params, "cons-sentence": consistent.sentence, "cons-kind": consistent.kind,
        "rate-sentence": rate.sentence, "rate-kind": rate.kind,
        "cons-bias-lo-verdict": (("mostly a downward bias" if low_bias else "mostly an upward bias") if share > 0.5
                                 else "mostly spread between seeds rather than a bias"),
        "cons-bias-why": ("A likely reason, not tested here: with few samples an early-stopped network is far from "
                          "the best critic of its family, the estimation term of the split above."
                          if share > 0.5 and low_bias else ""),
        "cons-floor": ("At the largest n the error is mostly a bias; the approximation and optimisation terms, which "
                       "the sample-complexity bound does not cover, are a likely reason (not tested here)."
                       if share_hi > 0.5 else ""),
        "cons-monotone": ("falls at every step" if bool(np.all(np.diff(agg["rmse"]) < 0))
                          else "does not fall at every step"),
    })
    return slope, ci, slope_test, d_params, consistent, rate, glue


def consistency_figure(sweep: pd.DataFrame, agg: pd.DataFrame, true_mi: float) -> plt.Figure:
    """Left: every run's estimate and the mean ± sd per n; right: the RMSE against n, beside
    the test-split estimate's and an n^(-1/2) line."""
    fig, axes = plt.subplots(1, 2, figsize=(12, 4))
    ax = axes[0]
    ax.scatter(sweep["n"], sweep["fresh_estimate"], s=12, alpha=0.6, label="one run (fresh read-out)")
    ax.errorbar(agg["n"], agg["mean"], yerr=agg["sd"].fillna(0), fmt="o-", capsize=3, label="mean ± sd")
    ax.axhline(true_mi, color="k", ls="--", lw=1, label="true MI")
    ax.set(xscale="log", xlabel="number of samples n", ylabel="MINE estimate [nats]", title="estimate against n")
    ax.legend(fontsize="small")
    ax = axes[1]
    ax.plot(agg["n"], agg["rmse"], "o-", label="RMSE over seeds (fresh read-out)")
    ax.plot(agg["n"], agg["rmse_test"], "s:", alpha=0.6, label="RMSE of the test-split estimate")
    ref = agg["rmse"].iloc[0] * np.sqrt(agg["n"].iloc[0] / agg["n"])
    ax.plot(agg["n"], ref, "k--", lw=1, label="∝ n^(-1/2)")
    ax.set(xscale="log", yscale="log", xlabel="number of samples n", ylabel="RMSE [nats]", title="error against n")
    ax.legend(fontsize="small")
    return fig
