"""Chapter 04's report: the tables, decisions and sentences of the correlated-Gaussian
reproduction, computed from the rows that ``sweeps`` returns. The chapter runs the
experiments, passes their rows here and glues what comes back (``results.glue_all``), so
its code reads as the experiment.

Every function takes the run's rows (a sweep: one row per method, dimension, rho and seed)
and returns plain values; the glue names are the keys of the dictionaries (the chapter adds
its prefix).

Layer: the book's experiments. May import the library and other experiment modules;
the library never imports this one.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.ticker import NullLocator

from ..tasks import gaussian_mi
from . import evidence
from .beside import decision_text
from .plots import method_colors
from .sweeps import estimates, fmt_cell, tolerance_over, wins_over, worst_error

LABELS = {"mine": "MINE", "mine-f": "MINE-f", "ksg": "KSG", "dv": "DV (no correction)"}
PAPER = "Figure 1, read by eye"
EDGE = 0.9 + 1e-12   # |rho| <= 0.9 is the paper's "inner" range


def runs(sweep: pd.DataFrame, method: str, dim: int, rho: float) -> pd.DataFrame:
    """The rows of one (method, dimension, rho) cell."""
    return sweep[(sweep["method"] == method) & (sweep["dim"] == dim) & (sweep["rho"] == rho)]


def mean_of(sweep: pd.DataFrame, method: str, dim: int, rho: float, column: str = "estimate") -> float:
    return float(runs(sweep, method, dim, rho)[column].mean())


def sweep_table(sweep: pd.DataFrame, dim: int, rhos: Sequence[float],
                methods: Sequence[str]) -> pd.DataFrame:
    """One row per rho: the truth, each method's mean ± sd over seeds, and the optimal
    critic's mean read on MINE's test rows."""
    rows = []
    for rho in rhos:
        row = {"ρ": f"{rho:g}", "true MI": f"{gaussian_mi(dim, rho):.3f}"}
        for method in methods:
            row[LABELS[method]] = fmt_cell(estimates(sweep, method=method, dim=dim, rho=rho))
        row["optimal critic (MINE's test rows)"] = f"{mean_of(sweep, 'mine', dim, rho, 'oracle'):.3f}"
        rows.append(row)
    return pd.DataFrame(rows)


def within_tolerance(sweep: pd.DataFrame, method: str, dim: int, rhos: Sequence[float],
                     tol: float) -> evidence.Decision:
    """One ``tracks_truth`` decision per rho (an interval over seeds), combined over rhos."""
    labelled = [(f"ρ = {r:g}", evidence.tracks_truth(estimates(sweep, method=method, dim=dim, rho=r),
                                                    gaussian_mi(dim, r), tol, unit="nats",
                                                    what=f"{LABELS[method]} at ρ = {r:g}"))
                for r in rhos]
    where = "|ρ| ≤ 0.9" if max((abs(r) for r in rhos), default=0.0) <= EDGE else "|ρ| > 0.9"
    return tolerance_over(labelled, f"{LABELS[method]} in d = {dim} at {where}, against a "
                                    f"tolerance of {tol:g} nats")


def readout_split(sweep: pd.DataFrame, dim: int, rho: float) -> str:
    """Which part of MINE's error is larger: the optimal critic's (the read-out on these
    rows) or the trained critic's difference from it."""
    truth = gaussian_mi(dim, rho)
    mine, oracle = mean_of(sweep, "mine", dim, rho), mean_of(sweep, "mine", dim, rho, "oracle")
    whose = "the readout's, not the network's" if abs(oracle - truth) >= abs(mine - oracle) else "the network's"
    return (f"the optimal critic on the same rows reads {oracle:.2f}, so the larger part of MINE's "
            f"error ({mine - truth:+.2f} nats) is {whose}")


def abs_errors(sweep: pd.DataFrame, method: str, dim: int, rho: float) -> np.ndarray:
    return np.abs(estimates(sweep, method=method, dim=dim, rho=rho) - gaussian_mi(dim, rho))


def closer_than_ksg(sweep: pd.DataFrame, rhos: Sequence[float], dim: int = 10):
    """MINE against KSG on |error|, paired by seed (a seed draws the same sample for both).

    Returns (overall, per rho): overall averages each seed's |error| over the non-zero rhos
    first (the rhos are blocks within a seed, not replicates); per rho is one paired test
    per rho under Holm's correction."""
    nonzero = [r for r in rhos if r != 0.0]
    each = evidence.holm([evidence.difference(abs_errors(sweep, "mine", dim, r), abs_errors(sweep, "ksg", dim, r),
                                              paired=True, names=("MINE", "KSG"), what=f"|error| at ρ = {r:g}",
                                              unit="nats", higher_is_better=False) for r in nonzero])
    per_rho = wins_over([(f"ρ = {r:g}", d) for r, d in zip(nonzero, each)], f"In d = {dim}, ρ by ρ",
                        "MINE", "KSG")
    per_seed = {m: np.mean([abs_errors(sweep, m, dim, r) for r in nonzero], axis=0) for m in ("mine", "ksg")}
    overall = evidence.difference(per_seed["mine"], per_seed["ksg"], paired=True, names=("MINE", "KSG"),
                                  unit="nats", higher_is_better=False, expected="a<b",
                                  what=f"|error| averaged over the {len(nonzero)} non-zero ρ of the "
                                       f"d = {dim} sweep")
    return overall, per_rho


def below_truth(values, name: str, rho: float, dim: int = 10) -> evidence.Decision:
    """Are ``values`` (one per seed) below the true MI at ``rho``?"""
    truth = gaussian_mi(dim, rho)
    return evidence.difference(np.asarray(values, float), np.full(len(values), truth), paired=True,
                               names=(name, "the truth"), what=f"the estimate at ρ = {rho:g} in d = {dim}",
                               unit="nats", expected="a<b", higher_is_better=None)


def sweep_findings(sweep: pd.DataFrame, summary: pd.DataFrame, rhos: Sequence[float],
                   methods: Sequence[str], tol: float, n_test: dict[int, int]):
    """Everything the chapter says about the rho sweep.

    Returns (glue, decisions, facts): ``glue`` maps names to the page's numbers, sentences
    and tables; ``decisions`` the evidence decisions by name; ``facts`` the numbers the
    claims table and the results file reuse."""
    inner = [r for r in rhos if abs(r) <= EDGE]
    edge = [r for r in rhos if abs(r) > EDGE]
    crit = {m: within_tolerance(sweep, m, 1, inner, tol) for m in methods}
    crit_edge = (within_tolerance(sweep, "mine", 1, edge, tol) if edge
                 else evidence.not_tested("d = 1 at |ρ| > 0.9"))
    worst = worst_error(summary, "mine", 1, 0.9)
    mine_1 = sweep[(sweep["method"] == "mine") & (sweep["dim"] == 1) & (sweep["rho"].abs() <= EDGE)]
    misses = int((mine_1["error"].abs() > tol).sum())
    noise = float(worst["oracle_mean"] - worst["true_mi"])
    gap = float(worst["mean"] - worst["oracle_mean"])
    closer, closer_each = closer_than_ksg(sweep, rhos)
    rho_mid = 0.5 if 0.5 in rhos else max(rhos)
    rho_hi = max(rhos, key=abs)
    truth_hi = gaussian_mi(10, rho_hi)
    below = {m: below_truth(estimates(sweep, method=m, dim=10, rho=rho_hi), LABELS[m], rho_hi) for m in methods}
    oracle_hi = runs(sweep, "mine", 10, rho_hi).sort_values("seed")["oracle"]
    oracle_below = below_truth(oracle_hi.to_numpy(), "the optimal critic", rho_hi)

    glue = {"sweep-runs": int(len(sweep)), "sweep-seconds": float(sweep["seconds"].sum()),
            "table-d1": sweep_table(sweep, 1, rhos, methods), "table-d10": sweep_table(sweep, 10, rhos, methods)}
    glue.update({f"crit-{m}": crit[m].sentence for m in methods})
    glue.update({"crit-edge": crit_edge.sentence, "single-misses": misses, "single-runs": int(len(mine_1)),
                 "worst-rho": float(worst["rho"]), "worst-noise": noise, "worst-gap": gap,
                 "worst-cause": ("the larger part is the optimal critic's own error on these test rows"
                                 if abs(noise) >= abs(gap) else
                                 "the larger part is the trained critic's difference from the optimal one"),
                 "d10-closer": f"{closer.sentence} {closer_each.sentence}",
                 "mid-rho": float(rho_mid), "mid-truth": float(gaussian_mi(10, rho_mid))})
    glue.update({f"mid-{m}": mean_of(sweep, m, 10, rho_mid) for m in methods})
    glue.update({"mid-split": readout_split(sweep, 10, rho_mid), "hi-rho": float(rho_hi),
                 "hi-truth": float(truth_hi)})
    glue.update({f"hi-{m}": mean_of(sweep, m, 10, rho_hi) for m in methods})
    glue.update({"hi-oracle": float(oracle_hi.mean()),
                 "all-below": ("every estimator is measurably below the truth there"
                               if all(d.kind == "agrees" for d in below.values())
                               else " ".join(d.sentence for d in below.values())[:-1]),
                 "oracle-below": (f"Training longer cannot remove this part: even the optimal critic, read "
                                  f"with the DV bound on the {n_test[10]} test rows, is below the truth "
                                  f"({oracle_below.sentence[:-1]})" if oracle_below.kind == "agrees" else
                                  f"Whether training longer would close the gap this run cannot say from the "
                                  f"optimal critic: {oracle_below.sentence[:-1]}")})
    glue.update(readout_floor(truth_hi, n_test[10], oracle_hi.to_numpy()))

    decisions = {"crit": crit, "crit_edge": crit_edge, "closer": closer, "closer_each": closer_each,
                 "below": below, "oracle_below": oracle_below}
    facts = {"worst": worst, "noise": noise, "gap": gap, "misses": misses, "edge": edge,
             "nonzero": [r for r in rhos if r != 0.0], "rho_hi": rho_hi, "truth_hi": truth_hi}
    return glue, decisions, facts


def sweep_figure(summary: pd.DataFrame, methods: Sequence[str], rhos: Sequence[float], colors: dict) -> plt.Figure:
    """One panel per dimension (1, 10): the true MI against rho, each method's mean ± sd over
    seeds (shifted a little along rho so the bars do not overlap) and the optimal critic."""
    fig, axes = plt.subplots(1, 2, figsize=(13, 4.6))
    fine = np.linspace(-0.995, 0.995, 400)
    for ax, dim in zip(axes, (1, 10)):
        ax.plot(fine, [gaussian_mi(dim, r) for r in fine], "k-", lw=1.2, label="true MI")
        for i, method in enumerate(methods):
            s = summary[(summary["method"] == method) & (summary["dim"] == dim)]
            ax.errorbar(s["rho"] + (i - 1) * 0.012, s["mean"], yerr=s["sd"].fillna(0.0), fmt="o", ms=5, capsize=3,
                        color=colors[method], label=f"{LABELS[method]} (mean ± sd)")
        s = summary[(summary["method"] == "mine") & (summary["dim"] == dim)]
        ax.plot(s["rho"], s["oracle_mean"], "D", mfc="none", ms=7, color="grey",
                label="optimal critic, same test rows")
        ax.set(xlabel="ρ", ylabel="MI [nats]", title=f"d = {dim} (X, Z ∈ R^{dim})")
        if dim == 10:
            ax.set_ylim(-0.5, 1.1 * gaussian_mi(10, max(abs(r) for r in rhos)))
    axes[0].legend(fontsize="small", loc="upper center")
    return fig


def readout_floor(truth: float, n_test: int, oracle: np.ndarray) -> dict:
    """Song and Ermon's variance of an NWJ-type read-out, sqrt((e^I - 1)/N), beside the ratio
    e^I / N that says whether its regime (N large against e^I) applies, and the optimal
    critic's own readings."""
    capped = min(truth, 700.0)   # e^I overflows a float beyond about 709 nats
    return {"hi-sdfloor": f"{math.sqrt(math.expm1(capped) / n_test):.3g}",
            "hi-ratio": f"{math.exp(capped) / n_test:.3g}",
            "hi-oracle-values": ", ".join(f"{v:.2f}" for v in oracle),
            "n-test10": n_test, "log-ntest10": math.log(n_test)}


def claims_table(sweep: pd.DataFrame, summary: pd.DataFrame, decisions: dict, facts: dict):
    """The paper's Figure 1 claims beside this run: rows of (claim, paper, decision, this run)."""
    crit, closer, worst = decisions["crit"], decisions["closer"], facts["worst"]
    rho_hi, edge = facts["rho_hi"], facts["edge"]
    ci = "" if closer.ci is None else f" (CI {closer.ci[0]:+.3f} to {closer.ci[1]:+.3f})"
    return [
        ("d = 1, |ρ| ≤ 0.9: MINE within 0.1 nats of the truth", "on the true curve", crit["mine"],
         f"largest |mean error| {abs(worst['bias']):.3f} nats (ρ = {worst['rho']:g})"),
        ("d = 1, |ρ| ≤ 0.9: MINE-f within 0.1 nats of the truth", "on the true curve", crit["mine-f"],
         f"largest |mean error| {abs(worst_error(summary, 'mine-f', 1, 0.9)['bias']):.3f} nats"),
        ("d = 1, |ρ| > 0.9: MINE within 0.1 nats of the truth", "on the true curve", decisions["crit_edge"],
         "; ".join(f"ρ = {r:g}: {mean_of(sweep, 'mine', 1, r):.3f} (truth {gaussian_mi(1, r):.3f})"
                   for r in edge) or "not in this profile's grid"),
        ("d = 10: MINE closer to the truth than KSG", "yes; KSG falls well below the truth", closer,
         f"mean |error| MINE minus KSG, each seed averaged over {len(facts['nonzero'])} non-zero ρ: "
         f"{closer.estimate:+.3f} nats{ci}"),
        (f"d = 10, ρ = {rho_hi:g}: MINE below the truth", "yes", decisions["below"]["mine"],
         f"truth {facts['truth_hi']:.1f}, MINE {mean_of(sweep, 'mine', 10, rho_hi):.2f} nats"),
    ]


def claims_frame(rows) -> pd.DataFrame:
    return pd.DataFrame([{"claim": c, f"the paper ({PAPER})": p, "this run": t, "decision": decision_text(d)}
                         for c, p, d, t in rows])


def table_3d(sweep3: pd.DataFrame, rhos: Sequence[float], methods: Sequence[str]) -> pd.DataFrame:
    rows = []
    for rho in rhos:
        row = {"ρ": f"{rho:g}", "true MI": f"{gaussian_mi(3, rho):.3f}"}
        for method in methods:
            row[LABELS[method]] = fmt_cell(estimates(sweep3, method=method, rho=rho))
        rows.append(row)
    return pd.DataFrame(rows)


def findings_3d(sweep3: pd.DataFrame, rhos: Sequence[float], methods: Sequence[str]):
    """The 3-D table, each method's mean at the largest rho, and MINE against plain DV there."""
    rho = max(rhos)
    mine_vs_dv = evidence.difference(estimates(sweep3, method="mine", rho=rho), estimates(sweep3, method="dv", rho=rho),
                                     paired=True, names=("MINE", "DV"), what=f"the held-out estimate at ρ = {rho:g}",
                                     unit="nats", higher_is_better=None)
    glue = {"table-3d": table_3d(sweep3, rhos, methods), "3d-rho": float(rho), "3d-truth": float(gaussian_mi(3, rho)),
            "3d-dv-vs-mine": mine_vs_dv.sentence}
    glue.update({f"3d-{m}": float(np.nanmean(estimates(sweep3, method=m, rho=rho))) for m in methods})
    return glue, mine_vs_dv


def validation_curve(curves: pd.DataFrame, dim: int, rho: float, method: str) -> pd.DataFrame:
    return curves[(curves["dim"] == dim) & (curves["rho"] == rho) & (curves["method"] == method)
                  & (curves["kind"] == "validation")]


def reach_text(curves: pd.DataFrame, dim: int, rho: float, method: str, steps: int) -> str:
    """The first validation step at which ``method`` reaches 90 % of the truth."""
    val = validation_curve(curves, dim, rho, method)
    hit = val[val["estimate"] >= 0.9 * gaussian_mi(dim, rho)]
    return (f"reaches 90 % of the truth at step {int(hit['step'].iloc[0])}" if len(hit)
            else f"does not reach 90 % of the truth in {steps} steps")


def value_at(curves: pd.DataFrame, dim: int, rho: float, method: str, step: int) -> float:
    """The validation estimate at the evaluation nearest ``step``."""
    val = validation_curve(curves, dim, rho, method)
    return float(val.loc[(val["step"] - step).abs().idxmin(), "estimate"])


def curve_findings(curves: pd.DataFrame, tasks, methods: Sequence[str], budget: int, steps: int) -> dict:
    """Per curve task (dim, rho): when each method reaches 90 % of the truth, and MINE's
    validation estimate at the sweep's step budget and at the end of the curve."""
    glue = {"curve-steps": int(steps)}
    for d, r in tasks:
        glue.update({f"reach-{d}-{m}": reach_text(curves, d, r, m, steps) for m in methods})
        glue.update({f"curve-truth-{d}": float(gaussian_mi(d, r)), f"curve-rho-{d}": float(r),
                     f"at-budget-{d}": value_at(curves, d, r, "mine", budget),
                     f"at-end-{d}": value_at(curves, d, r, "mine", steps)})
    return glue


def curves_figure(curves: pd.DataFrame, tasks, methods: Sequence[str], colors: dict, budget: int) -> plt.Figure:
    """One panel per (d, rho): each method's training bound (50-step mean) and validation
    points, the truth and the sweep runs' number of steps."""
    fig, axes = plt.subplots(1, len(tasks), figsize=(13, 4.4))
    for ax, (d, r) in zip(axes, tasks):
        for method in methods:
            c = curves[(curves["dim"] == d) & (curves["rho"] == r) & (curves["method"] == method)]
            tr, va = c[c["kind"] == "train"], c[c["kind"] == "validation"]
            ax.plot(tr["step"], tr["estimate"].rolling(50, min_periods=1).mean(), lw=1, alpha=0.8,
                    color=colors[method], label=f"{LABELS[method]}, train (50-step mean)")
            ax.plot(va["step"], va["estimate"], "o", ms=3, color=colors[method])
        ax.axhline(gaussian_mi(d, r), color="k", ls="--", lw=1, label="true MI")
        ax.axvline(budget, color="grey", ls=":", lw=1, label="steps of the sweep runs")
        ax.set(xlabel="training step", ylabel="bound [nats]", title=f"d = {d}, ρ = {r:g}",
               ylim=(-0.2, 1.25 * gaussian_mi(d, r)))
    axes[0].legend(fontsize="small", loc="lower right")
    return fig


def study_values(rows: pd.DataFrame, column: str, **where) -> np.ndarray:
    """A column of a study's rows matching ``where``, ordered by seed."""
    for key, value in where.items():
        rows = rows[rows[key] == value]
    return rows.sort_values("seed")[column].to_numpy(dtype=float)


def ema_summary(ema: pd.DataFrame) -> pd.DataFrame:
    return (ema.groupby(["batch_size", "ema_rate"])
            .agg(mean=("estimate", "mean"), sd=("estimate", "std"), train_sd=("train_sd", "mean"),
                 n_diverged=("status", lambda s: int((s != "ok").sum())))
            .reset_index())


def batch_summary(batches: pd.DataFrame) -> pd.DataFrame:
    return (batches.groupby(["method", "batch_size"])
            .agg(mean=("estimate", "mean"), sd=("estimate", "std"), train_sd=("train_sd", "mean"),
                 seconds=("seconds", "mean"))
            .reset_index())


def ema_findings(ema: pd.DataFrame, rate: float):
    """MINE's moving average at ``rate`` against plain DV (rate 1) at the smallest batch:
    the held-out estimate and the step-to-step noise of training, paired by seed."""
    small = int(ema["batch_size"].min())
    names = (f"MINE at rate {rate:g}", "plain DV (rate 1)")

    def at(r, column="estimate"):
        return study_values(ema, column, batch_size=small, ema_rate=r)

    vs_plain = evidence.difference(at(rate), at(1.0), paired=True, names=names,
                                   what=f"the held-out estimate at batch {small}", unit="nats",
                                   higher_is_better=None)
    noise = evidence.difference(at(rate, "train_sd"), at(1.0, "train_sd"), paired=True, names=names,
                                what=f"the step-to-step sd of the minibatch bound at batch {small}",
                                unit="nats", higher_is_better=False)
    summary = ema_summary(ema)
    at_small = summary[summary["batch_size"] == small].set_index("ema_rate")
    slowest = at_small["mean"].idxmin()
    glue = {"ema-small-b": small, "ema-plain": evidence.fmt_spread(at(1.0), unit="nats"),
            "ema-paper": evidence.fmt_spread(at(rate), unit="nats"), "ema-rate": float(rate),
            "ema-verdict": vs_plain.sentence, "ema-noise": noise.sentence,
            "ema-worst-rate": float(slowest), "ema-worst": float(at_small.loc[slowest, "mean"]),
            "ema-diverged": int(summary["n_diverged"].sum())}
    return glue, vs_plain, noise


def batch_findings(batches: pd.DataFrame):
    """Each method's mean at the smallest and largest batch, and MINE-f's step-to-step noise
    against MINE's at the smallest batch, paired by seed."""
    b = batch_summary(batches).set_index(["method", "batch_size"])
    lo, hi = int(batches["batch_size"].min()), int(batches["batch_size"].max())
    noise = evidence.difference(study_values(batches, "train_sd", method="mine-f", batch_size=lo),
                                study_values(batches, "train_sd", method="mine", batch_size=lo),
                                paired=True, names=("MINE-f", "MINE"), unit="nats", higher_is_better=False,
                                what=f"the step-to-step sd of the minibatch bound at batch {lo}")
    glue = {"b-lo": lo, "b-hi": hi, "b-noise": noise.sentence}
    for m in ("mine", "mine-f"):
        glue.update({f"b-{m}-lo": float(b.loc[(m, lo), "mean"]), f"b-{m}-hi": float(b.loc[(m, hi), "mean"])})
    return glue, noise


def studies_figure(ema_sum: pd.DataFrame, batch_sum: pd.DataFrame, ema_batches, batches, truth: float,
                   colors: dict) -> plt.Figure:
    """MINE's estimate and training noise against the moving-average rate (one line per batch
    size), and MINE's and MINE-f's estimates against the batch size."""
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.2))
    rate_colors = method_colors([f"B = {bs}" for bs in ema_batches])
    for bs in ema_batches:
        s = ema_sum[ema_sum["batch_size"] == bs]
        axes[0].errorbar(s["ema_rate"], s["mean"], yerr=s["sd"].fillna(0.0), fmt="o-", capsize=3,
                         color=rate_colors[f"B = {bs}"], label=f"B = {bs}")
        axes[1].plot(s["ema_rate"], s["train_sd"], "o-", color=rate_colors[f"B = {bs}"], label=f"B = {bs}")
    axes[0].axhline(truth, color="k", ls="--", lw=1, label="true MI")
    axes[0].set(xscale="log", xlabel="moving-average rate r (1 = plain DV)", ylabel="held-out estimate [nats]",
                title="MINE: estimate against the rate")
    axes[1].set(xscale="log", xlabel="moving-average rate r (1 = plain DV)",
                ylabel="step-to-step sd of the minibatch bound [nats]", title="MINE: noise of training")
    for method in ["mine", "mine-f"]:
        s = batch_sum[batch_sum["method"] == method]
        axes[2].errorbar(s["batch_size"], s["mean"], yerr=s["sd"].fillna(0.0), fmt="o-", capsize=3,
                         color=colors[method], label=LABELS[method])
    axes[2].axhline(truth, color="k", ls="--", lw=1, label="true MI")
    axes[2].set(xscale="log", xlabel="batch size", ylabel="held-out estimate [nats]",
                title="estimate against the batch size")
    axes[2].xaxis.set_minor_locator(NullLocator())   # the log axis's minor labels overlapped the batch sizes
    axes[2].set_xticks(batches, [str(v) for v in batches])
    for ax in axes:
        ax.legend(fontsize="small")
    return fig


def size_rows(config, n: dict[int, int], rhos, seeds, n_study: int, study_seeds, ema_rate: float,
              profile: str) -> dict[str, str]:
    """The settings table of the chapter: what every neural run used."""
    return {
        "profile": profile,
        "statistics network": f"concatenation MLP, ReLU, hidden layers {config.hidden}",
        "optimiser": f"Adam, learning rate {config.lr:g}",
        "batch size": str(config.batch_size),
        "training steps": f"{config.max_steps} (fixed; validation every {config.eval_every}, best state kept)",
        "samples per run, d = 1 / d = 10": (f"{n[1]} / {n[10]} (validation {config.val_fraction:.0%}, "
                                            f"test {config.test_fraction:.0%}, the rest for training)"),
        "ρ values": ", ".join(f"{r:g}" for r in rhos),
        "seeds": ", ".join(map(str, seeds)),
        "MINE moving-average rate r": f"{ema_rate:g}",
        "KSG neighbours k": "3 (all samples)",
        "3-D Gaussian, curves, studies": f"{n_study} samples; seeds {', '.join(map(str, study_seeds))}",
    }
