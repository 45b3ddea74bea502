"""Chapter 09's report: the comparisons, tables, claim rows and sentences of the information
bottleneck experiment, from the runs that ``ib.run_models`` returns. The chapter trains the
models, passes their rows here and glues what comes back, so its code reads as the
experiment.

``errors`` is always {model name: test error in percent, one per seed, ordered by seed};
``models`` the compared configurations by name (``ib.paper_models``), ``controls`` their
beta = 0 controls (``ib.beta0_controls``).

Layer: the book's experiments. May import the library and other experiment modules;
the library never imports this one.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from . import evidence, ib
from .beside import claim_row, plural

PAPER = ib.PAPER_ERRORS
TRAINED_ERROR = 50.0   # a baseline above this test error (chance: 90 %) did not learn


def errors_by_model(runs: pd.DataFrame, names) -> dict[str, np.ndarray]:
    return {name: runs.loc[runs.model == name].sort_values("seed")["error"].to_numpy() for name in names}


def baseline_check(errors: dict) -> evidence.Decision:
    """Did the baseline learn at all?"""
    return evidence.baseline_trained(errors["Baseline"], TRAINED_ERROR, "the baseline's mean test error in percent",
                                     higher_is_better=False)


def effect_to_detect(errors: dict, models: dict, a: str, b: str) -> float | None:
    """The paper's error gap of a below b carried over to this run's b: the same share of the
    way to zero error, and no more than the paper's gap in points (evidence.paper_effect);
    None where the paper has no row for one of them. Against a beta = 0 control, the paper's
    gain over its baseline."""
    if a not in PAPER or (b not in PAPER and b != ib.control_of(models.get(a))):
        return None
    paper_b = PAPER[b] if b in PAPER else PAPER["Baseline"]
    return evidence.paper_effect(PAPER[a], paper_b, float(np.mean(errors[b])), 0.0, same_units=True)


def compare(errors: dict, models: dict, a: str, b: str, expected: str | None) -> evidence.Decision:
    """a minus b in test error, paired over seeds (same seed: same data order and start);
    a claimed direction is tested against the paper's effect, scaled to this run."""
    return evidence.difference(errors[a], errors[b], paired=True, names=(a, b), what="test error",
                               unit="points", higher_is_better=False, expected=expected, digits=2,
                               smallest_effect=effect_to_detect(errors, models, a, b) if expected else None)


def mine_names(models: dict) -> list[str]:
    return [n for n in models if n.startswith("MINE")]


def wanted_comparisons(models: dict, controls: dict) -> dict[tuple[str, str], str | None]:
    """Every model against the baseline (the paper: the information regularisers err less; no
    direction for the classical ones and the controls), MINE-IB against DVB (the paper: less),
    and every noisy-encoder model against its beta = 0 control (the MI term's own effect)."""
    info_regs = ["DVB"] + mine_names(models)
    wanted = {(name, "Baseline"): "a<b" if name in info_regs else None
              for name in {**models, **controls} if name != "Baseline"}
    wanted.update({(name, "DVB"): "a<b" for name in mine_names(models)})
    wanted.update({(name, ib.control_of(models[name])): "a<b" for name in info_regs})
    return wanted


def decide(errors: dict, models: dict, controls: dict, base_ok: evidence.Decision):
    """The comparisons under one Holm correction. Returns (raw, gated): gated turns a
    comparison with the baseline inconclusive where the baseline did not train."""
    wanted = wanted_comparisons(models, controls)
    raw = dict(zip(wanted, evidence.holm([compare(errors, models, a, b, e) for (a, b), e in wanted.items()])))
    gated = {pair: evidence.gate(base_ok, d) if pair[1] == "Baseline" else d for pair, d in raw.items()}
    return raw, gated


def cell_text(d: evidence.Decision) -> str:
    """A table cell: the difference, its interval and the decision's reason."""
    if d.status == "baseline did not train":
        return "inconclusive: the baseline did not train"
    if d.ci is None:
        return f"{d.estimate:+.2f} ({d.status})"
    return f"{d.estimate:+.2f} [{d.ci[0]:+.2f}, {d.ci[1]:+.2f}]: {d.status}"


def error_table(errors: dict, decided: dict, models: dict, controls: dict) -> pd.DataFrame:
    """One row per model (index "model"): its error, its difference from the baseline and
    from its beta = 0 control, and the paper's MNIST error."""
    info_regs = ["DVB"] + mine_names(models)
    rows = {}
    for name in list(PAPER) + list(controls):
        if name not in errors:
            rows[name] = {"this run, error %": "not run"}
            continue
        rows[name] = {"this run, error %": evidence.fmt_spread(errors[name], digits=2),
                      "minus baseline": cell_text(decided[name, "Baseline"]) if name != "Baseline" else "",
                      "minus its β = 0 control": (cell_text(decided[name, ib.control_of(models[name])])
                                                  if name in info_regs else "")}
    table = pd.DataFrame(rows).T.fillna("")
    table["paper, MNIST error %"] = [f"{PAPER[n]:.2f}" if n in PAPER else "" for n in table.index]
    table.index.name = "model"
    return table


def best_mine(errors: dict, models: dict) -> str:
    """The MINE-IB model with the lowest mean error."""
    means = {name: float(np.mean(v)) for name, v in errors.items()}
    return min(mine_names(models), key=means.get)


def comparison_glue(errors: dict, decided: dict, models: dict, base_ok: evidence.Decision) -> dict:
    """The numbers and sentences of the comparison section (names without the chapter's prefix)."""
    names = mine_names(models)
    best = best_mine(errors, models)
    control = {n: ib.control_of(models[n]) for n in ["DVB"] + names}

    def lower(pair):
        return decided[pair].measured and decided[pair].estimate < 0

    return {
        "baseline-check": base_ok.sentence,
        "baseline-err": evidence.fmt_spread(errors["Baseline"], digits=2),
        "best-mine": best, "best-mine-err": evidence.fmt_spread(errors[best], digits=2),
        "best-mine-verdict": decided[best, "Baseline"].sentence,
        "best-mine-control": decided[best, control[best]].sentence,
        "best-mine-dvb": decided[best, "DVB"].sentence,
        "dvb-verdict": decided["DVB", "Baseline"].sentence,
        "dvb-control": decided["DVB", control["DVB"]].sentence,
        "n-mine-lower": f"{sum(lower((n, 'Baseline')) for n in names)} of {len(names)}",
        "n-mine-control": f"{sum(lower((n, control[n])) for n in names)} of {len(names)}",
        "n-comparisons": len(decided),
        "effect-share": f"{100 * (1 - PAPER[best] / PAPER['Baseline']):.0f}",
        "effect-paper": f"{PAPER['Baseline'] - PAPER[best]:.2f}",
        "effect-best": f"{effect_to_detect(errors, models, best, 'Baseline'):.2f}",
        "n-mine-refuted": f"{sum(decided[n, 'Baseline'].effect_excluded for n in names)} of {len(names)}",
    }


def paper_text(errors: dict, a: str, b: str, base: str | None = None) -> str:
    """The paper's two errors and the effect tested, said as what it is: the paper's gap in
    points as it stands, or its share of the way to zero error carried over to this run's
    ``base`` (whichever is smaller: evidence.paper_effect with same_units)."""
    base = base or b
    raw = abs(PAPER[a] - PAPER[b])
    used = evidence.paper_effect(PAPER[a], PAPER[b], float(np.mean(errors[base])), 0.0, same_units=True)
    how = ("the paper's gap in points, as it stands (MNIST; smaller than its share of the way "
           "to zero error here)" if used == raw else
           "the paper's share of the way to zero error, carried over to this run")
    return f"{PAPER[a]:.2f} % vs {PAPER[b]:.2f} % (MNIST, table); effect tested: {-used:.2f} points, {how}"


def claim_rows(chapter: str, errors: dict, models: dict, raw: dict, decided: dict) -> list[dict]:
    """The scorecard rows: each MINE-IB model against the baseline and against DVB, DVB
    against the baseline, and the MI term of each MINE-IB model against its matched beta = 0
    control (the same encoder, so a noisy encoder's own cost is not charged to the MI term;
    the paper's gain over its baseline is the effect it should have if the term helps)."""
    names = mine_names(models)
    rows = []
    for other, label in (("Baseline", "the baseline"), ("DVB", "DVB")):
        rows += [claim_row(chapter, f"{n} errs less than {label}", paper_text(errors, n, other),
                           decided[n, other], raw[n, other], "points") for n in names]
    rows.append(claim_row(chapter, "DVB errs less than the baseline", paper_text(errors, "DVB", "Baseline"),
                          decided["DVB", "Baseline"], raw["DVB", "Baseline"], "points"))
    for n in names:
        ctrl = ib.control_of(models[n])
        rows.append(claim_row(chapter, f"The MI term lowers the error of {n} (against its β = 0 control)",
                              paper_text(errors, n, "Baseline", base=ctrl), decided[n, ctrl], raw[n, ctrl],
                              "points"))
    return rows


def claims_frame(claims: list[dict]) -> pd.DataFrame:
    return pd.DataFrame([{k: c[k] for k in ("claim", "paper", "this_run", "seeds", "decision")}
                         for c in claims]).rename(columns={"this_run": "this run"})


def mean_curve(records: list[dict], name: str, key: str):
    """(epochs, the mean over seeds of ``key`` per epoch) for one model's training histories."""
    hs = [r["history"] for r in records if r["model"] == name]
    return hs[0]["epoch"], np.mean([h[key] for h in hs], axis=0)


def loss_shares(records: list[dict], names) -> dict[str, list[float]]:
    """Per model, the share of the training loss (in percent) the information term carries."""
    return {n: [100 * ib.loss_share(r["history"], r["beta"]) for r in records if r["model"] == n] for n in names}


def sweep_frame(records: list[dict]) -> pd.DataFrame:
    """The beta sweep's runs, averaged over seeds per beta."""
    rows = [{**{k: v for k, v in r.items() if k != "history"}, "share": 100 * ib.loss_share(r["history"], r["beta"])}
            for r in records]
    return (pd.DataFrame(rows).groupby("beta")
            .agg(error=("error", "mean"), mi_test=("mi_test", "mean"), share=("share", "mean"),
                 seconds=("seconds", "sum")))


def broken_runs(sweep: pd.DataFrame, baseline_mean: float):
    """(collapsed, negative): where the classifier broke down (over twice the baseline's error)
    and where the held-out estimate is negative (the statistics network bounds nothing)."""
    return (sweep["error"] > 2 * baseline_mean).to_numpy(), (sweep["mi_test"] < 0).to_numpy()


def sweep_table(sweep: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "test error %": [evidence.fmt_num(v, 2) for v in sweep["error"]],
        "held-out MINE estimate (nats)": [evidence.fmt_num(v, 3) if abs(v) < 100 else f"{v:.3g}"
                                          for v in sweep["mi_test"]],
        "MI term's share of the loss %": [evidence.fmt_num(v, 2) for v in sweep["share"]],
    }, index=pd.Index([f"{b:g}" for b in sweep.index], name="beta"))


def sweep_trend(sweep: pd.DataFrame, collapsed, negative, n_seeds: int) -> str:
    """How the held-out estimate moves over the sound runs of the sweep (a reading)."""
    sane = sweep[~(collapsed | negative)]
    spread = "one seed, no spread" if n_seeds == 1 else f"mean of {n_seeds} seeds"
    if len(sane) < 2:
        return f"cannot be read: fewer than two β values of the sweep gave a sound run ({spread})"
    return (f"goes from {sane['mi_test'].iloc[0]:.2f} nats at β = {sane.index[0]:g} to "
            f"{sane['mi_test'].iloc[-1]:.2f} nats at β = {sane.index[-1]:g} ({spread}; a "
            f"reading, not a decision)")


def sweep_breakdowns(sweep: pd.DataFrame, collapsed, negative) -> str:
    """A sentence per beta where training broke down, or one saying none did."""
    parts = []
    for b, row, err_bad, mi_bad in zip(sweep.index, sweep.itertuples(), collapsed, negative):
        if err_bad and mi_bad:
            parts.append(f"At β = {b:g} the classifier broke down ({row.error:.1f} % test error) and "
                         f"the held-out estimate is negative ({row.mi_test:.3g} nats). A mutual "
                         f"information is never negative, so the statistics network no longer bounds "
                         f"anything there; a likely reading (not measured here) is that the encoder "
                         f"learnt to fool the statistics network, since minimising a lower bound "
                         f"bounds nothing.")
        elif err_bad:
            parts.append(f"At β = {b:g} the classifier broke down ({row.error:.1f} % test error, over "
                         f"twice the baseline's) while the held-out estimate stayed at "
                         f"{row.mi_test:.3g} nats.")
        elif mi_bad:
            parts.append(f"At β = {b:g} the error stayed sound ({row.error:.1f} %) but the held-out "
                         f"estimate is negative ({row.mi_test:.3g} nats): the statistics network no "
                         f"longer bounds anything there.")
    return " ".join(parts) or ("No β of the sweep broke training down: every held-out estimate "
                               "stayed non-negative and every error rate within twice the "
                               "baseline's.")


def sweep_panel(ax, values: np.ndarray, ok: np.ndarray, band, color) -> None:
    """One panel of the sweep figure: sound runs as a line, broken ones as red triangles at
    the edge (their values are in the table), the baseline's band where given."""
    pos = np.arange(len(values))
    ax.plot(pos[ok], values[ok], marker="o", color=color)
    shown = np.concatenate([values[ok], band or []])
    shown = shown[np.isfinite(shown)]
    lo, hi = (shown.min(), shown.max()) if len(shown) else (0.0, 1.0)
    pad = 0.1 * (hi - lo) + 0.05
    ax.set_ylim(lo - 2.5 * pad, hi + 2.5 * pad)
    for k, i in enumerate(np.flatnonzero(~ok)):
        up = values[i] > hi
        ax.plot(pos[i], hi + 1.5 * pad if up else lo - 1.5 * pad, marker="^" if up else "v", color="crimson",
                ms=9, label=None if k else "off the scale (value in the table)")
    if band and np.all(np.isfinite(band)):
        ax.axhspan(*band, color="0.85", label="baseline mean ± sd")
    if ax.get_legend_handles_labels()[0]:  # above the panel, where no point can be
        ax.legend(loc="lower left", bbox_to_anchor=(0, 1.0), frameon=False, fontsize="small")


def long_sizes(rec: dict | None) -> str:
    """The recorded run's sizes, in words."""
    if rec is None:
        return "not recorded yet"
    done = rec["results"]["results"]["settings"]
    return (f"{plural(len(rec['results']['seeds']), 'seed')}, {done['epochs']} epochs on "
            f"{done['n_train']} training images, {done['n_test']} test images")


def sizes_glue(base: ib.IBConfig, n_train: int, n_test: int, seeds, beta: float, beta_dvb: float) -> dict:
    """The settings the page states (names without the chapter's prefix)."""
    return {
        "n-train": n_train, "n-test": n_test, "seeds": plural(len(seeds), "seed"), "epochs": base.epochs,
        "beta": f"{beta:g}", "beta-dvb": f"{beta_dvb:g}", "draws": base.eval_samples,
        "sizes": (f"{plural(len(base.hidden), 'hidden layer')} of {', '.join(map(str, base.hidden))} ReLU units "
                  f"and a {base.code_dim}-dimensional code"),
        "critic-size": f"a concatenation MLP with hidden widths {', '.join(map(str, base.critic_hidden))}",
        "optimiser": (f"Adam, learning rate {base.lr:g} (statistics network {base.critic_lr:g}), β₁ = 0.5, "
                      f"decay {base.lr_decay:.4f} per epoch, batches of {base.batch_size}"),
        "others": (f"dropout {base.dropout}, confidence penalty {base.confidence}, label smoothing "
                   f"{base.smoothing}, additive noise s = {base.input_noise}, "
                   f"{base.noise_dim} propagated noise inputs"),
    }


# ---------------------------------------------------------------- figures and glue

def errors_figure(errors: dict, colors: dict, baseline_mean: float, dataset: str):
    """Every run's test error (dots, one per seed) and each model's mean ± sd, one column per
    model in the order of ``colors``, with the baseline's mean as a dashed line."""
    names = list(colors)
    fig, ax = plt.subplots(figsize=(9, 3.8))
    for i, name in enumerate(names):
        errs = errors[name]
        ax.scatter(np.full(len(errs), i), errs, color=colors[name], s=28, zorder=3)
        if len(errs) > 1:
            ax.errorbar(i + 0.18, errs.mean(), yerr=errs.std(ddof=1), fmt="D", color=colors[name],
                        capsize=4, ms=6)
    ax.axhline(baseline_mean, color="0.4", lw=1, ls="--", label="baseline mean")
    ax.set_xticks(range(len(names)), names, rotation=35, ha="right")
    ax.set_ylabel(f"{dataset} test error (%)")
    ax.legend(loc="lower left", bbox_to_anchor=(0, 1.0), frameon=False)  # above the axes
    return fig


def mi_figure(records: list[dict], names, colors: dict, beta: float):
    """Left: MINE's estimate of I(X; Z) per epoch for each MINE-IB model in ``names``;
    right: DVB's KL term (mean over seeds)."""
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.4))
    for name in names:
        ep, info = mean_curve(records, name, "info")
        axes[0].plot(ep, info, marker="o", color=colors[name], label=name)
    axes[0].set(xlabel="epoch", ylabel="MINE estimate of I(X; Z) (nats)", title=f"MINE-IB, beta = {beta:g}")
    axes[0].legend()
    ep, kl = mean_curve(records, "DVB", "info")
    axes[1].plot(ep, kl, marker="o", color=colors["DVB"], label="DVB: KL (upper bound)")
    axes[1].set(xlabel="epoch", ylabel="KL term (nats)", title="variational bottleneck")
    axes[1].legend()
    return fig


def training_glue(records: list[dict], names, best: str, shares: dict) -> dict:
    """DVB's KL and the best MINE-IB model's estimate at the first and last epoch, and the
    information term's share of the loss (names without the chapter's prefix)."""
    kl = mean_curve(records, "DVB", "info")[1]
    info = mean_curve(records, best, "info")[1]
    return {"kl-first": evidence.fmt_num(kl[0], 1), "kl-last": evidence.fmt_num(kl[-1], 1),
            "mi-first-best": evidence.fmt_num(info[0], 2),
            "mi-last-best": evidence.fmt_num(float(info[-1]), 2),
            "share-best": evidence.fmt_spread(shares[best], digits=2),
            "share-mine": ", ".join(f"{n} {evidence.fmt_num(np.mean(shares[n]), 2)} %" for n in names),
            "share-dvb": evidence.fmt_spread(shares["DVB"], digits=2)}


def sweep_figure(sweep: pd.DataFrame, collapsed, negative, baseline_errors, color, dataset: str):
    """The beta sweep: test error (with the baseline's mean ± sd) and the held-out MINE
    estimate per beta; broken runs off the scale (``sweep_panel``)."""
    mean = float(np.mean(baseline_errors))
    sd = np.std(baseline_errors, ddof=1)
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.8))
    sweep_panel(axes[0], sweep["error"].to_numpy(), ~collapsed, (mean - sd, mean + sd), color)
    axes[0].set_ylabel(f"{dataset} test error (%)")
    sweep_panel(axes[1], sweep["mi_test"].to_numpy(), ~(collapsed | negative), None, color)
    axes[1].set_ylabel("MINE estimate on test images (nats)")
    for ax in axes:
        ax.set_xticks(np.arange(len(sweep)), [f"{b:g}" for b in sweep.index])
        ax.set_xlabel("beta")
    fig.tight_layout()
    return fig


# ---------------------------------------------------------------- the results file

def model_results(errors: dict, runs: pd.DataFrame) -> dict:
    """Per model: its errors, their mean, the paper's MNIST error and the held-out estimates."""
    return {name: {"errors_percent": errors[name].tolist(),
                   "mean": float(np.mean(errors[name])),
                   "paper_mnist_percent": PAPER.get(name),
                   "mi_test_nats": runs.loc[runs.model == name].sort_values("seed")["mi_test"].tolist()}
            for name in errors}


def sweep_results(sweep: pd.DataFrame, encoder: str, seeds, trend: str, collapse: str) -> dict:
    return {"encoder": encoder, "seeds": seeds, "trend": trend, "collapse": collapse,
            "betas": [float(b) for b in sweep.index],
            "error_percent": sweep["error"].tolist(), "mi_test_nats": sweep["mi_test"].tolist(),
            "loss_share_percent": sweep["share"].tolist()}


def settings_results(base: ib.IBConfig, n_train: int, n_test: int) -> dict:
    return {"n_train": n_train, "n_test": n_test, "hidden": list(base.hidden),
            "code_dim": base.code_dim, "critic_hidden": list(base.critic_hidden),
            "epochs": base.epochs, "lr": base.lr, "batch_size": base.batch_size,
            "eval_samples": base.eval_samples}
