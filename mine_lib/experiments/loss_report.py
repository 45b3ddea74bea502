"""Chapter 06's report: the tables and sentences of the improved-losses study, from the
study's per-run rows (``loss_study.run_study``), its per-cell summary (``cell_summary``) and
its verdicts per loss (``compare``, indexed by loss). The chapter runs the study and glues
what comes back, so its code reads as the experiment.

Layer: the book's experiments. May import the library and other experiment modules;
the library never imports this one.
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.ticker import FormatStrFormatter

from . import evidence
from .loss_study import (
    BASELINES,
    COLLAPSE,
    REPORT_CLAIMS,
    accuracy_text,
    claim_summary,
    decision_word,
    interval_text,
    max_gap,
    report_claim,
    seed_tracks_truth,
    smoothness_text,
    twin_curves_text,
)
from .results import json_rows

OWN = "mine-f, own bound"  # the heatmap's row of MINE-f read out with its own bound
WRITTEN = ("softplus", "lse", "regularised", "noise")  # losses whose formula differs from DV's


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


def own_values(runs: pd.DataFrame) -> pd.DataFrame:
    """The runs that did not diverge, with each formula's own value against DV on the same
    critic and pairs (``own_gap``) and against the truth (``own_error``)."""
    ok = runs[~runs["diverged"]].copy()
    ok["own_gap"] = ok["own"] - ok["dv_fresh"]
    ok["own_error"] = ok["own"] - ok["true_mi"]
    return ok


def formula_checks(ok: pd.DataFrame, runs: pd.DataFrame, twins) -> dict:
    """What the report's formulas do as written: softplus's own value and offset, MINE-f's and
    DV's offsets, how often lse's own value exceeds the truth and how far it collapses, the
    regularised loss's offset and gap, and the largest gap between each pair of twin losses."""
    def of(name):
        return ok[ok["loss"] == name]

    sp, lse, reg = of("softplus"), of("lse"), of("regularised")
    eam_vs_mine, noise_vs_dv, lsec_vs_dv = (max_gap(runs, a, b) for a, b in twins)
    return dict(sp_gap=float(sp["own_gap"].mean()), sp_offset=float(sp["offset"].mean()),
                nwj_offset=float(of("mine-f")["offset"].mean()), lse_above=int((lse["own"] > lse["true_mi"]).sum()),
                lse_runs=len(lse), lse_final=float(lse["val_last"].median()), lse_offset=float(lse["offset"].median()),
                reg_offset=float(reg["offset"].mean()), reg_gap=float(reg["own_gap"].mean()),
                dv_offset=float(of("dv")["offset"].mean()), noise_gap=float(of("noise")["own_gap"].abs().max()),
                eam_vs_mine=eam_vs_mine, noise_vs_dv=noise_vs_dv, lsec_vs_dv=lsec_vs_dv,
                lse_collapsed=int((lse["val_best"] - lse["val_last"] > COLLAPSE).sum()))


def formula_takes(c: dict, sp: pd.DataFrame, a_star: float, tol: float):
    """The sentences on the regularised and softplus formulas, and the two checks of the
    softplus derivation (its offset at log A*, its own value A* below DV) over seeds.
    ``c`` is ``formula_checks``. Returns (offset decision, gap decision, glue)."""
    faded = abs(c["reg_gap"]) < 0.05
    offset_d = seed_tracks_truth(sp, "offset", math.log(a_star), tol, what="The softplus critics' offset")
    gap_d = seed_tracks_truth(sp, "own_gap", -a_star, tol, what="The softplus formula minus DV")
    glue = {
        "reg_phrase": ("the penalty has faded: the formula's own value sits" if faded else
                       "the penalty still matters: the formula's own value sits"),
        "reg_take": (f"pushed the critic's mean offset to {c['reg_offset']:.1f} (DV's: {c['dv_offset']:.1f}) and the "
                     f"penalty has faded (own value {c['reg_gap']:+.3f} nats from DV)"
                     if faded and c["reg_offset"] < c["dv_offset"] else
                     f"left the critic's mean offset at {c['reg_offset']:.1f} (DV's: {c['dv_offset']:.1f}), and the "
                     f"penalty {'has faded' if faded else 'still matters'} (own value {c['reg_gap']:+.3f} nats from DV)"),
        "sp_offset_d": offset_d.sentence, "sp_gap_d": gap_d.sentence,
        "sp_take": ("its critics' offset sits at log A*, as the derivation says" if offset_d.kind == "agrees" else
                    "its critics' offset is not at log A* in this run (the derivation is about the optimum, which a "
                    "finite run may not reach)" if offset_d.kind == "disagrees" else
                    "whether its critics' offset sits at log A* this run cannot tell"),
        "lse_claim": (f"its own value exceeded the true MI in {c['lse_above']} of {c['lse_runs']} runs"
                      if c["lse_above"] else
                      f"its own value stayed below the true MI in all {c['lse_runs']} runs here, although the "
                      f"derivation shows it can exceed it")}
    return offset_d, gap_d, glue


def report_claims(chapter: str, verdicts: pd.DataFrame, cfg, c: dict, offset_d, gap_d, a_star: float):
    """The seed report's claim for each loss (its aspect against DV, with what else the run
    shows), and the book's two checks of the softplus derivation. ``c`` is
    ``formula_checks``. Returns (scorecard rows, the claim sentences by loss)."""
    base = verdicts.loc["dv"]
    line = {loss: verdict_line(verdicts, loss) for loss in cfg.losses}
    decisions = {loss: report_claim(verdicts.loc[loss], base, aspect) for loss, (_, aspect) in REPORT_CLAIMS.items()}

    def smooth(loss):
        return bare(smoothness_text(verdicts.loc[loss]))

    same_gradient = c["noise_vs_dv"] == 0.0
    checks = {
        "eam": (f"{smooth('eam')}; {bare(report_claim(verdicts.loc['eam'], base, 'stability').sentence)}; "
                f"accuracy: {line['eam']}; estimates within {c['eam_vs_mine']:.3f} nats of MINE's"),
        "softplus": (f"{bare(decisions['softplus'].sentence)}; {smooth('softplus')}; accuracy: {line['softplus']}; "
                     f"its own value is {abs(c['sp_gap']):.2f} nats below DV"),
        "clipped": f"{bare(decisions['clipped'].sentence)}; {smooth('clipped')}; accuracy: {line['clipped']}",
        "lse": (f"{line['lse']}; {c['lse_collapsed']}/{c['lse_runs']} runs collapsed (median last "
                f"estimate {c['lse_final']:.0f} nats); corrected: {line['lse-corrected']}"),
        "regularised": line["regularised"],
        "noise": (f"same gradient as DV (by construction); estimates within {c['noise_vs_dv']:.4f} nats of DV's"
                  if same_gradient else line["noise"]),
    }
    if same_gradient:
        decisions["noise"] = evidence.Decision("disagrees", "same gradient as the baseline",
                                               f"noise: {checks['noise']}.", 0.0, n=len(cfg.seeds))
    rows = [evidence.claim(chapter, f"{loss}: {words}", "the report's text (no number)", decisions[loss],
                           claim_summary(verdicts.loc[loss], base, aspect), seeds=len(cfg.seeds),
                           source="the seed report") for loss, (words, aspect) in REPORT_CLAIMS.items()]
    rows += [evidence.claim(chapter, text, f"{value:.3f} nats (derived in this chapter)", d,
                            source="the book's own checks")
             for text, value, d in (("softplus: the critics' offset sits at log A*", math.log(a_star), offset_d),
                                    ("softplus: its own value sits A* nats below DV", -a_star, gap_d))]
    return rows, {f"claim_{loss}": f"{decisions[loss].kind}: {text}" for loss, text in checks.items()}


def bias_figure(table: pd.DataFrame, losses) -> plt.Figure:
    """Heatmap of each loss's bias (read out with DV; MINE-f also with its own bound) per
    (rho, batch) cell of ``cell_summary``, annotated with the bias and its spread."""
    rows = [table.assign(shown=table["loss"], b=table["bias_dv"]),
            table[table["loss"] == "mine-f"].assign(shown=OWN, b=table["bias"])]
    heat = pd.concat(rows, ignore_index=True)
    heat["column"] = [f"ρ={r:g}\nN={n}" for r, n in zip(heat["rho"], heat["batch_size"])]
    heat["label"] = [("diverged" if not np.isfinite(b) else f"{b:+.2f}" if not np.isfinite(s)
                      else f"{b:+.2f}\n±{s:.2f}") for b, s in zip(heat["b"], heat["sd"])]
    order = list(losses)
    if "mine-f" in order:
        order.insert(order.index("mine-f") + 1, OWN)
    columns = heat["column"].unique()
    grid = heat.pivot(index="shown", columns="column", values="b").loc[order, columns]
    labels = heat.pivot(index="shown", columns="column", values="label").loc[order, columns]
    fig, ax = plt.subplots(figsize=(11, 6.4))
    limit = max(0.5, float(np.nanmax(np.abs(grid.clip(-3, 3).to_numpy()))))
    sns.heatmap(grid.clip(-limit, limit), annot=labels, fmt="", annot_kws={"fontsize": 8},
                cmap="RdBu", center=0, vmin=-limit, vmax=limit,
                cbar_kws={"label": "bias (nats)"}, ax=ax)
    # seaborn leaves a NaN cell blank and unlabelled: say there that the runs diverged
    for i, j in zip(*np.nonzero(~np.isfinite(grid.to_numpy(dtype=float)))):
        ax.add_patch(plt.Rectangle((j, i), 1, 1, color="0.85"))
        ax.text(j + 0.5, i + 0.5, labels.iat[i, j], ha="center", va="center", fontsize=8)
    ax.set_xlabel("correlation ρ and batch size N")
    ax.set_ylabel("training loss (read out with the DV bound)")
    return fig


def curves_figure(curves: pd.DataFrame, runs: pd.DataFrame, losses, batch_sizes, rhos,
                  colors: dict, twins) -> plt.Figure:
    """Mean validation estimate against step, one panel per (rho, batch); twin losses
    dashed, the true MI dotted."""
    fig, axes = plt.subplots(len(rhos), len(batch_sizes), squeeze=False,
                             figsize=(4.6 * len(batch_sizes), 3.4 * len(rhos)), sharex=True)
    for i, rho in enumerate(rhos):
        truth = float(runs.loc[runs["rho"] == rho, "true_mi"].iloc[0])
        for j, batch in enumerate(batch_sizes):
            ax = axes[i, j]
            part = curves[(curves["rho"] == rho) & (curves["batch_size"] == batch)]
            mean = part.groupby(["loss", "step"], sort=False)["val_estimate"].mean().reset_index()
            for loss in losses:
                m = mean[mean["loss"] == loss]
                style = "--" if loss in dict(twins) else "-"
                ax.plot(m["step"], m["val_estimate"], style, color=colors[loss], label=loss, lw=1.4)
            ax.axhline(truth, color="black", lw=1, ls=":", label="true MI")
            ax.set_ylim(0, truth + 0.6)
            ax.set_title(f"ρ = {rho:g} (I = {truth:.2f} nats), batch {batch}")
            ax.set_xlabel("training step")
            ax.set_ylabel("validation estimate (nats)")
    axes[0, -1].legend(fontsize="x-small", ncol=2, loc="lower right")
    return fig


def curves_glue(table: pd.DataFrame, curves: pd.DataFrame, losses, twins, rhos, tol: float) -> dict:
    """The losses with a collapsed run, and which twins' curves stay together (no prefix)."""
    collapsed = [name for name in losses if table.loc[table["loss"] == name, "collapsed"].sum() > 0]
    return {"collapsed_list": ", ".join(collapsed) or "none",
            "twin_curves": twin_curves_text(curves, twins, rhos, tol)}


def top_glue(table: pd.DataFrame, rhos) -> dict:
    """The largest bias at the highest correlation, among the baselines and the losses that
    claim to improve on them (names without the chapter's prefix)."""
    top = table[table["rho"] == max(rhos)]
    top = top[top["loss"].isin(BASELINES + ("eam", "softplus", "clipped", "regularised", "noise"))]
    best = top.loc[top["bias"].idxmax()]
    return {"top_rho": float(best["rho"]), "top_mi": float(best["true_mi"]),
            "top_bias": float(best["bias"]),
            "top_loss": f"{best['loss']}, batch {int(best['batch_size'])}"}


def own_table(written: pd.DataFrame) -> pd.DataFrame:
    """Per loss, the mean of its formula's own value against the truth and against DV, and
    of the critic's offset."""
    names = {"own_error": "own value − true MI", "own_gap": "own value − DV (same critic)",
             "offset": "offset log E_Q[e^T]"}
    return (written.groupby("loss")[["own_error", "own_gap", "offset"]].mean()
            .rename(columns=names).reset_index())


def written_figure(written: pd.DataFrame, ok: pd.DataFrame, losses, colors: dict,
                   a_star: float) -> plt.Figure:
    """Left: each written formula minus DV, per loss and rho. Right: each run's offset
    log E_Q[e^T], per loss, against log A* and 1."""
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4))
    order = [name for name in WRITTEN if name in set(written["loss"])]
    sns.barplot(data=written.assign(rho=written["rho"].map(lambda r: f"{r:g}")), x="loss",
                y="own_gap", hue="rho", order=order, errorbar="sd", ax=ax1)
    ax1.axhline(0, color="black", lw=0.8)
    ax1.axhline(-a_star, color="black", ls="--", lw=1, label="−A* (softplus, theory)")
    ax1.set_ylabel("formula as written − DV (nats)")
    ax1.set_title("the report's formula minus DV, same critic and pairs")
    ax1.legend(title="ρ", fontsize="x-small", loc="upper right")

    sns.stripplot(data=ok, x="loss", y="offset", order=list(losses), hue="loss",
                  palette=colors, legend=False, ax=ax2, size=4)
    ax2.axhline(math.log(a_star), color="black", ls="--", lw=1, label="log A* (softplus optimum)")
    ax2.axhline(1.0, color="gray", ls=":", lw=1, label="1 (MINE-f optimum)")
    ax2.set_yscale("symlog", linthresh=2.0)
    low, high = ax2.get_ylim()
    ticks = (-100, -30, -10, -3, -1, 0, 1, 3, 10, 30, 100)
    ax2.set_yticks([t for t in ticks if low <= t <= high])
    ax2.set_ylabel("offset log E_Q[e^T]")
    ax2.yaxis.set_major_formatter(FormatStrFormatter("%g"))
    ax2.set_title("where each loss puts the critic's offset")
    ax2.tick_params(axis="x", rotation=60)
    ax2.legend(fontsize="x-small")
    return fig


def headline(config: dict, seconds: float, a_star: float, table: pd.DataFrame, runs: pd.DataFrame,
             verdicts: pd.DataFrame, checks: dict, claims: list, losses) -> dict:
    """The chapter's results file: sizes, summary, claims, verdicts and decisions per loss,
    the formula checks (``formula_checks``) and every run."""
    def decisions(loss):
        pairs = (("accuracy", verdicts.loc[loss, "accuracy"]),
                 ("smoothness", verdicts.loc[loss, "smoothness"]))
        return {aspect: d.as_dict() for aspect, d in pairs if d is not None}

    c = checks
    return {
        "sizes": {k: (list(v) if isinstance(v, tuple) else v) for k, v in config.items()},
        "study_seconds": seconds,
        "a_star": a_star,
        "summary": json_rows(table),
        "claims": claims,
        "verdicts": json_rows(verdicts.drop(columns=["accuracy", "smoothness"]).reset_index()),
        "decisions": {loss: decisions(loss) for loss in losses},
        "checks": {"softplus_own_minus_dv": c["sp_gap"], "softplus_offset": c["sp_offset"],
                   "mine_f_offset": c["nwj_offset"], "lse_own_above_truth": c["lse_above"],
                   "lse_median_last_val": c["lse_final"], "regularised_offset": c["reg_offset"],
                   "eam_vs_mine_max_gap": c["eam_vs_mine"], "noise_vs_dv_max_gap": c["noise_vs_dv"],
                   "lse_corrected_vs_dv_max_gap": c["lsec_vs_dv"]},
        "usable": [loss for loss in losses if verdicts.loc[loss, "usable"]],
        "unusable": [loss for loss in losses if not verdicts.loc[loss, "usable"]],
        "steps_measured_on": "validation curve (first evaluation within tolerance); steps_train: "
                             "running mean of the training curve",
        "runs": json_rows(runs.drop(columns=["message"])),
    }
