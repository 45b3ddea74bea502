"""Chapter 07's report: the toy and stacked-data GAN runs turned into tables, decisions,
claim rows and sentences. The chapter trains (``gan``), passes the runs here and glues what
comes back, so its code reads as the experiment.

``jobs`` is the list of (dataset, GANConfig) pairs of the toy runs and ``runs`` their
trained results, in the same order; ``datasets`` maps the chapter's short names
("spiral", "25-gaussians") to the toy datasets.

Layer: the book's experiments. May import the library and other experiment modules;
the library never imports this one.
"""

from __future__ import annotations

import json

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from . import evidence, gan, modes
from .beside import claim_row, plural
from .gan import GANConfig

MODELS = ("GAN", "GAN+MINE")
# the paper's stacked-MNIST table, as transcribed in the reference notes (unverified)
PAPER_STACKED = pd.DataFrame([("DCGAN", 99.0, 3.40), ("ALI", 16.0, 5.40), ("Unrolled GAN", 48.7, 4.32),
                              ("VEEGAN", 150.0, 2.95), ("PacGAN", 1000.0, 0.06), ("GAN+MINE", 1000.0, 0.05)],
                             columns=["model", "modes", "KL"])
PAPER_TOY = "GAN+MINE covers every mode, the GAN drops some (Figures, read by eye)"
PAPER_DC = "(stacked MNIST table, unverified transcription)"
# which direction the paper claims for each toy measure, and whether higher is better
TOY_MEASURES = {"modes covered": ("a>b", True), "KL": ("a<b", False), "high quality %": (None, True)}
# what the results file's measures mean
METRIC_DEFINITIONS = {
    "high quality": "within 3 sigma of the nearest mode centre",
    "modes covered": "modes with at least one high-quality sample (toy) or one sample (stacked)",
    "KL": "KL(histogram over modes || uniform) in nats",
    "confidence": "classifier's probability of its own label, mean over channels and samples",
}


def model_of(cfg: GANConfig, names=MODELS) -> str:
    return names[1] if cfg.beta > 0 else names[0]


def sizes_glue(sizes: dict, trained_hq: float, trained_confidence: float) -> dict:
    """The run's sizes and thresholds as the page states them (names without the prefix)."""
    return {"toy-steps": sizes["toy_steps"], "grid-steps": sizes["grid_steps"],
            "toy-seeds": plural(len(sizes["toy_seeds"]), "seed"), "toy-eval": sizes["toy_eval"],
            "dc-steps": sizes["dc_steps"], "dc-seeds": plural(len(sizes["dc_seeds"]), "seed"),
            "dc-batch": sizes["dc_batch"], "n-generated": sizes["n_generated"], "trained-hq": trained_hq,
            "trained-conf": 100 * trained_confidence}


def train_toys(datasets: dict, toy: dict, sizes: dict, betas: dict, steps: dict):
    """Every toy GAN and GAN+MINE seed of each dataset, trained as one stacked computation per
    dataset (their settings differ); ``steps`` maps a dataset to (steps, snapshot steps).
    Returns (jobs, runs, seconds by dataset)."""
    jobs, runs, seconds = [], [], {}
    for name, data in datasets.items():
        n, snaps = steps[name]
        part = [(data, GANConfig(beta=beta, seed=seed, steps=n, lr=toy["lr"][name], adam_betas=toy["adam_betas"],
                                 batch_size=toy["batch_size"], snapshot_at=snaps, snapshot_size=sizes["toy_eval"]))
                for beta in betas.values() for seed in sizes["toy_seeds"]]
        trained = gan.train_toy_gans(part, d_noise=toy["d_noise"], d_code=toy["d_code"], hidden=toy["hidden"][name])
        jobs, runs, seconds[name] = jobs + part, runs + trained, trained[0].seconds
    return jobs, runs, seconds


def toy_settings_glue(datasets: dict, toy: dict, jobs, runs, seconds: dict) -> dict:
    grid = datasets["25-gaussians"]
    out = {"toy-runs": len(jobs), "toy-seconds": sum(seconds.values()),
           "n-modes-spiral": datasets["spiral"].n_modes, "grid-sigma": grid.sigma,
           "grid-spacing": float(np.diff(np.unique(grid.centers[:, 0])).min()),
           "toy-noise": runs[0].nets.d_noise, "toy-batch": toy["batch_size"], "toy-code": runs[0].nets.d_code}
    for name in datasets:
        out[f"toy-hidden-{name}"] = " × ".join(map(str, toy["hidden"][name]))
        out[f"toy-lr-{name}"] = f"{toy['lr'][name]:g}"
    return out


def toy_metrics(jobs, runs) -> pd.DataFrame:
    """One row per run and snapshot: modes covered, share of high-quality samples, KL."""
    rows = []
    for (data, cfg), run in zip(jobs, runs):
        for step, x in run.snapshots.items():
            m = modes.mode_metrics(x, data.centers, data.sigma)
            rows.append({"dataset": data.name, "model": model_of(cfg), "seed": cfg.seed, "step": step,
                         "modes covered": m.modes_covered, "of": m.n_modes,
                         "high quality %": 100 * m.high_quality_share, "KL": m.kl_to_uniform})
    return pd.DataFrame(rows)


def clip_check(jobs, runs):
    """Does the clipped MI gradient stay at or below the adversarial one at every step?
    Returns (largest ratio, percent of steps where clipping acted, decision)."""
    ratios, active = [], []
    for (_, cfg), run in zip(jobs, runs):
        if cfg.beta > 0:
            h = run.history
            ratios.append(h["mi_norm_clipped"] / h["adv_norm"])
            active.append(np.mean(h["mi_norm"] > h["adv_norm"]))
    ratios = np.concatenate(ratios)
    # the clip holds at a step when the clipped MI norm is at most the adversarial one, up to
    # float32 rounding (about 1e-7 relative; 1e-5 allowed)
    clip = evidence.holds_everywhere(int((ratios > 1 + 1e-5).sum()), ratios.size,
                                     "The clipped MI gradient never exceeds the adversarial one",
                                     cases="training steps of the GAN+MINE runs")
    return float(ratios.max()), 100 * float(np.mean(active)), clip


def final_step(toy: pd.DataFrame, last_step: dict) -> pd.DataFrame:
    """The rows of each dataset's last snapshot, ordered by seed."""
    return toy[toy["step"] == toy["dataset"].map(last_step)].sort_values("seed")


def toy_table(final: pd.DataFrame) -> pd.DataFrame:
    return (final.groupby(["dataset", "model"])
            .agg(**{"modes covered": ("modes covered", lambda v: evidence.fmt_spread(v, 1)),
                    "of": ("of", "first"),
                    "high quality %": ("high quality %", lambda v: evidence.fmt_spread(v, 1)),
                    "KL": ("KL", lambda v: evidence.fmt_spread(v, 2))})
            .reset_index())


def at_end(final: pd.DataFrame, dataset: str, model: str, key: str) -> np.ndarray:
    part = final[(final["dataset"] == dataset) & (final["model"] == model)]
    return part[key].to_numpy()  # one value per seed, in seed order


def drops_modes(final: pd.DataFrame, data):
    """Does the plain GAN drop modes at all (its modes covered against all K, over seeds)? The
    comparison with GAN+MINE is informative only where it does. Returns (decision, sentence)."""
    k, gan_modes = data.n_modes, at_end(final, data.name, "GAN", "modes covered")
    d = evidence.difference(gan_modes, np.full(len(gan_modes), k), paired=True, names=("the GAN", f"all {k} modes"),
                            what=f"modes covered on {data.name}", unit="modes", higher_is_better=None,
                            expected="a<b", digits=1)
    covers = f"covers {evidence.fmt_mean_ci(gan_modes, 1)} of the {k} modes at the last step"
    text = (f"The plain GAN drops modes: it {covers}, and the interval lies below {k}." if d.kind == "agrees"
            else f"The plain GAN does not clearly drop modes here: it {covers}.")
    return d, text


def toy_decisions(final: pd.DataFrame, datasets: dict, trained_hq: float):
    """For each toy dataset: did the GAN train, and does GAN+MINE cover more modes, more
    evenly (paired by seed, Holm over every dataset and measure)? Returns (baseline checks,
    raw decisions, decisions gated on the baseline and on the ceiling, glue)."""
    base, raw = {}, {}
    for name, data in datasets.items():
        base[name] = evidence.baseline_trained(at_end(final, data.name, "GAN", "high quality %"), trained_hq,
                                               f"the GAN's share of high-quality samples on {data.name} in percent",
                                               digits=1)
        for key, (expected, higher) in TOY_MEASURES.items():
            raw[name, key] = evidence.difference(
                at_end(final, data.name, "GAN+MINE", key), at_end(final, data.name, "GAN", key), paired=True,
                names=("GAN+MINE", "the GAN"), what=f"{key} on {data.name}", higher_is_better=higher,
                expected=expected, digits=2)
    raw = dict(zip(raw, evidence.holm(list(raw.values()))))
    decided = {pair: evidence.gate(base[pair[0]], d) for pair, d in raw.items()}
    glue = {}
    for name, data in datasets.items():
        gan_modes = at_end(final, data.name, "GAN", "modes covered")
        ceiling = ""
        if len(gan_modes) and (gan_modes == data.n_modes).all() and not decided[name, "modes covered"].measured:
            ceiling = (f" The plain GAN covers all {data.n_modes} modes at every seed, so on this dataset "
                       f"the experiment cannot show mode dropping: there is nothing for GAN+MINE to recover.")
            decided[name, "modes covered"] = evidence.Decision(
                "not measurable", "at the ceiling",
                f"Not measurable here: the plain GAN already covers all {data.n_modes} modes at every seed.",
                estimate=float(raw[name, "modes covered"].estimate), n=len(gan_modes))
        glue[f"base-{name}"] = base[name].sentence + ceiling
        for key, slug in (("modes covered", "modes"), ("KL", "kl"), ("high quality %", "hq")):
            glue[f"dec-{name}-{slug}"] = gated_text(decided[name, key])
    return base, raw, decided, glue


def gated_text(d: evidence.Decision) -> str:
    return "inconclusive: the baseline did not train." if d.status == "baseline did not train" else d.sentence


def critic_mi(jobs, runs, n: int) -> pd.DataFrame:
    """I(G; c) read by each run's own statistics network, one row per run, by seed."""
    return pd.DataFrame([{"dataset": d.name, "model": model_of(c), "seed": c.seed,
                          "I(G; c) (nats)": gan.critic_mi(run, n=n)}
                         for (d, c), run in zip(jobs, runs)]).sort_values("seed")


def critic_mi_glue(toy_mi: pd.DataFrame, datasets: dict) -> dict:
    """The table of I(G; c) and, per dataset, whether GAN+MINE's code carries more of it."""
    out = {"mi-table": (toy_mi.groupby(["dataset", "model"])["I(G; c) (nats)"]
                        .agg(lambda v: evidence.fmt_spread(v, 2)).reset_index())}
    for name, data in datasets.items():
        mi = {m: toy_mi[(toy_mi["dataset"] == data.name) & (toy_mi["model"] == m)]["I(G; c) (nats)"].to_numpy()
              for m in MODELS}
        out[f"mi-{name}"] = evidence.difference(mi["GAN+MINE"], mi["GAN"], paired=True, names=("GAN+MINE", "the GAN"),
                                                what=f"I(G; c) on {data.name}", unit="nats", higher_is_better=None,
                                                expected="a>b", digits=2).sentence
    return out


def stacked_rows(dc_cfgs, trained, judge, n_generated: int):
    """Each DCGAN's samples read by the classifier: one row per run (modes, KL, confidence,
    I(G; c)), and the runs by (model, seed)."""
    dc_runs, rows = {}, []
    for cfg, run in zip(dc_cfgs, trained):
        model = model_of(cfg, ("DCGAN", "DCGAN+MINE"))
        x = gan.generate(run.nets, n_generated, seed=100 + cfg.seed)
        labels, conf = modes.stacked_readout(x, judge)
        m = modes.label_metrics(labels)
        dc_runs[model, cfg.seed] = run
        rows.append({"model": model, "seed": cfg.seed, "modes": m.modes_covered, "KL": m.kl_to_uniform,
                     "confidence": float(conf.mean()), "I(G; c) (nats)": gan.critic_mi(run, n=2000)})
    return pd.DataFrame(rows).sort_values("seed"), dc_runs


def dc_values(dc: pd.DataFrame, model: str, key: str) -> np.ndarray:
    return dc[dc["model"] == model][key].to_numpy()


def stacked_table(dc: pd.DataFrame, real_true, real_judged, real_conf: float, stacked: str,
                  n_generated: int) -> pd.DataFrame:
    """This run's DCGANs beside what the counting gives on real pictures and the paper's rows."""
    ours = (dc.groupby("model", sort=False)
            .agg(modes=("modes", lambda v: evidence.fmt_spread(v, 0)), KL=("KL", lambda v: evidence.fmt_spread(v, 2)),
                 confidence=("confidence", lambda v: evidence.fmt_spread(100 * np.asarray(v), 1)),
                 mi=("I(G; c) (nats)", lambda v: evidence.fmt_spread(v, 2)))
            .reset_index().rename(columns={"confidence": "confidence %", "mi": "I(G; c) (nats)"}))
    ours["source"] = f"this book, {stacked}, {n_generated} samples"
    reference = pd.DataFrame([
        {"model": "real pictures, true labels", "modes": f"{real_true.modes_covered}",
         "KL": f"{real_true.kl_to_uniform:.2f}"},
        {"model": "real pictures, classifier labels", "modes": f"{real_judged.modes_covered}",
         "KL": f"{real_judged.kl_to_uniform:.2f}", "confidence %": f"{100 * real_conf:.1f}"}])
    reference["source"] = f"this book, {stacked} test pictures"
    paper = PAPER_STACKED.assign(modes=PAPER_STACKED["modes"].map("{:.1f}".format),
                                 KL=PAPER_STACKED["KL"].map("{:.2f}".format),
                                 source="paper, stacked MNIST (unverified transcription; not comparable)")
    return (pd.concat([reference, ours, paper], ignore_index=True)
            [["source", "model", "modes", "KL", "confidence %", "I(G; c) (nats)"]].fillna(""))


def stacked_decisions(dc: pd.DataFrame, trained_confidence: float, real_conf: float):
    """Did the DCGAN train (the classifier at least ``trained_confidence`` as confident on its
    samples as on real ones), and does DCGAN+MINE capture more modes, more evenly, with more
    I(G; c)? Returns (baseline check, raw, gated, I(G; c) decision, glue)."""
    base = evidence.baseline_trained(100 * dc_values(dc, "DCGAN", "confidence"),
                                     100 * trained_confidence * real_conf,
                                     "the classifier's mean confidence on the DCGAN's samples in percent", digits=1)
    raw = [evidence.difference(dc_values(dc, "DCGAN+MINE", key), dc_values(dc, "DCGAN", key), paired=True,
                               names=("DCGAN+MINE", "the DCGAN"), what=what, higher_is_better=higher,
                               expected=expected, digits=2)
           for key, what, higher, expected in (("modes", "modes captured", True, "a>b"),
                                               ("KL", "KL to uniform", False, "a<b"))]
    raw = dict(zip(("modes", "KL"), evidence.holm(raw)))
    decided = {key: evidence.gate(base, d) for key, d in raw.items()}
    mi = "I(G; c) (nats)"
    mi_dec = evidence.difference(dc_values(dc, "DCGAN+MINE", mi), dc_values(dc, "DCGAN", mi), paired=True,
                                 names=("DCGAN+MINE", "the DCGAN"), what="I(G; c)", unit="nats",
                                 higher_is_better=None, expected="a>b", digits=2)
    glue = {"dc-base": base.sentence, **{f"dc-{key.lower()}": gated_text(d) for key, d in decided.items()},
            "dc-mi": mi_dec.sentence,
            "dc-mi-values": (f"{evidence.fmt_spread(dc_values(dc, 'DCGAN+MINE', mi), 2, unit='nats')} with MINE "
                             f"and {evidence.fmt_spread(dc_values(dc, 'DCGAN', mi), 2, unit='nats')} without")}
    return base, raw, decided, mi_dec, glue


def claim_rows(chapter: str, datasets: dict, toy_raw: dict, toy_dec: dict, dc_raw: dict, dc_dec: dict) -> list[dict]:
    rows = []
    for name, data in datasets.items():
        on = data.name
        rows.append(claim_row(chapter, f"GAN+MINE covers more modes than the GAN on {on}", PAPER_TOY,
                              toy_dec[name, "modes covered"], toy_raw[name, "modes covered"], "modes"))
        rows.append(claim_row(chapter, f"GAN+MINE has a lower KL to uniform than the GAN on {on}", PAPER_TOY,
                              toy_dec[name, "KL"], toy_raw[name, "KL"], "nats"))
    rows.append(claim_row(chapter, "GAN+MINE captures more stacked-data modes than the DCGAN",
                          f"1000 vs 99 of 1000 {PAPER_DC}", dc_dec["modes"], dc_raw["modes"], "modes"))
    rows.append(claim_row(chapter, "GAN+MINE has a lower stacked-data KL than the DCGAN",
                          f"0.05 vs 3.40 {PAPER_DC}", dc_dec["KL"], dc_raw["KL"], "nats"))
    return rows


def recording_text(rec: dict | None, toy: dict, datasets: dict) -> str:
    """What the recorded run trained, whether with this chapter's toy settings, and its
    baseline checks."""
    if rec is None:
        return "There is no recorded long run of this chapter yet, so the decisions above are this build's only."
    r = rec["results"]["results"]
    s = r["sizes"]
    same = r["toy"].get("settings") == json.loads(json.dumps(toy))
    checks = " ".join(f"On {datasets[n].name}: {r['toy']['baseline_trained'][n]['sentence']} "
                      f"{r['toy']['drops_modes'][n]['text']}" for n in datasets
                      if n in r["toy"].get("drops_modes", {}))
    return (f"The recording trained the toy GANs for {s['toy_steps']} steps ("
            + (f"the grid's for {s['grid_steps']}; " if "grid_steps" in s else "")
            + f"{plural(len(r['toy']['critic_mi']) // 4, 'seed')}) and the DCGANs for "
            f"{s['dc_steps']} steps ({plural(len(r['stacked']['runs']) // 2, 'seed')}), "
            + ("with this chapter's toy settings. " if same else "with other toy settings than this chapter's (rerun it). ")
            + checks + f" Stacked data: {r['stacked']['baseline_trained']['sentence']} "
            f"{r['stacked']['critic_mi_decision']['sentence']}")


def norms_figure(history: dict, title: str) -> plt.Figure:
    """A GAN+MINE run's gradient norms per step (adversarial, MI before and after clipping),
    as running means over about a hundredth of the run."""
    fig, ax = plt.subplots(figsize=(7, 3.4))
    window = max(1, len(history["step"]) // 100)
    for key, label, style in (("adv_norm", "adversarial", dict(lw=4, alpha=0.4)),
                              ("mi_norm", "MI, before clipping", dict(lw=1.2)),
                              ("mi_norm_clipped", "MI, after clipping", dict(lw=1.2, ls="--"))):
        ax.plot(history["step"], pd.Series(history[key]).rolling(window, min_periods=1).mean(),
                label=label, **style)
    ax.set_yscale("log")
    ax.set_xlabel("training step")
    ax.set_ylabel("gradient norm")
    ax.legend()
    ax.set_title(title)
    return fig


def snapshots_figure(data, jobs, runs, steps, seed: int, models, colors: dict) -> plt.Figure:
    """One dataset's samples of the GAN (top row) and GAN+MINE (bottom) of one seed at each
    snapshot step, over the mixture's centres; ``models`` names the two rows."""
    fig, axes = plt.subplots(2, len(steps), figsize=(3.1 * len(steps), 6.2), sharex=True,
                             sharey=True)
    for (d, cfg), run in zip(jobs, runs):
        if d.name == data.name and cfg.seed == seed:
            row = int(cfg.beta > 0)
            for ax, step in zip(axes[row], steps):
                x = run.snapshots[step][:2000]
                ax.scatter(x[:, 0], x[:, 1], s=2, alpha=0.35, color=colors[models[row]],
                           rasterized=True)
                ax.scatter(data.centers[:, 0], data.centers[:, 1], s=8, marker="x",
                           color="black", lw=0.8)
                ax.set_title(f"{models[row]}, step {step}")
                ax.set_aspect("equal")
    lim = np.abs(data.centers).max() + 1.5
    axes[0, 0].set_xlim(-lim, lim)
    axes[0, 0].set_ylim(-lim, lim)
    return fig


def toy_metrics_figure(toy: pd.DataFrame, datasets: dict, models, colors: dict) -> plt.Figure:
    """Modes covered (top) and KL to uniform (bottom) against step, mean and spread over
    seeds of ``toy_metrics``, one column per dataset."""
    fig, axes = plt.subplots(2, 2, figsize=(8, 5.6), sharex=True)
    for col, name in enumerate(datasets):
        for model in models:
            part = toy[(toy["dataset"] == datasets[name].name) & (toy["model"] == model)]
            stats = part.groupby("step")[["modes covered", "KL"]].agg(["mean", "std"])
            for row, key in enumerate(("modes covered", "KL")):
                axes[row, col].errorbar(stats.index, stats[key]["mean"], yerr=stats[key]["std"],
                                        marker="o", capsize=3, color=colors[model], label=model)
                axes[row, col].set_ylabel(key)
        axes[0, col].set_title(datasets[name].name)
        axes[1, col].set_xlabel("training step")
    axes[0, 0].legend()
    return fig


def stacked_figure(real: np.ndarray, samples: dict, stacked: str) -> plt.Figure:
    """Real stacked pictures beside each model's samples (``samples``: model -> pictures,
    (n, 3, 28, 28) in [0, 1]), 8 x 8 tiles each."""
    fig, axes = plt.subplots(1, 1 + len(samples), figsize=(10, 3.6))
    grids = [(f"real {stacked}", real), *samples.items()]
    for ax, (title, x) in zip(axes, grids):
        x = np.asarray(x)[:64].transpose(0, 2, 3, 1)  # (n, 28, 28, 3)
        side = int(np.sqrt(len(x)))
        x = x[: side * side].reshape(side, side, 28, 28, 3).transpose(0, 2, 1, 3, 4)
        ax.imshow(x.reshape(side * 28, side * 28, 3))
        ax.set_title(title)
        ax.axis("off")
    return fig


def toy_results(final, toy, toy_mi, clip: tuple, base: dict, drops: dict, drops_text: dict,
                settings: dict, decisions: dict, seconds: dict) -> dict:
    """The toy runs for the results file: ``clip`` is ``clip_check``'s (largest ratio,
    percent active, decision), ``base`` and ``decisions`` are ``toy_decisions``' baseline
    checks and gated decisions, ``drops`` and ``drops_text`` ``drops_modes``' by dataset."""
    max_ratio, active, check = clip
    return {"final": final.to_dict(orient="records"), "all_snapshots": toy.to_dict(orient="records"),
            "critic_mi": toy_mi.to_dict(orient="records"),
            "clip_max_ratio": max_ratio, "clip_active_percent": active, "clip": check.as_dict(),
            "baseline_trained": {n: d.as_dict() for n, d in base.items()},
            "drops_modes": {n: {**d.as_dict(), "text": drops_text[n]} for n, d in drops.items()},
            "settings": settings,
            "decisions": {f"{n}: {k}": d.as_dict() for (n, k), d in decisions.items()},
            "seconds": seconds}


def stacked_results(dc, judge_acc: float, real_true, real_judged, real_conf: float, base,
                    decisions: dict, mi_decision, seconds: float) -> dict:
    """The stacked-data runs for the results file (``stacked_rows``' rows, the classifier,
    what it reads on real pictures, and ``stacked_decisions``' checks)."""
    return {"runs": dc.to_dict(orient="records"), "classifier_test_accuracy": judge_acc,
            "real_true_labels": real_true.summary(), "real_classifier_labels": real_judged.summary(),
            "real_confidence": real_conf, "baseline_trained": base.as_dict(),
            "decisions": {k: d.as_dict() for k, d in decisions.items()},
            "critic_mi_decision": mi_decision.as_dict(), "seconds": seconds}
